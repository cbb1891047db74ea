/**
 * The service's Prometheus metrics.
 *
 * The per-request path must stay cheap: prom-client validates and hashes labels on every
 * `inc`/`observe` (a few µs each, measured), so the request and prediction metrics here keep
 * plain numbers per series and turn them into Prometheus values only when `/metrics` is scraped.
 * They are registered in a prom-client Registry next to its default process metrics and
 * `model_info`, so the exposition is prom-client's.
 */
import { Gauge, collectDefaultMetrics, Registry } from 'prom-client';
import { RISK_LEVELS, type Prediction, type RiskLevel } from '@aiops/model';
import type { ScoredLevels } from './types.js';

export interface ServiceMetrics {
  readonly registry: Registry;
  /** Records one finished HTTP request. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** Records one model call (single or batch) and the levels it produced. */
  observeInference(seconds: number, scored: ScoredLevels): void;
  /** Sets `model_info{version,engine} 1` for the loaded model. */
  setModelInfo(version: string, engine: string): void;
  /**
   * Records a scoring worker's failure (its slice was scored on the main thread instead):
   * `exit`, `error`, `job` or `start`.
   */
  observeScoringWorkerFailure(reason: string): void;
  /** Sets how many threads score a large batch (1: the main thread alone). */
  setScoringThreads(threads: number): void;
  /** Records a shadow comparison: how many rows the candidate put at the same risk level. */
  observeShadow(serving: readonly Prediction[], shadow: readonly Prediction[]): void;
}

/** Prediction objects as the metrics read them (the object path: shadow mode, test fakes). */
export function levelsOf(predictions: readonly Prediction[]): ScoredLevels {
  return {
    length: predictions.length,
    level: (r) => (predictions[r] as Prediction).level,
    inconclusive: (r) => (predictions[r] as Prediction).inconclusive,
  };
}

export const REQUEST_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;
export const INFERENCE_BUCKETS = [
  1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1,
] as const;

type Labels = Record<string, string>;

/** What prom-client's Registry reads from a metric at scrape time. */
interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Labels; value: number; metricName?: string }[];
  }>;
  reset(): void;
}

/** One labelled histogram series: per-bucket counts (not cumulative), sum and count. */
class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    buckets: number,
  ) {
    this.counts = new Float64Array(buckets + 1);
  }
}

/** A histogram whose observe() is a bucket search and three additions. */
class FastHistogram {
  readonly #series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  /** The series for `key`, created with `labels()` on first use. */
  series(key: string, labels: () => Labels): HistogramSeries {
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new HistogramSeries(labels(), this.buckets.length);
      this.#series.set(key, s);
    }
    return s;
  }

  observe(s: HistogramSeries, value: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  all(): IterableIterator<HistogramSeries> {
    return this.#series.values();
  }

  clear(): void {
    this.#series.clear();
  }

  /** The histogram as prom-client's Registry expects it (cumulative `_bucket`s, `_sum`, `_count`). */
  metric(): ScrapedMetric {
    const { name, help } = this;
    const get = async () => {
      const values: { labels: Labels; value: number; metricName: string }[] = [];
      for (const s of this.all()) {
        let cumulative = 0;
        this.buckets.forEach((le, i) => {
          cumulative += s.counts[i]!;
          values.push({
            labels: { le: String(le), ...s.labels },
            value: cumulative,
            metricName: `${name}_bucket`,
          });
        });
        values.push({
          labels: { le: '+Inf', ...s.labels },
          value: s.count,
          metricName: `${name}_bucket`,
        });
        values.push({ labels: s.labels, value: s.sum, metricName: `${name}_sum` });
        values.push({ labels: s.labels, value: s.count, metricName: `${name}_count` });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    };
    return { name, help, type: 'histogram', aggregator: 'sum', get, reset: () => this.clear() };
  }
}

/** A counter read at scrape time from `values()`. */
function scrapedCounter(
  name: string,
  help: string,
  values: () => { labels: Labels; value: number }[],
  reset: () => void,
): ScrapedMetric {
  return {
    name,
    help,
    type: 'counter',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'counter', aggregator: 'sum', values: values() }),
    reset,
  };
}

