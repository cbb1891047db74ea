import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deploymentStatus } from '../api/fixtures.js';
import { StatusStore } from '../api/store.js';
import type { RiskPoint } from '../api/types.js';
import { CachedRiskHistory, HistoryBusyError } from './cache.js';
import { createRiskHistory, mergeHistory, PrometheusRiskHistory } from './prometheus.js';

const START = new Date('2026-11-21T11:00:00.000Z');
const END = new Date('2026-11-21T12:00:00.000Z');
const RANGE = { start: START, end: END, stepSeconds: 15 };
const sec = (iso: string): number => Date.parse(iso) / 1000;

/** A local HTTP server answering `/api/v1/query_range` as Prometheus does. */
async function fakePrometheus(
  answer: (url: URL) => { status: number; body: unknown },
): Promise<{ url: string; requests: URL[]; server: Server }> {
  const requests: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url);
    const { status, body } = answer(url);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const matrix = (values: Array<[number, string]>) => ({
  status: 'success',
  data: {
    resultType: 'matrix',
    result: values.length ? [{ metric: { namespace: 'shop', deployment: 'cart' }, values }] : [],
  },
});

describe('PrometheusRiskHistory', () => {
  it('runs one range query for the deployment and returns its points', async () => {
    const prom = await fakePrometheus(() => ({
      status: 200,
      body: matrix([
        [sec('2026-11-21T11:00:00Z'), '0.25'],
        [sec('2026-11-21T11:00:15Z'), 'NaN'],
        [sec('2026-11-21T11:00:30Z'), '0.5'],
      ]),
    }));
    const queries: boolean[] = [];
    const h = new PrometheusRiskHistory({ url: prom.url, onQuery: (ok) => queries.push(ok) });
    const got = await h.history('shop', 'cart', RANGE);
    expect(got).toEqual([
      { t: '2026-11-21T11:00:00.000Z', risk: 0.25 },
      { t: '2026-11-21T11:00:30.000Z', risk: 0.5 },
    ]);
    expect(prom.requests).toHaveLength(1);
    const q = prom.requests[0]!;
    expect(q.pathname).toBe('/api/v1/query_range');
    expect(q.searchParams.get('query')).toBe(
      'max by (namespace, deployment) (aiops_deployment_risk{namespace="shop",deployment="cart"})',
    );
    expect(q.searchParams.get('start')).toBe(String(START.getTime() / 1000));
    expect(q.searchParams.get('step')).toBe('15');
    expect(queries).toEqual([true]);
  });

  it('returns no points for a deployment Prometheus has no series of', async () => {
    const prom = await fakePrometheus(() => ({ status: 200, body: matrix([]) }));
    expect(
      await new PrometheusRiskHistory({ url: prom.url }).history('shop', 'cart', RANGE),
    ).toEqual([]);
  });

  it('escapes label values in PromQL', () => {
    const h = new PrometheusRiskHistory({ url: 'http://127.0.0.1:1' });
    expect(h.query('a"b', 'c\\d')).toBe(
      'max by (namespace, deployment) (aiops_deployment_risk{namespace="a\\"b",deployment="c\\\\d"})',
    );
  });

  it.each([
    ['HTTP 503', { status: 503, body: { status: 'error', error: 'overloaded' } }, /HTTP 503/],
    [
      'an error answer',
      { status: 200, body: { status: 'error', error: 'bad query' } },
      /unexpected answer: bad query/,
    ],
    [
      'a vector instead of a matrix',
      { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } },
      /unexpected answer/,
    ],
  ])('throws a HistoryQueryError on %s', async (_t, answer, msg) => {
    const prom = await fakePrometheus(() => answer);
    const queries: boolean[] = [];
    const h = new PrometheusRiskHistory({ url: prom.url, onQuery: (ok) => queries.push(ok) });
    await expect(h.history('shop', 'cart', RANGE)).rejects.toMatchObject({
      name: 'HistoryQueryError',
      message: expect.stringMatching(msg),
    });
    expect(queries).toEqual([false]);
  });

  it('throws a HistoryQueryError when Prometheus is unreachable', async () => {
    const prom = await fakePrometheus(() => ({ status: 200, body: {} }));
    await new Promise((r) => prom.server.close(r));
    servers.length = 0;
    const h = new PrometheusRiskHistory({ url: prom.url, timeoutMs: 1_000 });
    await expect(h.history('shop', 'cart', RANGE)).rejects.toThrow(
      /risk history of shop\/cart: Prometheus unreachable/,
    );
  });
});

