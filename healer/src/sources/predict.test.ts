import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { ORIGINAL_HEALTHY_EXAMPLE } from '@aiops/model';
import { PredictClient, PredictError } from './predict.js';

let server: Server;
let url: string;
let bodies: unknown[];
let urls: (string | undefined)[];
let reply: (n: number) => { status: number; body: unknown } | 'hang';

beforeEach(async () => {
  bodies = [];
  urls = [];
  server = createServer((req, res) => {
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
    expect(bodies).toEqual([{ instances: [ORIGINAL_HEALTHY_EXAMPLE, ORIGINAL_HEALTHY_EXAMPLE] }]);
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
    expect(bodies).toHaveLength(1);
  });

  it('times out', async () => {
    reply = () => 'hang';
    const err = await client(1, 50)
      .predict([ORIGINAL_HEALTHY_EXAMPLE])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PredictError);
    expect(bodies).toHaveLength(2);
  });

  it('asks for the columnar answer and still takes prediction objects from an older backend', async () => {
    reply = () => ({ status: 200, body: { predictions: [prediction] } });
    expect(await client().predict([ORIGINAL_HEALTHY_EXAMPLE])).toEqual([prediction]);
    expect(urls).toEqual(['/predict?format=columns']);
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