/** Creates the metrics in a fresh registry (one per app, so tests never share counters). */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // http_requests_total and http_request_duration_seconds share one series per
  // (route, method, status): the histogram's count is the request counter.
  const duration = new FastHistogram(
    'http_request_duration_seconds',
    'Time from request arrival to the response being handed to the socket.',
    REQUEST_BUCKETS,
  );
  registry.registerMetric(
    scrapedCounter(
      'http_requests_total',
      'HTTP requests answered, by route template, method and status code.',
      () => [...duration.all()].map((s) => ({ labels: s.labels, value: s.count })),
      () => duration.clear(),
    ) as never,
  );
  registry.registerMetric(duration.metric() as never);

  const inference = new FastHistogram(
    'model_inference_duration_seconds',
    'Time spent in the model per call (one call per single or batch request), explanation included.',
    INFERENCE_BUCKETS,
  );
  registry.registerMetric(inference.metric() as never);

  const levels: Record<RiskLevel, number> = { low: 0, elevated: 0, high: 0, critical: 0 };
  registry.registerMetric(
    scrapedCounter(
      'predictions_total',
      'Feature vectors scored, by risk level.',
      // Every level is exported from the start, so rate() works from the first scrape.
      () => RISK_LEVELS.map((level) => ({ labels: { level }, value: levels[level] })),
      () => RISK_LEVELS.forEach((l) => (levels[l] = 0)),
    ) as never,
  );

  const inconclusive = { count: 0 };
  registry.registerMetric(
    scrapedCounter(
      'predictions_inconclusive_total',
      'Feature vectors the model abstained on (out of distribution, SLO layer quiet): callers hold.',
      () => [{ labels: {}, value: inconclusive.count }],
      () => (inconclusive.count = 0),
    ) as never,
  );
  const shadow = { same: 0, different: 0 };
  registry.registerMetric(
    scrapedCounter(
      'shadow_predictions_total',
      'Rows also scored by the shadow (candidate) model, by whether it gave the same risk level.',
      () => [
        { labels: { agreement: 'same_level' }, value: shadow.same },
        { labels: { agreement: 'different_level' }, value: shadow.different },
      ],
      () => (shadow.same = shadow.different = 0),
    ) as never,
  );

  const workerFailures = new Map<string, number>();
  registry.registerMetric(
    scrapedCounter(
      'scoring_worker_failures_total',
      'Scoring worker failures, by reason (exit, error, job, start); their rows were scored on the main thread.',
      () => [...workerFailures].map(([reason, value]) => ({ labels: { reason }, value })),
      () => workerFailures.clear(),
    ) as never,
  );
  const scoringThreads = new Gauge({
    name: 'scoring_threads',
    help: 'Threads that score a large batch (the main thread and the ready workers).',
    registers: [registry],
  });
  scoringThreads.set(1);

  const modelInfo = new Gauge({
    name: 'model_info',
    help: 'The loaded model (value 1): its version and inference engine.',
    labelNames: ['version', 'engine'] as const,
    registers: [registry],
  });

  return {
    registry,
    observeRequest(route, method, status, seconds) {
      const s = duration.series(`${route} ${method} ${status}`, () => ({
        route,
        method,
        status: String(status),
      }));
      duration.observe(s, seconds);
    },
    observeInference(seconds, scored) {
      inference.observe(
        inference.series('', () => ({})),
        seconds,
      );
      for (let r = 0; r < scored.length; r++) {
        levels[scored.level(r)]++;
        if (scored.inconclusive(r) !== undefined) inconclusive.count++;
      }
    },
    observeScoringWorkerFailure(reason) {
      workerFailures.set(reason, (workerFailures.get(reason) ?? 0) + 1);
    },
    setScoringThreads(threads) {
      scoringThreads.set(threads);
    },
    observeShadow(serving, candidate) {
      for (let i = 0; i < serving.length; i++) {
        if (serving[i]!.level === candidate[i]?.level) shadow.same++;
        else shadow.different++;
      }
    },
    setModelInfo(version, engine) {
      modelInfo.reset();
      modelInfo.set({ version, engine }, 1);
    },
  };
}
