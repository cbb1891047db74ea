/**
 * The service's lifecycle: listen first (so /healthz answers and /readyz says "loading"), load
 * and warm up the model, then turn ready; on shutdown stop accepting, let in-flight requests
 * finish, and give up after a deadline.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import {
  CRASH_LOOP_EXAMPLE,
  ORIGINAL_HEALTHY_EXAMPLE,
  columnarRequestOf,
  rowColumnsOf,
  type FeatureInput,
} from '@aiops/model';
import { createApp, type AppOptions } from './app.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import { ModelSlot, type BatchPool, type RiskScorer } from './types.js';
import type { ScoringWorkerError } from './pool/scoringPool.js';

export interface ServerOptions extends AppOptions {
  port: number;
  host: string;
  /** How long in-flight requests get after shutdown() before their sockets are closed. */
  shutdownTimeoutMs: number;
}

export interface RunningServer {
  readonly server: Server;
  readonly model: ModelSlot;
  readonly metrics: ServiceMetrics;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Settles once the model is loaded and warmed up (rejects if loading fails). */
  readonly ready: Promise<RiskScorer>;
  /** Drains and closes; resolves `true` if every request finished before the deadline. */
  shutdown(): Promise<boolean>;
}

/** A row as the healer sends it: every feature and its baseline (exercises the whole path). */
const WITH_BASELINE: FeatureInput = {
  ...ORIGINAL_HEALTHY_EXAMPLE,
  http_p95_latency_seconds: 0.2,
  http_requests_per_s: 20,
  baseline: {
    http_p95_latency_seconds: { p10: 0.1, p50: 0.12, p90: 0.15, recent: 0.12, slope: 0 },
    cpu_usage_pct: { p10: 0.5, p50: 0.6, p90: 0.8, recent: 0.6, slope: 0 },
  },
  slo: {
    windows: { '5m': { error_ratio: 0, requests: 600 }, '1h': { error_ratio: 0, requests: 7200 } },
  },
};
/** Rows the warm-up scores so the first real requests do not pay for JIT compilation. */
const WARMUP_ROWS: readonly FeatureInput[] = [
  ORIGINAL_HEALTHY_EXAMPLE,
  CRASH_LOOP_EXAMPLE,
  WITH_BASELINE,
];
const WARMUP_CALLS = 2_000;

export async function startServer(
  opts: ServerOptions,
  deps: {
    logger: Logger;
    loadScorer: () => Promise<RiskScorer>;
    /** The held-out evaluation summary for `GET /model`; undefined when there is none. */
    loadHeldout?: () => Promise<object | undefined>;
    /** Shadow mode: a candidate scored beside the serving model; undefined without one. */
    loadShadow?: () => Promise<RiskScorer | undefined>;
    /**
     * Starts the threads that score large batches beside the main one, once the model is
     * loaded (undefined: the main thread alone). `onFailure` reports a worker's failure.
     */
    startPool?: (onFailure: (err: ScoringWorkerError) => void) => Promise<BatchPool | undefined>;
  },
): Promise<RunningServer> {
  const { logger } = deps;
  const metrics = createMetrics();
  const model = new ModelSlot();
  const app = createApp({ ...opts, model, metrics, logger });
  const server = createServer(app);
  // Bound slow or stuck clients (slowloris); keep-alive stays at Node's 5 s.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: opts.host, port }, 'listening; loading the model');

  const ready = (async () => {
    const t0 = performance.now();
    const scorer = await deps.loadScorer();
    const shadow = await deps.loadShadow?.();
    const t1 = performance.now();
    for (const s of shadow ? [scorer, shadow] : [scorer]) {
      for (let i = 0; i < WARMUP_CALLS; i++) s.predict(i % 100 === 0 ? bigBatch() : WARMUP_ROWS);
      // The path /predict takes when the scorer has it: flat arrays written as JSON text.
      for (let i = 0; s.score !== undefined && i < WARMUP_CALLS; i++) {
        const scored = s.score(i % 100 === 0 ? bigBatch() : WARMUP_ROWS);
        for (let r = 0; r < scored.length; r++) scored.json(r);
        // A columnar body's rows are read in place from its columns.
        if (i % 100 === 0) s.score(rowColumnsOf(columnarRequestOf(bigBatch()), BIG_BATCH_ROWS));
      }
    }
    const t2 = performance.now();
    model.setShadow(shadow);
    // A pool that cannot start leaves the main thread scoring alone: slower, never down.
    const pool = await deps
      .startPool?.((err) => {
        logger.warn(
          { err, reason: err.reason },
          'scoring worker failed; its rows are scored on the main thread',
        );
        metrics.observeScoringWorkerFailure(err.reason);
        metrics.setScoringThreads(model.pool?.threads ?? 1);
      })
      .catch((err: unknown) => {
        logger.warn({ err }, 'could not start the scoring threads; scoring on the main thread');
        return undefined;
      });
    model.setPool(pool);
    metrics.setScoringThreads(pool?.threads ?? 1);
    const heldout =
      (await deps.loadHeldout?.().catch((err: unknown) => {
        logger.warn({ err }, 'could not read the held-out evaluation report; /model omits it');
        return undefined;
      })) ?? null;
    if (model.state === 'loading') model.ready(scorer, heldout);
    metrics.setModelInfo(scorer.version, scorer.backendName);
    logger.info(
      {
        version: scorer.version,
        ...(shadow ? { shadow: shadow.version } : {}),
        engine: scorer.backendName,
        scoringThreads: pool?.threads ?? 1,
        loadMs: Math.round(t1 - t0),
        warmupMs: Math.round(t2 - t1),
      },
      'model ready',
    );
    return scorer;
  })();

  let closing: Promise<boolean> | undefined;
  const shutdown = (): Promise<boolean> => {
    closing ??= new Promise<boolean>((resolve) => {
      model.drain();
      logger.info({ timeoutMs: opts.shutdownTimeoutMs }, 'shutting down: draining requests');
      // Sockets whose last in-flight response just finished turn idle; close them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      sweep.unref();
      const deadline = setTimeout(() => {
        logger.warn('shutdown deadline passed; closing the remaining connections');
        clearInterval(sweep);
        server.closeAllConnections();
        resolve(false);
      }, opts.shutdownTimeoutMs);
      deadline.unref();
      server.close(() => {
        clearTimeout(deadline);
        clearInterval(sweep);
        logger.info('all requests finished; server closed');
        resolve(true);
      });
      // Idle keep-alive sockets would otherwise hold close() open; busy ones get
      // `connection: close` on their current response (see app.ts).
      server.closeIdleConnections();
    }).then(async (clean) => {
      // The requests are done (or given up): the scoring threads can go.
      await model.pool?.close();
      return clean;
    });
    return closing;
  };

  return { server, model, metrics, port, ready, shutdown };
}

const BIG_BATCH_ROWS = 256;
function bigBatch(): FeatureInput[] {
  return Array.from(
    { length: BIG_BATCH_ROWS },
    (_, i) => WARMUP_ROWS[i % WARMUP_ROWS.length] as FeatureInput,
  );
}
