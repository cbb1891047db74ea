/** The app with the real model from model/artifacts (the committed artifact). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  CRASH_LOOP_EXAMPLE,
  FEATURES,
  ORIGINAL_HEALTHY_EXAMPLE,
  columnarRequestOf,
  riskLevel,
  type FeatureInput,
} from '@aiops/model';
import { Predictor } from '@aiops/model/predictor';
import { readHeldoutSummary } from './evaluation.js';
import { makeApp, type Harness } from '../test/harness.js';
import { validRows } from '../test/validRows.js';
import type { RiskScorer } from './types.js';
import { openApiValidator } from '../test/openapiValidator.js';

let predictor: Predictor;
let h: Harness;
beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
  h = makeApp({ scorer: predictor, heldout: await readHeldoutSummary(predictor.dir) });
});
afterAll(() => predictor.dispose());

describe('POST /predict with the real model', () => {
  it('scores the original healthy body low (level low, below half the decision threshold)', async () => {
    const res = await request(h.app).post('/predict').send(ORIGINAL_HEALTHY_EXAMPLE).expect(200);
    expect(res.body.risk).toBeLessThan(predictor.threshold / 2);
    expect(res.body.level).toBe('low');
    expect(res.body.model.version).toBe(predictor.version);
    expect(res.body.threshold).toBe(predictor.threshold);
  });

  it('scores a crash loop critical (risk > 0.9), led by crash signals', async () => {
    const res = await request(h.app).post('/predict').send(CRASH_LOOP_EXAMPLE).expect(200);
    expect(res.body.risk).toBeGreaterThan(0.9);
    expect(res.body.level).toBe(riskLevel(res.body.risk));
    const top = (res.body.explanation as { feature: string }[]).slice(0, 3).map((c) => c.feature);
    expect(
      top.some((f) =>
        [
          'restart_count_last_5m',
          'ready_replica_ratio',
          'http_5xx_error_rate',
          'unavailable_replicas',
        ].includes(f),
      ),
    ).toBe(true);
  });

  it('explains every feature, largest |contribution| first', async () => {
    const res = await request(h.app).post('/predict').send(CRASH_LOOP_EXAMPLE).expect(200);
    const c = (res.body.explanation as { contribution: number }[]).map((x) =>
      Math.abs(x.contribution),
    );
    expect(c).toHaveLength(FEATURES.length);
    expect([...c].sort((a, b) => b - a)).toEqual(c);
  });

  it('accepts the deployment baseline and SLO windows as optional context, and says which layer fired', async () => {
    const body = {
      ...ORIGINAL_HEALTHY_EXAMPLE,
      http_p95_latency_seconds: 2.4,
      http_requests_per_s: 40,
      baseline: {
        http_p95_latency_seconds: { p10: 0.1, p50: 0.12, p90: 0.15, recent: 0.13, slope: 0 },
      },
      slo: {
        availability: 0.999,
        windows: {
          '1h': { error_ratio: 0.001, requests: 144000 },
          '5m': { error_ratio: 0.002, requests: 12000 },
        },
      },
    };
    const res = await request(h.app).post('/predict').send(body).expect(200);
    // p95 twenty times its normal: the own-normal layer fires, and the model leans the same way
    // (one sample whose 3-minute median is still normal: risk-mlp-194027ccd84d says 0.55, trained
    // on labels where a service's normal peaks are no breach).
    expect(res.body.layer).toBe('own_normal');
    expect(res.body.layers.own_normal).toMatchObject({
      fired: true,
      signal: 'http_p95_latency_seconds',
    });
    expect(res.body.layers.slo.fired).toBe(false);
    expect(res.body.risk).toBe(1);
    expect(res.body.layers.model.risk).toBeGreaterThan(0.5);
    const lat = res.body.explanation.find(
      (c: { feature: string }) => c.feature === 'http_p95_latency_seconds',
    );
    expect(lat.reference).toBe(0.12);
    const burning = {
      ...body,
      slo: {
        availability: 0.999,
        windows: {
          '1h': { error_ratio: 0.2, requests: 144000 },
          '5m': { error_ratio: 0.3, requests: 12000 },
        },
      },
    };
    const b = await request(h.app).post('/predict').send(burning).expect(200);
    expect(b.body).toMatchObject({
      risk: 1,
      layer: 'slo',
      layers: { slo: { fired: true, rule: 'availability_fast_burn' } },
    });
  });

  it('answers a batch in order, equal to the single answers', async () => {
    const rows = [
      ORIGINAL_HEALTHY_EXAMPLE,
      CRASH_LOOP_EXAMPLE,
      { ...ORIGINAL_HEALTHY_EXAMPLE, cpu_throttle_ratio: 0.9 },
    ];
    const batch = await request(h.app).post('/predict').send({ instances: rows }).expect(200);
    for (const [i, row] of rows.entries()) {
      const single = await request(h.app).post('/predict').send(row).expect(200);
      expect(batch.body.predictions[i].risk).toBeCloseTo(single.body.risk, 12);
    }
  });

  it('its answers match the OpenAPI document', async () => {
    const doc = (await request(h.app).get('/openapi.json').expect(200)).body;
    const v = openApiValidator(doc);
    const single = await request(h.app).post('/predict').send(ORIGINAL_HEALTHY_EXAMPLE).expect(200);
    const batch = await request(h.app)
      .post('/predict')
      .send({ instances: [CRASH_LOOP_EXAMPLE] })
      .expect(200);
    const model = await request(h.app).get('/model').expect(200);
    const columns = await request(h.app)
      .post('/predict?format=columns')
      .send({ instances: [CRASH_LOOP_EXAMPLE, ORIGINAL_HEALTHY_EXAMPLE] })
      .expect(200);
    for (const [res, path, method] of [
      [single, '/predict', 'post'],
      [batch, '/predict', 'post'],
      [columns, '/predict', 'post'],
      [model, '/model', 'get'],
    ] as const) {
      const validate = v.response(path, method, 200);
      expect(validate(res.body) ? [] : validate.errors).toEqual([]);
    }
  });

  it('GET /model serves the artifact metadata with its validation and held-out evaluation', async () => {
    const res = await request(h.app).get('/model').expect(200);
    expect(res.body.version).toBe(predictor.version);
    expect(res.body.metadata.metrics).toEqual(predictor.metadata.metrics);
    expect(res.body.evaluation.validation).toEqual(predictor.metadata.metrics);
    expect(res.body.evaluation.validation.validationRocAuc).toBeGreaterThan(0.9);
    // the committed report (model/artifacts/<version>/report.json)
    expect(res.body.evaluation.heldout.version).toBe(predictor.version);
    expect(res.body.evaluation.heldout.synthetic.model.rocAuc).toBeGreaterThan(0.9);
    expect(res.body.evaluation.heldout.realData.length).toBeGreaterThanOrEqual(3);
  });
});

describe('POST /predict?format=columns in shadow mode, from the flat scored batch', () => {
  it('answers as without the shadow and counts the candidate’s agreement', async () => {
    const shadowed = makeApp({ scorer: predictor });
    shadowed.model.setShadow(predictor);
    const body = { instances: [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE, CRASH_LOOP_EXAMPLE] };
    const a = await request(shadowed.app).post('/predict?format=columns').send(body).expect(200);
    const b = await request(h.app).post('/predict?format=columns').send(body).expect(200);
    expect({ ...a.body, elapsed_ms: 0 }).toEqual({ ...b.body, elapsed_ms: 0 });
    const metrics = (await request(shadowed.app).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/shadow_predictions_total\{agreement="same_level"\} 3/);
  });
});

describe('POST /predict answers written from the flat scored batch', () => {
  /** The same model without `score`: the backend serialises prediction objects instead. */
  const objectsOnly = (): RiskScorer => ({
    version: predictor.version,
    threshold: predictor.threshold,
    backendName: predictor.backendName,
    metadata: predictor.metadata,
    predict: (rows, opts) => predictor.predict(rows, opts),
  });
  const withoutElapsed = (text: string): string => text.replace(/"elapsed_ms":[0-9.e+-]+,?/, '');
  const rows = Array.from({ length: 1_200 }, (_, i) => ({
    ...(i % 2 ? CRASH_LOOP_EXAMPLE : ORIGINAL_HEALTHY_EXAMPLE),
    cpu_usage_pct: (i * 7) % 400,
    http_p95_latency_seconds: (i % 13) / 4,
    ...(i % 3 === 0
      ? { baseline: { http_p95_latency_seconds: { p10: 0.1, p50: 0.2, p90: 0.3, slope: 0.01 } } }
      : {}),
  }));

  it.each([
    ['a single body', ORIGINAL_HEALTHY_EXAMPLE, ''],
    ['a single body, top 3', CRASH_LOOP_EXAMPLE, '?explain=3'],
    ['a batch written in one piece', { instances: rows.slice(0, 300) }, ''],
    ['a batch streamed in pieces', { instances: rows }, '?explain=all'],
    ['a streamed batch without explanations', { instances: rows }, '?explain=0'],
    ['a batch in columns', { instances: rows }, '?format=columns'],
    ['a single body in columns, top 3', CRASH_LOOP_EXAMPLE, '?format=columns&explain=3'],
    ['a columnar request with baselines', columnarRequestOf(rows.slice(0, 300)), ''],
  ])('gives the same bytes as the object path: %s', async (_name, body, query) => {
    const fast = makeApp({ scorer: predictor });
    const slow = makeApp({ scorer: objectsOnly() });
    const a = await request(fast.app).post(`/predict${query}`).send(body).expect(200);
    const b = await request(slow.app).post(`/predict${query}`).send(body).expect(200);
    expect(a.headers['content-type']).toBe(b.headers['content-type']);
    expect(withoutElapsed(a.text)).toBe(withoutElapsed(b.text));
    const metric = /predictions_total\{level="(\w+)"\} (\d+)/g;
    const counts = async (h: Harness): Promise<string[]> =>
      [...(await h.metrics.registry.metrics()).matchAll(metric)].map((m) => m[0]);
    expect(await counts(fast)).toHaveLength(4);
    expect(await counts(fast)).toEqual(await counts(slow));
  });
});

