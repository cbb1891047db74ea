import type { Rng } from '../rng.js';

/**
 * The scenarios the training data is made of. Each is a story of a deployment over time; the
 * simulator in `simulate.ts` turns it into feature vectors every 30 s. See model/README.md for
 * what each one looks like in the features and why it is labelled as it is.
 */
export const SCENARIOS = [
  'healthy_idle',
  'healthy_busy',
  'deploy_in_progress',
  'traffic_spike',
  'crash_loop',
  'memory_leak',
  'cpu_starvation',
  'error_burst',
  'latency_regression',
  'bad_release',
  'poisoned_cache',
  'node_loss',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * How many runs of each scenario the generator makes per unit of `runsPerScenario`: most of the
 * time most deployments are healthy, and rollouts are routine, so the mix leans that way. The
 * calibration is relative to this population (see README).
 */
export const SCENARIO_WEIGHTS: Record<ScenarioName, number> = {
  healthy_idle: 3,
  healthy_busy: 3,
  deploy_in_progress: 2,
  traffic_spike: 1,
  crash_loop: 1,
  memory_leak: 1,
  cpu_starvation: 1,
  error_burst: 1,
  latency_regression: 1,
  bad_release: 1,
  poisoned_cache: 1,
  node_loss: 1,
};

/**
 * `train` draws parameters from the training ranges; `heldout` from different (wider, shifted)
 * ranges, so the evaluation measures generalisation rather than memory of the training runs.
 */
export type Variant = 'train' | 'heldout';

/** A parameter range per variant. */
export interface Span {
  train: readonly [number, number];
  heldout: readonly [number, number];
}

const span = (a: number, b: number, c: number, d: number): Span => ({
  train: [a, b],
  heldout: [c, d],
});

/** Draws from a span, uniformly or log-uniformly. */
export function draw(rng: Rng, s: Span, variant: Variant, log = false): number {
  const [lo, hi] = s[variant];
  return log ? rng.logUniform(lo, hi) : rng.uniform(lo, hi);
}

/** Parameter ranges shared by every scenario (the service the fault happens to). */
export const SERVICE = {
  replicas: span(2, 6, 3, 10),
  /** Request latency p95 of one pod at low load, seconds. */
  baseLatency: span(0.01, 0.15, 0.008, 0.2),
  bytesPerRequest: span(300, 5000, 200, 8000),
  backgroundBytes: span(30, 600, 20, 1000),
  memoryLimitBytes: span(128 * 2 ** 20, 2 * 2 ** 30, 96 * 2 ** 20, 4 * 2 ** 30),
  baseMemoryRatio: span(0.12, 0.6, 0.1, 0.65),
  /** Baseline CPU utilisation (fraction of limit) by traffic class. */
  idleLoad: span(0.004, 0.08, 0.003, 0.1),
  moderateLoad: span(0.08, 0.5, 0.06, 0.55),
  busyLoad: span(0.55, 0.8, 0.5, 0.82),
  idleRps: span(0.02, 5, 0.01, 8),
  moderateRps: span(5, 200, 3, 400),
  busyRps: span(200, 3000, 150, 6000),
} as const;

/** Fault parameters. */
export const FAULT = {
  spikeFactor: span(1.8, 6, 1.5, 8),
  spikeRampMin: span(1, 10, 0.5, 14),
  leakPerMin: span(0.02, 0.12, 0.012, 0.16),
  starvedCapacity: span(0.2, 0.65, 0.15, 0.75),
  starveRampMin: span(2, 12, 1, 16),
  burstError: span(0.05, 0.6, 0.04, 0.85),
  burstMinutes: span(1, 5, 0.5, 7),
  latencyExtraSeconds: span(0.3, 3, 0.2, 5),
  latencyRampMin: span(3, 15, 2, 20),
  releaseError: span(0.04, 0.5, 0.03, 0.7),
  cacheError: span(0.06, 0.6, 0.05, 0.8),
  cacheTauMin: span(2, 10, 1.5, 14),
  nodeLossFraction: span(0.25, 0.75, 0.2, 0.8),
  rescheduleMin: span(1, 5, 0.5, 7),
} as const;