describe('mergeHistory', () => {
  const p = (t: string, risk: number) => ({ t: `2026-11-21T${t}.000Z`, risk });
  it.each([
    ['both empty', [], [], []],
    ['only memory (nothing scraped yet)', [], [p('11:00:00', 0.1)], [p('11:00:00', 0.1)]],
    ['only Prometheus (after a restart)', [p('11:00:00', 0.1)], [], [p('11:00:00', 0.1)]],
    [
      'Prometheus then the newer in-memory points',
      [p('11:00:00', 0.1), p('11:00:15', 0.2)],
      [p('11:00:15', 0.25), p('11:00:30', 0.3)],
      [p('11:00:00', 0.1), p('11:00:15', 0.2), p('11:00:30', 0.3)],
    ],
  ])('%s', (_t, prom, mem, want) => {
    expect(mergeHistory(prom, mem)).toEqual(want);
  });
});

describe('createRiskHistory', () => {
  it('merges Prometheus with the store and propagates Prometheus failures', async () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    store.assessment(
      deploymentStatus({
        risk: 0.7,
        level: 'high',
        state: 'watching',
        updatedAt: '2026-11-21T11:59:50.000Z',
      }),
    );
    const ok = createRiskHistory(
      { history: async () => [{ t: '2026-11-21T11:59:30.000Z', risk: 0.6 }] },
      store,
    );
    expect(await ok('shop', 'cart', RANGE)).toEqual([
      { t: '2026-11-21T11:59:30.000Z', risk: 0.6 },
      { t: '2026-11-21T11:59:50.000Z', risk: 0.7 },
    ]);
    const failing = createRiskHistory(
      {
        history: async () => {
          throw new Error('down');
        },
      },
      store,
    );
    await expect(failing('shop', 'cart', RANGE)).rejects.toThrow('down');
  });
});

describe('CachedRiskHistory', () => {
  const range = (endMs: number) => ({
    start: new Date(endMs - 3_600_000),
    end: new Date(endMs),
    stepSeconds: 15,
  });
  function source() {
    const calls: string[] = [];
    const pending: Array<() => void> = [];
    return {
      calls,
      release: () => pending.splice(0).forEach((r) => r()),
      history: (ns: string, name: string) =>
        new Promise<RiskPoint[]>((resolve) => {
          calls.push(`${ns}/${name}`);
          pending.push(() => resolve([{ t: '2026-01-01T00:00:00.000Z', risk: 0.1 }]));
        }),
    };
  }

  it('answers the same deployment and range from the cache for cacheMs, then asks again', async () => {
    let now = 0;
    const src = source();
    const c = new CachedRiskHistory(src, { cacheMs: 15_000, maxConcurrent: 4, now: () => now });
    const a = c.history('shop', 'web', range(now));
    src.release();
    await a;
    now = 14_999;
    await c.history('shop', 'web', range(now));
    expect(src.calls).toEqual(['shop/web']);
    now = 15_000;
    const b = c.history('shop', 'web', range(now));
    src.release();
    await b;
    expect(src.calls).toEqual(['shop/web', 'shop/web']);
  });

  it('asks once for the same question in flight; beyond maxConcurrent it is busy (memory serves)', async () => {
    const src = source();
    const c = new CachedRiskHistory(src, { cacheMs: 15_000, maxConcurrent: 2, now: () => 0 });
    const p1 = c.history('shop', 'a', range(0));
    const p2 = c.history('shop', 'a', range(0));
    const p3 = c.history('shop', 'b', range(0));
    await expect(c.history('shop', 'c', range(0))).rejects.toBeInstanceOf(HistoryBusyError);
    expect(src.calls).toEqual(['shop/a', 'shop/b']);
    src.release();
    await Promise.all([p1, p2, p3]);
    // slots free again
    const p4 = c.history('shop', 'c', range(0));
    src.release();
    await p4;
  });

  it('does not cache a failure', async () => {
    let fail = true;
    const calls: number[] = [];
    const c = new CachedRiskHistory(
      {
        history: async () => {
          calls.push(1);
          if (fail) throw new Error('down');
          return [];
        },
      },
      { cacheMs: 60_000, maxConcurrent: 1, now: () => 0 },
    );
    await expect(c.history('shop', 'web', range(0))).rejects.toThrow('down');
    fail = false;
    await expect(c.history('shop', 'web', range(0))).resolves.toEqual([]);
    expect(calls).toHaveLength(2);
  });
});
