import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { ORIGINAL_HEALTHY_EXAMPLE, columnarRequestOf, type FeatureInput } from '@aiops/model';
import type { RequestContext } from '@aiops/model/scoring/requestColumns';
import { PredictClient, PredictError } from './predict.js';

let server: Server;
let url: string;
let bodies: unknown[];
let urls: (string | undefined)[];
/** Requests whose headers arrived (a body cut short by the client's timeout is never in `bodies`). */
let arrived: number;
let reply: (n: number) => { status: number; body: unknown } | 'hang';

beforeEach(async () => {
  bodies = [];
  urls = [];
  arrived = 0;
  server = createServer((req, res) => {
    arrived++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
      urls.push(req.url);
      const r = reply(bodies.length);
      if (r === 'hang') return;
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const prediction = {
  risk: 0.1,
  level: 'low',
  threshold: 0.5,
  explanation: [],
  imputed: [],
  model: { version: 'x' },
};
const client = (retries = 2, timeoutMs = 300) =>
  new PredictClient({ url, timeoutMs, retries, sleep: async () => undefined });

describe('PredictClient', () => {
  it('sends one batched POST and returns predictions in order', async () => {
    reply = () => ({
      status: 200,
      body: { predictions: [prediction, { ...prediction, risk: 0.9 }], elapsed_ms: 2 },
    });
    const out = await client().predict([ORIGINAL_HEALTHY_EXAMPLE, ORIGINAL_HEALTHY_EXAMPLE]);
    expect(out.map((p) => p.risk)).toEqual([0.1, 0.9]);
    expect(bodies).toEqual([
      columnarRequestOf([ORIGINAL_HEALTHY_EXAMPLE, ORIGINAL_HEALTHY_EXAMPLE]),
    ]);
  });

  it('sends the rows as columns, baselines and SLOs included', async () => {
    const rows: FeatureInput[] = [
      { ...ORIGINAL_HEALTHY_EXAMPLE, replicas: 3 },
      {
        ...ORIGINAL_HEALTHY_EXAMPLE,
        baseline: { cpu_usage_pct: { p10: 1, p50: 2, p90: 3 } },
        slo: { availability: 0.999 },
      },
    ];
    reply = () => ({ status: 200, body: { predictions: [prediction, prediction] } });
    await client().predict(rows);
    const sent = bodies[0] as { columns: Record<string, unknown>; baseline: unknown; slo: unknown };
    expect(sent.columns.cpu_usage_pct).toEqual([0.65, 0.65]);
    expect(sent.columns.replicas).toEqual([3, null]);
    expect(sent.baseline).toEqual({
      cpu_usage_pct: { p10: [null, 1], p50: [null, 2], p90: [null, 3] },
    });
    expect(sent.slo).toEqual([null, { availability: 0.999 }]);
  });

  /** An older backend: only `instances` (answering `status` to anything else). */
  const olderBackend =
    (status: number) =>
    (n: number): { status: number; body: unknown } =>
      'instances' in (bodies[n - 1] as object)
        ? { status: 200, body: { predictions: [prediction] } }
        : { status, body: { error: 'invalid request body: columns unknown field' } };

  it.each([[400], [415]])(
    'falls back to rows once when the backend refuses columns with %p, and remembers',
    async (status) => {
      reply = olderBackend(status);
      const c = client();
      expect(await c.predict([ORIGINAL_HEALTHY_EXAMPLE])).toEqual([prediction]);
      expect(c.requestForm).toBe('rows');
      expect(await c.predict([ORIGINAL_HEALTHY_EXAMPLE])).toEqual([prediction]);
      expect(bodies.map((b) => Object.keys(b as object))).toEqual([
        ['columns'],
        ['instances'],
        ['instances'],
      ]);
    },
  );

  it('with a context, sends its baseline and SLO: as columns, and as objects to an older backend', async () => {
    /** Row 0: a baseline and an SLO from the context (none on the instance); row 1: none. */
    const context: RequestContext = {
      fillBaseline(signal, stat, into) {
        if (signal !== 'cpu_usage_pct' || stat !== 'p50') return false;
        into[0] = 2;
        return true;
      },
      slo: (r) => (r === 0 ? { availability: 0.999 } : undefined),
    };
    const rows = [ORIGINAL_HEALTHY_EXAMPLE, { ...ORIGINAL_HEALTHY_EXAMPLE, replicas: 3 }];
    const withObjects: FeatureInput[] = [
      { ...rows[0]!, baseline: { cpu_usage_pct: { p50: 2 } }, slo: { availability: 0.999 } },
      rows[1]!,
    ];
    reply = (n) =>
      'instances' in (bodies[n - 1] as object)
        ? { status: 200, body: { predictions: [prediction, prediction] } }
        : { status: 400, body: { error: 'invalid request body: columns unknown field' } };
    await client().predict(rows, context);
    expect(bodies).toEqual([columnarRequestOf(withObjects), { instances: withObjects }]);
  });

  it('keeps sending columns when the rows are refused too (bad input, not an older backend)', async () => {
    reply = () => ({ status: 400, body: { error: 'invalid request body: cpu_usage_pct' } });
    const c = client();
    const err = await c.predict([ORIGINAL_HEALTHY_EXAMPLE]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PredictError);
    expect((err as PredictError).status).toBe(400);
    expect(c.requestForm).toBe('columns');
    await c.predict([ORIGINAL_HEALTHY_EXAMPLE]).catch(() => undefined);
    expect(bodies.map((b) => Object.keys(b as object)[0])).toEqual([
      'columns',
      'instances',
      'columns',
      'instances',
    ]);
  });

  it('does not fall back on a 5xx: it retries the columns', async () => {
    reply = (n) =>
      n === 1 ? { status: 503, body: {} } : { status: 200, body: { predictions: [prediction] } };
    const c = client();
    expect(await c.predict([ORIGINAL_HEALTHY_EXAMPLE])).toEqual([prediction]);
    expect(bodies.map((b) => Object.keys(b as object)[0])).toEqual(['columns', 'columns']);
    expect(c.requestForm).toBe('columns');
  });

  it('sends nothing for no instances', async () => {
    expect(await client().predict([])).toEqual([]);
    expect(bodies).toHaveLength(0);
  });

  it('retries 500 and 503', async () => {
    reply = (n) =>
      n < 3
        ? { status: n === 1 ? 500 : 503, body: {} }
        : { status: 200, body: { predictions: [prediction] } };
    expect(await client().predict([ORIGINAL_HEALTHY_EXAMPLE])).toHaveLength(1);
    expect(bodies).toHaveLength(3);
  });

  it('does not retry a 400 and names the status and the answer', async () => {
    reply = () => ({
      status: 400,
      body: { error: 'invalid', details: ['cpu_usage_pct: must be ≤ 1000'] },
    });
    const err = await client()
      .predict([ORIGINAL_HEALTHY_EXAMPLE])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PredictError);
    expect((err as PredictError).status).toBe(400);
    expect((err as Error).message).toContain('HTTP 400');
    expect((err as Error).message).toContain('cpu_usage_pct');
    // Not retried: the columns once, then the same rows once (an older backend would take them).
    expect(bodies.map((b) => Object.keys(b as object)[0])).toEqual(['columns', 'instances']);
  });

  it('times out', async () => {
    reply = () => 'hang';
    // Counted on arrival: on a loaded machine the retry's body may not be read within the
    // timeout, and the request is abandoned before the server has it (a CI run lost it so).
    const err = await client(1, 200)
      .predict([ORIGINAL_HEALTHY_EXAMPLE])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PredictError);
    expect((err as Error).message).toBe(
      'POST /predict failed: no answer within 200 ms (ECONNABORTED)',
    );
    expect(arrived).toBe(2);
  });

  it('asks for the columnar answer and still takes prediction objects from an older backend', async () => {
    reply = () => ({ status: 200, body: { predictions: [prediction] } });
    expect(await client().predict([ORIGINAL_HEALTHY_EXAMPLE])).toEqual([prediction]);
    expect(urls).toEqual(['/predict?format=columns']);
  });

  const three = [
    { feature: 'http_5xx_error_rate', value: 0.3, contribution: 0.4, reference: 0 },
    { feature: 'cpu_usage_pct', value: 90, contribution: -0.2, reference: 40 },
    { feature: 'replicas', value: 3, contribution: 0.1, reference: 3 },
  ];
  /** A columnar answer with `three` for its one row, whatever `?explain=` asked. */
  const columnsOfThree = {
    format: 'columns',
    model: { version: 'x' },
    threshold: 0.5,
    features: ['http_5xx_error_rate', 'cpu_usage_pct', 'replicas'],
    risk: [0.9],
    level: ['high'],
    layer: ['model'],
    rule: [null],
    reason: [null],
    inconclusive: [null],
    imputed: [[]],
    model_risk: [0.9],
    reference_risk: [0.1],
    explanation: {
      feature: [[0, 1, 2]],
      contribution: [three.map((c) => c.contribution * 1e6)],
      value: [three.map((c) => c.value)],
      reference: [three.map((c) => c.reference)],
    },
  };
  const explaining = (explain: number | 'all') =>
    new PredictClient({ url, timeoutMs: 300, retries: 0, explain });

  it.each<[string, number | 'all', string, number]>([
    ['none', 0, '/predict?format=columns&explain=0', 0],
    ['the top 2', 2, '/predict?format=columns&explain=2', 2],
    ['more than there are', 5, '/predict?format=columns&explain=5', 3],
    ['all', 'all', '/predict?format=columns', 3],
  ])(
    'asks for %s of the contributions and keeps no more, from a backend that ignores it (columns)',
    async (_name, explain, asked, kept) => {
      reply = () => ({ status: 200, body: columnsOfThree });
      const [p] = await explaining(explain).predict([ORIGINAL_HEALTHY_EXAMPLE]);
      expect(urls).toEqual([asked]);
      expect(p?.explanation).toEqual(three.slice(0, kept));
    },
  );

  it('keeps no more contributions than asked from an older backend answering objects', async () => {
    reply = () => ({ status: 200, body: { predictions: [{ ...prediction, explanation: three }] } });
    const [p] = await explaining(1).predict([ORIGINAL_HEALTHY_EXAMPLE]);
    expect(p?.explanation).toEqual(three.slice(0, 1));
  });

  it('rejects a columnar answer with the wrong number of rows, naming it', async () => {
    reply = () => ({
      status: 200,
      body: { format: 'columns', model: { version: 'x' }, threshold: 0.5, features: [], risk: [] },
    });
    const err = await client()
      .predict([ORIGINAL_HEALTHY_EXAMPLE])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PredictError);
    expect((err as Error).message).toBe('POST /predict answered not a columnar answer for 1 rows');
  });

  it('rejects an answer with the wrong number of predictions', async () => {
    reply = () => ({ status: 200, body: { predictions: [] } });
    await expect(client().predict([ORIGINAL_HEALTHY_EXAMPLE])).rejects.toThrow(
      'answered 0 predictions for 1 instances',
    );
  });
});
