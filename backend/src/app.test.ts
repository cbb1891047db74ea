import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CRASH_LOOP_EXAMPLE, FEATURES, LEVEL_CUTS, ORIGINAL_HEALTHY_EXAMPLE } from '@aiops/model';
import { FakeScorer } from '../test/fakeScorer.js';
import { makeApp } from '../test/harness.js';
import { openApiValidator } from '../test/openapiValidator.js';

const healthy = ORIGINAL_HEALTHY_EXAMPLE;

describe('POST /predict', () => {
  it('200: scores the original healthy body with explanation, imputed, model and elapsed_ms', async () => {
    const { app } = makeApp();
    const res = await request(app).post('/predict').send(healthy).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.risk).toBeGreaterThanOrEqual(0);
    expect(res.body.risk).toBeLessThanOrEqual(1);
    expect(['low', 'elevated', 'high', 'critical']).toContain(res.body.level);
    expect(res.body.threshold).toBe(0.5);
    expect(res.body.explanation).toHaveLength(FEATURES.length);
    expect(res.body.imputed).toEqual(FEATURES.filter((f) => !f.required).map((f) => f.name));
    expect(res.body.model).toEqual({ version: 'fake-1' });
    expect(res.body.elapsed_ms).toBeGreaterThan(0);
  });

  it('200: scores a batch in request order', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/predict')
      .send({ instances: [healthy, CRASH_LOOP_EXAMPLE, healthy] })
      .expect(200);
    const risks = (res.body.predictions as { risk: number }[]).map((p) => p.risk);
    expect(risks).toHaveLength(3);
    expect(risks[0]).toBe(risks[2]);
    expect(risks[1]).toBeGreaterThan(risks[0]!);
    expect(res.body.elapsed_ms).toBeGreaterThan(0);
  });

  it.each([[''], ['?format=columns']])(
    '200: a batch says where its elapsed_ms went in Server-Timing (body, validate, score) %p',
    async (query) => {
      const { app } = makeApp();
      const res = await request(app)
        .post(`/predict${query}`)
        .send({ instances: [healthy, CRASH_LOOP_EXAMPLE] })
        .expect(200);
      const header = String(res.headers['server-timing']);
      const m = /^body;dur=([\d.]+), validate;dur=([\d.]+), score;dur=([\d.]+)$/.exec(header);
      expect(m).not.toBeNull();
      const sum = Number(m![1]) + Number(m![2]) + Number(m![3]);
      // Each phase is rounded to the microsecond, as elapsed_ms is.
      expect(Math.abs(sum - (res.body.elapsed_ms as number))).toBeLessThanOrEqual(0.002);
      // A single row's answer carries no header: its per-request cost is the benchmark's bar.
      const single = await request(app).post('/predict').send(healthy).expect(200);
      expect(single.headers['server-timing']).toBeUndefined();
    },
  );

  it.each([
    ['3', 3],
    ['0', 0],
    ['all', FEATURES.length],
    ['99', FEATURES.length],
  ])('200: ?explain=%s keeps the top contributions', async (explain, kept) => {
    const { app } = makeApp();
    const full = await request(app).post('/predict').send(CRASH_LOOP_EXAMPLE).expect(200);
    const res = await request(app)
      .post(`/predict?explain=${explain}`)
      .send({ instances: [CRASH_LOOP_EXAMPLE] })
      .expect(200);
    expect(res.body.predictions[0].explanation).toEqual(full.body.explanation.slice(0, kept));
  });

  it.each(['-1', 'top', '1.5', '1000'])(
    '400: ?explain=%s names the query field',
    async (explain) => {
      const { app } = makeApp();
      const res = await request(app).post(`/predict?explain=${explain}`).send(healthy).expect(400);
      expect(res.body.details).toEqual([
        expect.objectContaining({ field: 'explain', rule: 'type' }),
      ]);
    },
  );

  it.each([
    ['explian=3', 'explian'],
    ['explain[a]=1', 'explain[a]'],
    ['format[]=columns', 'format[]'],
  ])('400: ?%s, an unknown parameter, is named rather than ignored', async (query, field) => {
    const { app } = makeApp();
    const res = await request(app).post(`/predict?${query}`).send(healthy).expect(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field, rule: 'unknown' })]);
  });

  it('200: ?format=columns answers the columnar form, rows in order, with the default risks', async () => {
    const { app } = makeApp();
    const rows = [healthy, CRASH_LOOP_EXAMPLE];
    const objects = await request(app).post('/predict').send({ instances: rows }).expect(200);
    const res = await request(app)
      .post('/predict?format=columns&explain=2')
      .send({ instances: rows })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body.format).toBe('columns');
    expect(res.body.risk).toEqual(objects.body.predictions.map((p: { risk: number }) => p.risk));
    expect(res.body.explanation.feature.map((f: number[]) => f.length)).toEqual([2, 2]);
    expect(res.body.elapsed_ms).toBeGreaterThan(0);
    const def = await request(app).post('/predict?format=objects').send(healthy).expect(200);
    expect(def.body.risk).toBe(objects.body.predictions[0].risk);
  });

  it.each(['column', 'COLUMNS', ''])('400: ?format=%s names the query field', async (format) => {
    const { app } = makeApp();
    const res = await request(app).post(`/predict?format=${format}`).send(healthy).expect(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'format', rule: 'type' })]);
  });

  it('200: a batch over 500 rows is streamed in pieces as the same JSON, in order', async () => {
    const { app } = makeApp();
    const rows = Array.from({ length: 1_201 }, (_, i) => ({
      ...healthy,
      restart_count_last_5m: i % 7,
    }));
    const res = await request(app).post('/predict?explain=2').send({ instances: rows }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.elapsed_ms).toBeGreaterThan(0);
    expect(res.body.predictions).toHaveLength(rows.length);
    const single = await request(app).post('/predict').send(rows[1_200]).expect(200);
    expect(res.body.predictions[1_200].risk).toBe(single.body.risk);
    expect(res.body.predictions[1_200].explanation).toEqual(single.body.explanation.slice(0, 2));
  });

  it('400: names the field and rule for a bad batch row', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/predict')
      .send({ instances: [healthy, { ...healthy, cpu_usage_pct: '3' }] })
      .expect(400);
    expect(res.body.error).toContain('instances[1].cpu_usage_pct');
    expect(res.body.details).toEqual([
      expect.objectContaining({ field: 'instances[1].cpu_usage_pct', rule: 'type', got: '3' }),
    ]);
  });

  it.each([
    ['malformed JSON', '{"restart_count_last_5m": 0,'],
    ['a bare NaN literal', '{"cpu_usage_pct": NaN}'],
    ['an empty body', ''],
  ])('400: %s is a client error, not a 500', async (_name, raw) => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/predict')
      .set('content-type', 'application/json')
      .send(raw)
      .expect(400);
    expect(typeof res.body.error).toBe('string');
  });

  it('400: 1e999 (Infinity via JSON) is rejected by the finite rule', async () => {
    const { app } = makeApp();
    const raw = JSON.stringify(healthy).replace(
      '"memory_usage_bytes":52428800',
      '"memory_usage_bytes":1e999',
    );
    const res = await request(app)
      .post('/predict')
      .set('content-type', 'application/json')
      .send(raw)
      .expect(400);
    expect(res.body.details).toEqual([
      expect.objectContaining({ field: 'memory_usage_bytes', rule: 'finite', got: 'Infinity' }),
    ]);
  });

  it('400: a POST without a body', async () => {
    const { app } = makeApp();
    const res = await request(app).post('/predict').expect(400);
    expect(res.body.details[0]).toMatchObject({ field: 'body', rule: 'type' });
  });

  it('413: a body over BODY_LIMIT', async () => {
    const { app } = makeApp({ bodyLimit: 1024 });
    const res = await request(app)
      .post('/predict')
      .send({ instances: Array(20).fill(healthy) })
      .expect(413);
    expect(res.body.error).toContain('1024');
  });

  it('415: a non-JSON content type', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/predict')
      .set('content-type', 'text/plain')
      .send(JSON.stringify(healthy))
      .expect(415);
    expect(res.body.error).toContain('text/plain');
  });

  it('415: a non-UTF-8 JSON charset', async () => {
    const { app } = makeApp();
    await request(app)
      .post('/predict')
      .set('content-type', 'application/json; charset=latin1')
      .send(JSON.stringify(healthy))
      .expect(415);
  });

  it.each([['gzip'], ['deflate'], ['br']])(
    '400: a body that is not the %s its content-encoding says, naming the encoding',
    async (encoding) => {
      const { app } = makeApp();
      const res = await request(app)
        .post('/predict')
        .set('content-type', 'application/json')
        .set('content-encoding', encoding)
        .send(JSON.stringify(healthy))
        .expect(400);
      expect(res.body.error).toBe(
        `request body is not valid ${encoding} data (content-encoding: ${encoding})`,
      );
    },
  );

  it('415: an unknown content-encoding, named (not blamed on the content type)', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/predict')
      .set('content-type', 'application/json')
      .set('content-encoding', 'br2')
      .send(JSON.stringify(healthy))
      .expect(415);
    expect(res.body.error).toBe(
      'content-encoding must be identity, gzip, deflate or br, got "br2"',
    );
  });

  it('405: GET /predict, with Allow', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/predict').expect(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.error).toContain('GET');
  });

  it('503: before the model is loaded', async () => {
    const { app } = makeApp({ scorer: null });
    const res = await request(app).post('/predict').send(healthy).expect(503);
    expect(res.body.error).toContain('loading');
  });

  it('500: a model fault is a JSON 500 without internals', async () => {
    const broken = new FakeScorer();
    broken.predict = () => {
      throw new Error('tensor shape mismatch');
    };
    const { app } = makeApp({ scorer: broken });
    const res = await request(app).post('/predict').send(healthy).expect(500);
    expect(res.body).toEqual({ error: 'internal server error' });
  });
});

