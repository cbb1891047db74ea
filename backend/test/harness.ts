/** Builds the app with a silent logger and fresh metrics, for supertest. */
import { pino } from 'pino';
import { createApp, type AppOptions } from '../src/app.js';
import { createMetrics, type ServiceMetrics } from '../src/metrics.js';
import { ModelSlot, type RiskScorer } from '../src/types.js';
import { FakeScorer } from './fakeScorer.js';

export interface Harness {
  app: ReturnType<typeof createApp>;
  model: ModelSlot;
  metrics: ServiceMetrics;
}

export function makeApp(
  opts: Partial<AppOptions> & { scorer?: RiskScorer | null; heldout?: object } = {},
): Harness {
  const scorer = opts.scorer === null ? undefined : (opts.scorer ?? new FakeScorer());
  const model = new ModelSlot(scorer, opts.heldout ?? null);
  const metrics = createMetrics({ defaultMetrics: false });
  const app = createApp({
    model,
    metrics,
    logger: pino({ level: 'silent' }),
    batchLimit: opts.batchLimit ?? 10_000,
    bodyLimit: opts.bodyLimit ?? '8mb',
    corsOrigins: opts.corsOrigins ?? ['http://localhost:8080'],
  });
  return { app, model, metrics };
}