describe('POST /predict with the columnar request body', () => {
  const withoutElapsed = (text: string): string => text.replace(/"elapsed_ms":[0-9.e+-]+,?/, '');
  // Valid rows of every kind (omitted optional features, baselines, SLO windows that fire).
  const rows = validRows(11, 1_500);

  it.each([[''], ['?format=columns'], ['?explain=3'], ['?format=columns&explain=0']])(
    'answers the same bytes as the same rows sent as instances %p',
    async (query) => {
      expect(rows.length).toBeGreaterThan(600);
      const a = await request(h.app).post(`/predict${query}`).send({ instances: rows }).expect(200);
      const b = await request(h.app)
        .post(`/predict${query}`)
        .send(columnarRequestOf(rows))
        .expect(200);
      expect(withoutElapsed(b.text)).toBe(withoutElapsed(a.text));
      expect(b.headers['server-timing']).toMatch(/^body;dur=[\d.]+, validate;dur=[\d.]+, score/);
    },
  );

  it.each([[''], ['?format=columns']])(
    'in shadow mode, the candidate sees the baselines too %p',
    async (query) => {
      const shadowed = makeApp({ scorer: predictor });
      shadowed.model.setShadow(predictor);
      const some = rows.slice(0, 200);
      const a = await request(shadowed.app)
        .post(`/predict${query}`)
        .send({ instances: some })
        .expect(200);
      const b = await request(shadowed.app)
        .post(`/predict${query}`)
        .send(columnarRequestOf(some))
        .expect(200);
      expect(withoutElapsed(b.text)).toBe(withoutElapsed(a.text));
      // The candidate is the serving model: agreement on every row of both requests.
      const metrics = (await request(shadowed.app).get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/shadow_predictions_total\{agreement="same_level"\} 400/);
    },
  );

  it('answers large columnar batches one after another whole: each written into the buffer of the one before', async () => {
    const app = makeApp({ scorer: predictor }).app;
    // Over 1 MB each (the answers whose buffers are reused), then a smaller one in between.
    const times = (k: number): FeatureInput[] => Array.from({ length: k }, () => rows).flat();
    const batches = [times(5), rows.slice(0, 700), times(4).reverse()];
    const sizes: number[] = [];
    for (const batch of [...batches, ...batches]) {
      const res = await request(app)
        .post('/predict?format=columns')
        .send(columnarRequestOf(batch))
        .expect(200);
      // What an app that never answered before writes (into a new buffer).
      const fresh = await request(makeApp({ scorer: predictor }).app)
        .post('/predict?format=columns')
        .send(columnarRequestOf(batch))
        .expect(200);
      expect(withoutElapsed(res.text)).toBe(withoutElapsed(fresh.text));
      sizes.push(res.text.length);
    }
    expect(sizes.filter((n) => n > 1 << 20)).toHaveLength(4);
  });

  it('400 names the column, the row and the rule', async () => {
    const body = columnarRequestOf([ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE]);
    body.columns.ready_replica_ratio = [1, 2];
    const res = await request(h.app).post('/predict').send(body).expect(400);
    expect(res.body.details).toEqual([
      expect.objectContaining({ field: 'columns.ready_replica_ratio[1]', rule: 'max', got: 2 }),
    ]);
    expect(res.body.error).toMatch(
      /^invalid request body: columns\.ready_replica_ratio\[1\] must be ≤ 1/,
    );
  });
});