describe('GET /model', () => {
  it('200: version, threshold, levels, feature schema and metadata', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/model').expect(200);
    expect(res.body).toMatchObject({
      version: 'fake-1',
      threshold: 0.5,
      engine: 'fake',
      levels: { cuts: LEVEL_CUTS },
      batch_limit: 10_000,
      evaluation: { validation: { validationRocAuc: 0.5 }, heldout: null },
      metadata: { metrics: { validationRocAuc: 0.5 } },
    });
    expect(res.body.features.map((f: { name: string }) => f.name)).toEqual(
      FEATURES.map((f) => f.name),
    );
  });

  it('503: before the model is loaded', async () => {
    const { app } = makeApp({ scorer: null });
    await request(app).get('/model').expect(503);
  });

  it('405: POST /model', async () => {
    const { app } = makeApp();
    await request(app).post('/model').send({}).expect(405);
  });
});

describe('shadow mode', () => {
  it('scores every row with the candidate too and reports both; the serving answer is unchanged', async () => {
    const serving = makeApp();
    const h = makeApp();
    h.model.setShadow(new FakeScorer('candidate-2'));
    const body = { instances: [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE] };
    const plain = await request(serving.app).post('/predict').send(body).expect(200);
    const res = await request(h.app).post('/predict').send(body).expect(200);
    res.body.predictions.forEach(
      (p: { risk: number; shadow: { model: { version: string }; risk: number } }, i: number) => {
        expect(p.risk).toBe(plain.body.predictions[i].risk);
        expect(p.shadow.model.version).toBe('candidate-2');
        expect(p.shadow.risk).toBe(p.risk); // the fake scores alike
      },
    );
    expect((await request(h.app).get('/model').expect(200)).body.shadow).toEqual({
      version: 'candidate-2',
      threshold: 0.5,
    });
    expect((await request(serving.app).get('/model').expect(200)).body.shadow).toBeNull();
    const metrics = (await request(h.app).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/shadow_predictions_total\{agreement="same_level"\} 2/);
    const doc = (await request(h.app).get('/openapi.json').expect(200)).body;
    const validate = openApiValidator(doc).response('/predict', 'post', 200);
    expect(validate(res.body) ? [] : validate.errors).toEqual([]);
  });
});

