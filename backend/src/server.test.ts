/** The lifecycle in-process, with the interface fake: loading → ready → draining → closed. */
import { describe, expect, it } from '@jest/globals';
import { request, type ClientRequest } from 'node:http';
import { pino } from 'pino';
import { ORIGINAL_HEALTHY_EXAMPLE } from '@aiops/model';
import { FakeScorer } from '../test/fakeScorer.js';
import { startServer } from './server.js';
import type { BatchPool, RiskScorer } from './types.js';
import { ScoringWorkerError } from './pool/scoringPool.js';

const options = {
  port: 0,
  host: '127.0.0.1',
  batchLimit: 100,
  bodyLimit: '1mb',
  corsOrigins: [] as string[],
  shutdownTimeoutMs: 5_000,
};
const logger = pino({ level: 'silent' });

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A POST /predict whose headers were accepted (100 Continue) and whose body is not sent yet. */
async function inFlight(port: number): Promise<ClientRequest> {
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/predict',
    headers: { 'content-type': 'application/json', 'content-length': 1000, expect: '100-continue' },
  });
  req.on('error', () => undefined);
  await new Promise<void>((resolve) => req.once('continue', () => resolve()));
  return req;
}

describe('startServer', () => {
  it('answers /healthz while loading, turns ready once the model is loaded, drains on shutdown', async () => {
    const load = deferred<RiskScorer>();
    const scorer = new FakeScorer();
    const running = await startServer(options, {
      logger,
      loadScorer: () => load.promise,
      loadHeldout: async () => ({ overall: { rocAuc: 0.9 } }),
    });
    const base = `http://127.0.0.1:${running.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);

    load.resolve(scorer);
    await running.ready;
    expect(scorer.calls).toBeGreaterThan(1_000); // warmed up
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const model = (await (await fetch(`${base}/model`)).json()) as { evaluation: unknown };
    expect(model.evaluation).toEqual({
      validation: { validationRocAuc: 0.5 },
      heldout: { overall: { rocAuc: 0.9 } },
    });
    const predicted = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ORIGINAL_HEALTHY_EXAMPLE),
    });
    expect(predicted.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('model_info{version="fake-1",engine="fake"} 1');

    expect(await running.shutdown()).toBe(true);
    expect(running.model.state).toBe('draining');
    expect(running.server.listening).toBe(false);
  });

  it('gives up on requests still in flight after the deadline and says so', async () => {
    const running = await startServer(
      { ...options, shutdownTimeoutMs: 50 },
      { logger, loadScorer: async () => new FakeScorer() },
    );
    await running.ready;
    const stuck = await inFlight(running.port);
    const closed = new Promise<void>((resolve) => stuck.once('close', () => resolve()));
    expect(await running.shutdown()).toBe(false);
    await closed; // its socket was cut
  });

  it('rejects `ready` when the model cannot be loaded', async () => {
    const running = await startServer(options, {
      logger,
      loadScorer: async () => {
        throw new Error('no artifact');
      },
    });
    await expect(running.ready).rejects.toThrow('no artifact');
    expect((await fetch(`http://127.0.0.1:${running.port}/readyz`)).status).toBe(503);
    expect(await running.shutdown()).toBe(true);
  });
});

describe('startServer with scoring threads', () => {
  /** A pool that scores nothing (the FakeScorer's batches stay below its minRows). */
  const fakePool = (closed: string[]): BatchPool => ({
    version: 'fake',
    threshold: 0.5,
    minRows: 1_000_000,
    threads: 2,
    score: () => Promise.reject(new Error('not used')),
    close: async () => void closed.push('closed'),
  });

  it('starts the pool once the model is loaded, reports its threads and failures, closes it on shutdown', async () => {
    const closed: string[] = [];
    let report: ((err: ScoringWorkerError) => void) | undefined;
    const running = await startServer(options, {
      logger,
      loadScorer: async () => new FakeScorer(),
      startPool: async (onFailure) => {
        report = onFailure;
        return fakePool(closed);
      },
    });
    await running.ready;
    expect(running.model.pool).toBeDefined();
    const metrics = async (): Promise<string> => running.metrics.registry.metrics();
    expect(await metrics()).toMatch(/^scoring_threads 2$/m);
    report!(new ScoringWorkerError('exit', 'a scoring worker exited (code 1)'));
    expect(await metrics()).toMatch(/^scoring_worker_failures_total\{reason="exit"\} 1$/m);
    expect(closed).toEqual([]);
    expect(await running.shutdown()).toBe(true);
    expect(closed).toEqual(['closed']);
  });

  it('a pool that cannot start leaves the main thread scoring: ready all the same', async () => {
    const running = await startServer(options, {
      logger,
      loadScorer: async () => new FakeScorer(),
      startPool: () => Promise.reject(new Error('no threads')),
    });
    await running.ready;
    expect(running.model.pool).toBeUndefined();
    expect(running.model.state).toBe('ready');
    expect(await running.metrics.registry.metrics()).toMatch(/^scoring_threads 1$/m);
    expect(await running.shutdown()).toBe(true);
  });
});
