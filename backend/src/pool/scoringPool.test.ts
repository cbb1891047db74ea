/**
 * The scoring pool with the real model and real worker threads: the pooled answer is the
 * in-thread answer byte for byte (rows and columnar bodies, baselines, SLOs, explanations, both
 * answer forms), and a worker that dies, throws or never starts loses no request.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Worker } from 'node:worker_threads';
import request from 'supertest';
import {
  columnarRequestOf,
  joinColumnSegments,
  writeColumns,
  type FeatureInput,
} from '@aiops/model';
import { Predictor, PredictInputError } from '@aiops/model/predictor';
import { makeApp, type Harness } from '../../test/harness.js';
import { validRows } from '../../test/validRows.js';
import {
  ScoringPool,
  spawnScoringWorker,
  type ScoringPoolOptions,
  type ScoringWorkerError,
} from './scoringPool.js';
import type { ScoringWorkerData } from './protocol.js';

let predictor: Predictor;
let data: ScoringWorkerData;
let pool: ScoringPool;
const failures: ScoringWorkerError[] = [];
let inThread: Harness;
let pooled: Harness;

beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
  data = { metadata: predictor.metadata, weights: predictor.scorer.mlp.weights, warmupRounds: 1 };
  pool = await ScoringPool.start({
    data,
    workers: 1,
    minRows: 2,
    onFailure: (e) => failures.push(e),
  });
  inThread = makeApp({ scorer: predictor });
  pooled = makeApp({ scorer: predictor });
  pooled.model.setPool(pool);
}, 60_000);
afterAll(async () => {
  await pool.close();
  predictor.dispose();
});

/** Valid random rows (omitted features, baselines, SLO windows) and edge rows, in one batch. */
const ROWS: FeatureInput[] = validRows(20261130, 1_500);
const strip = (text: string): string => text.replace(/"elapsed_ms":[0-9.e+-]+/, '');
const columnsOf = (rows: readonly FeatureInput[]): string =>
  writeColumns(predictor.score(rows)).toString();
const pooledColumns = async (p: ScoringPool, rows: readonly FeatureInput[]): Promise<string> =>
  joinColumnSegments(
    p.version,
    p.threshold,
    await p.score(rows, { cols: undefined, explain: undefined, format: 'columns' }),
  ).toString();