describe('shadow mode with the columnar form', () => {
  it('answers the serving model in columns (no shadow verdicts) and still counts the comparison', async () => {
    const h = makeApp();
    h.model.setShadow(new FakeScorer('candidate-2'));
    const body = { instances: [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE] };
    const plain = await request(makeApp().app).post('/predict?format=columns').send(body);
    const res = await request(h.app).post('/predict?format=columns').send(body).expect(200);
    expect({ ...res.body, elapsed_ms: 0 }).toEqual({ ...plain.body, elapsed_ms: 0 });
    const metrics = (await request(h.app).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/shadow_predictions_total\{agreement="same_level"\} 2/);
  });
});

describe('GET /healthz and /readyz', () => {
  it('200: /healthz while the model is still loading', async () => {
    const { app } = makeApp({ scorer: null });
    expect((await request(app).get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('200: /readyz once the model is loaded', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready', model: { version: 'fake-1' } });
  });

  it('503: /readyz while loading, and again while draining', async () => {
    const { app, model } = makeApp({ scorer: null });
    expect((await request(app).get('/readyz').expect(503)).body.status).toBe('loading');
    model.ready(new FakeScorer());
    await request(app).get('/readyz').expect(200);
    model.drain();
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.status).toBe('draining');
    expect(res.headers.connection).toBe('close');
  });
});

describe('GET /metrics', () => {
  it('200: request, inference, prediction and model metrics in Prometheus text format', async () => {
    const { app, metrics } = makeApp();
    metrics.setModelInfo('fake-1', 'fake');
    await request(app).post('/predict').send(healthy).expect(200);
    await request(app)
      .post('/predict')
      .send({ instances: [healthy, CRASH_LOOP_EXAMPLE] })
      .expect(200);
    await request(app).get('/nope').expect(404);
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toContain('http_requests_total{route="/predict",method="POST",status="200"} 2');
    expect(text).toContain('http_requests_total{route="unmatched",method="GET",status="404"} 1');
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.5",route="\/predict",method="POST",status="200"\} 2/,
    );
    expect(text).toContain('model_inference_duration_seconds_count 2');
    expect(text).toMatch(/predictions_total\{level="(low|elevated|high|critical)"\} \d/);
    const scored = [...text.matchAll(/^predictions_total\{level="\w+"\} (\d+)$/gm)].reduce(
      (s, m) => s + Number(m[1]),
      0,
    );
    expect(scored).toBe(3);
    expect(text).toContain('model_info{version="fake-1",engine="fake"} 1');
  });
});

describe('GET /openapi.json', () => {
  it('200: an OpenAPI 3.1 document', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
  });
});

describe('everything else', () => {
  it('404: unknown routes answer JSON', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/does/not/exist').expect(404);
    expect(res.body).toEqual({ error: 'no route for GET /does/not/exist' });
  });

  it('echoes a sane x-request-id and invents one otherwise', async () => {
    const { app } = makeApp();
    const given = await request(app).get('/healthz').set('x-request-id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const junk = await request(app)
      .get('/healthz')
      .set('x-request-id', 'bad id; drop table')
      .expect(200);
    expect(junk.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers and hides x-powered-by', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/healthz').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // helmet, configured for a JSON API
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('allows the configured CORS origin only', async () => {
    const { app } = makeApp({ corsOrigins: ['http://dash.example'] });
    const pre = await request(app)
      .options('/predict')
      .set('origin', 'http://dash.example')
      .set('access-control-request-method', 'POST')
      .expect(204);
    expect(pre.headers['access-control-allow-origin']).toBe('http://dash.example');
    const other = await request(app).get('/healthz').set('origin', 'http://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers when no origin is configured', async () => {
    const { app } = makeApp({ corsOrigins: [] });
    const res = await request(app).get('/healthz').set('origin', 'http://dash.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
