/**
 * The service's Prometheus metrics. Per-request updates go through cached label children, so a
 * request costs two map lookups and two increments rather than prom-client's label hashing.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, Registry } from 'prom-client';
import { RISK_LEVELS, type Prediction, type RiskLevel } from '@aiops/model';

export interface ServiceMetrics {
  readonly registry: Registry;
  /** Records one finished HTTP request. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** Records one model call (single or batch) and the levels it produced. */
  observeInference(seconds: number, predictions: readonly Prediction[]): void;
  /** Sets `model_info{version,engine} 1` for the loaded model. */
  setModelInfo(version: string, engine: string): void;
}

const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const INFERENCE_BUCKETS = [
  1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1,
];

/** Creates the metrics in a fresh registry (one per app, so tests never share counters). */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request arrival to the response being handed to the socket.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  const inference = new Histogram({
    name: 'model_inference_duration_seconds',
    help: 'Time spent in the model per call (one call per single or batch request), explanation included.',
    buckets: INFERENCE_BUCKETS,
    registers: [registry],
  });
  const predictions = new Counter({
    name: 'predictions_total',
    help: 'Feature vectors scored, by risk level.',
    labelNames: ['level'] as const,
    registers: [registry],
  });
  const modelInfo = new Gauge({
    name: 'model_info',
    help: 'The loaded model (value 1): its version and inference engine.',
    labelNames: ['version', 'engine'] as const,
    registers: [registry],
  });
  // Zero-initialise the level series so rate() works from the first scrape.
  const levelCounters = new Map(RISK_LEVELS.map((l) => [l, predictions.labels(l)] as const));

  type Children = {
    count: ReturnType<typeof requests.labels>;
    time: ReturnType<typeof duration.labels>;
  };
  const children = new Map<string, Children>();
  const counts: Record<RiskLevel, number> = { low: 0, elevated: 0, high: 0, critical: 0 };

  return {
    registry,
    observeRequest(route, method, status, seconds) {
      const key = `${route} ${method} ${status}`;
      let c = children.get(key);
      if (c === undefined) {
        const labels = [route, method, String(status)];
        c = { count: requests.labels(...labels), time: duration.labels(...labels) };
        children.set(key, c);
      }
      c.count.inc();
      c.time.observe(seconds);
    },
    observeInference(seconds, preds) {
      inference.observe(seconds);
      if (preds.length === 1) {
        levelCounters.get(preds[0]!.level)?.inc();
        return;
      }
      for (const p of preds) counts[p.level]++;
      for (const l of RISK_LEVELS) {
        if (counts[l] > 0) levelCounters.get(l)?.inc(counts[l]);
        counts[l] = 0;
      }
    },
    setModelInfo(version, engine) {
      modelInfo.reset();
      modelInfo.set({ version, engine }, 1);
    },
  };
}