async function until(ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pool of one worker started by `spawn`, failures collected. */
async function poolWith(
  spawn: ScoringPoolOptions['spawn'],
  more: Partial<ScoringPoolOptions> = {},
): Promise<{ p: ScoringPool; failed: ScoringWorkerError[] }> {
  const failed: ScoringWorkerError[] = [];
  const p = await ScoringPool.start({
    data,
    workers: 1,
    minRows: 2,
    spawn,
    onFailure: (e) => failed.push(e),
    ...more,
  });
  return { p, failed };
}

describe('POST /predict scored by the pool', () => {
  it.each<[form: 'rows' | 'columns', query: string]>([
    ['rows', '?format=columns'],
    ['rows', ''],
    ['rows', '?explain=3'],
    ['rows', '?explain=0&format=columns'],
    ['columns', '?format=columns'],
    ['columns', '?explain=2'],
  ])('a %s body%s answers the same bytes as the main thread alone', async (form, query) => {
    expect(pool.threads).toBe(2);
    expect(ROWS.length).toBeGreaterThan(700);
    const body = form === 'rows' ? { instances: ROWS } : columnarRequestOf(ROWS);
    const one = await request(inThread.app).post(`/predict${query}`).send(body).expect(200);
    const two = await request(pooled.app).post(`/predict${query}`).send(body).expect(200);
    expect(strip(two.text)).toBe(strip(one.text));
    expect(two.headers['content-type']).toBe(one.headers['content-type']);
    // The pooled path answered (it names its write phase) and no worker failed.
    expect(two.headers['server-timing']).toMatch(/score;dur=[\d.]+, write;dur=[\d.]+$/);
    expect(failures).toEqual([]);
  });

  it('counts the same levels and abstentions in the metrics as the main thread alone', async () => {
    const body = columnarRequestOf(ROWS);
    await request(inThread.app).post('/predict?format=columns').send(body).expect(200);
    await request(pooled.app).post('/predict?format=columns').send(body).expect(200);
    const counted = async (h: Harness): Promise<string> =>
      (await h.metrics.registry.metrics())
        .split('\n')
        .filter((l) => /^predictions(_inconclusive)?_total/.test(l))
        .join('\n');
    expect(await counted(pooled)).toBe(await counted(inThread));
  });

  it('400 names the field and row of bad input, as without the pool', async () => {
    const body = columnarRequestOf(ROWS.map((r) => ({ ...r, baseline: undefined })));
    (body.columns.cpu_usage_pct as unknown[])[600] = 'high';
    const res = await request(pooled.app).post('/predict').send(body).expect(400);
    expect(res.body.details).toEqual([
      expect.objectContaining({ field: 'columns.cpu_usage_pct[600]', rule: 'type' }),
    ]);
  });

  it('answers a single-row body as a single prediction, on the main thread', async () => {
    const one = await request(inThread.app).post('/predict').send(ROWS[1]).expect(200);
    const two = await request(pooled.app).post('/predict').send(ROWS[1]).expect(200);
    expect(strip(two.text)).toBe(strip(one.text));
    expect(two.body.risk).toEqual(expect.any(Number));
  });

  it('scores a batch below SCORING_POOL_MIN_ROWS on the main thread (no write phase)', async () => {
    const strict = makeApp({ scorer: predictor });
    strict.model.setPool({
      version: pool.version,
      threshold: pool.threshold,
      threads: pool.threads,
      minRows: 3,
      score: () => Promise.reject(new Error('a batch below minRows went to the pool')),
      close: () => Promise.resolve(),
    });
    const res = await request(strict.app)
      .post('/predict')
      .send({ instances: ROWS.slice(0, 2) })
      .expect(200);
    expect(res.headers['server-timing']).not.toMatch(/write/);
    await request(strict.app)
      .post('/predict')
      .send({ instances: ROWS.slice(0, 3) })
      .expect(500);
  });
});

describe('worker failures', () => {
  it('a worker that dies mid-request loses nothing: its slice is scored here, reported, and a new worker started', async () => {
    let spawned = 0;
    const { p, failed } = await poolWith((d) => {
      const w: Worker = spawnScoringWorker(d);
      if (spawned++ === 0) {
        // The first worker dies as soon as it has been handed a slice.
        const post = w.postMessage.bind(w);
        w.postMessage = (msg, transfer) => {
          post(msg, transfer);
          void w.terminate();
        };
      }
      return w;
    });
    try {
      expect(p.threads).toBe(2);
      expect(await pooledColumns(p, ROWS)).toBe(columnsOf(ROWS));
      expect(failed.map((e) => [e.name, e.reason])).toEqual([['ScoringWorkerError', 'exit']]);
      await until(() => p.threads === 2);
      expect(spawned).toBe(2);
      expect(await pooledColumns(p, ROWS)).toBe(columnsOf(ROWS));
      expect(failed).toHaveLength(1);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('a worker that never answers is replaced after the slice deadline: the request is answered in full, one failure reported', async () => {
    let spawned = 0;
    const { p, failed } = await poolWith(
      (d) => {
        const w: Worker = spawnScoringWorker(d);
        if (spawned++ === 0) {
          // The first worker swallows every slice it is handed: it is up, but hung.
          w.postMessage = () => undefined;
        }
        return w;
      },
      // long enough for the fresh replacement's first (cold) slice on a loaded box, where 300 ms
      // timed it out too
      { sliceTimeoutMs: 3_000 },
    );
    try {
      expect(p.threads).toBe(2);
      expect(await pooledColumns(p, ROWS)).toBe(columnsOf(ROWS));
      expect(failed.map((e) => [e.reason, e.message])).toEqual([
        ['timeout', 'a scoring worker did not answer a slice in 3000 ms'],
      ]);
      await until(() => p.threads === 2 && spawned === 2);
      expect(await pooledColumns(p, ROWS)).toBe(columnsOf(ROWS));
      expect(failed).toHaveLength(1);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('a slice the worker cannot score is scored here and fails as it would have (typed error)', async () => {
    const bad = [...ROWS.slice(0, 10), { cpu_usage_pct: 1 } as unknown as FeatureInput];
    const failedBefore = failures.length;
    await expect(
      pool.score(bad, { cols: undefined, explain: undefined, format: 'columns' }),
    ).rejects.toBeInstanceOf(PredictInputError);
    expect(failures.slice(failedBefore).map((e) => e.reason)).toEqual(['job']);
    failures.length = failedBefore;
    // The worker is still there.
    expect(pool.threads).toBe(2);
  });

  it('a worker that cannot be started leaves the main thread scoring alone', async () => {
    const { p, failed } = await poolWith(() => {
      throw new Error('no threads here');
    });
    try {
      expect(p.threads).toBe(1);
      expect(failed.map((e) => e.reason)).toEqual(['start']);
      expect(await pooledColumns(p, ROWS)).toBe(columnsOf(ROWS));
    } finally {
      await p.close();
    }
  });

  it('a worker that keeps exiting before it is ready is restarted 3 times, then left out', async () => {
    const { Worker: W } = await import('node:worker_threads');
    let spawned = 0;
    const { p, failed } = await poolWith(() => {
      spawned++;
      return new W('process.exit(3)', { eval: true });
    });
    try {
      await until(() => failed.length === 3);
      await new Promise((r) => setTimeout(r, 200));
      expect(spawned).toBe(3);
      expect(failed.map((e) => e.reason)).toEqual(['start', 'start', 'start']);
      expect(p.threads).toBe(1);
      expect(await pooledColumns(p, ROWS)).toBe(columnsOf(ROWS));
    } finally {
      await p.close();
    }
  }, 30_000);
});
