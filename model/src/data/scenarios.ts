import type { Rng } from '../rng.js';

/**
 * The scenarios the training data is made of. Each is a story of a deployment over time, with an
 * hour or more of normal history before it so that every signal can be judged against the
 * deployment's own normal; `simulate.ts` turns it into feature rows every 30 s. See model/README.md
 * for what each one looks like in the features and why it is labelled as it is.
 */
export const SCENARIOS = [
  'healthy_idle',
  'healthy_busy',
  'healthy_high_memory',
  'healthy_churn',
  'deploy_in_progress',
  'traffic_spike',
  'crash_loop',
  'memory_leak',
  'cpu_starvation',
  'cpu_hog',
  'error_burst',
  'latency_regression',
  'bad_release',
  'poisoned_cache',
  'node_loss',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Scenarios with no fault: every row is labelled by the SLO alone (almost always 0). */
export const HEALTHY_SCENARIOS: readonly ScenarioName[] = [
  'healthy_idle',
  'healthy_busy',
  'healthy_high_memory',
  'healthy_churn',
];

/**
 * How many runs of each scenario the generator makes per unit of `runsPerScenario`: most of the
 * time most deployments are healthy, and rollouts are routine, so the mix leans that way. The
 * calibration is relative to this population (see README).
 */
export const SCENARIO_WEIGHTS: Record<ScenarioName, number> = {
  healthy_idle: 3,
  healthy_busy: 3,
  healthy_high_memory: 1,
  healthy_churn: 1,
  deploy_in_progress: 2,
  traffic_spike: 1,
  crash_loop: 1,
  memory_leak: 1,
  cpu_starvation: 1,
  cpu_hog: 2,
  error_burst: 1,
  latency_regression: 2,
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
  replicas: span(1, 8, 1, 12),
  /** Replicas of a large deployment (healthy_churn, some crash loops and node losses). */
  largeReplicas: span(20, 200, 15, 300),
  /** Request latency p95 of one pod at low load, seconds. */
  baseLatency: span(0.005, 0.5, 0.003, 0.8),
  bytesPerRequest: span(300, 5000, 200, 8000),
  backgroundBytes: span(30, 30000, 20, 50000),
  memoryLimitBytes: span(128 * 2 ** 20, 2 * 2 ** 30, 96 * 2 ** 20, 4 * 2 ** 30),
  baseMemoryRatio: span(0.1, 0.6, 0.08, 0.65),
  /** A JVM or cache that lives near its limit (healthy_high_memory). */
  highMemoryRatio: span(0.7, 0.95, 0.65, 0.97),
  /** Baseline CPU utilisation (fraction of limit) by traffic class. */
  idleLoad: span(0.003, 0.08, 0.002, 0.1),
  moderateLoad: span(0.08, 0.5, 0.06, 0.55),
  busyLoad: span(0.55, 0.88, 0.5, 0.9),
  idleRps: span(0.01, 2, 0.005, 3),
  moderateRps: span(2, 200, 1, 400),
  busyRps: span(200, 3000, 150, 6000),
  /** Restarts per pod per hour of healthy churn (evictions, liveness blips) in a large deployment. */
  churnPerPodHour: span(0.002, 0.05, 0.001, 0.08),
} as const;

/** Fault parameters. */
export const FAULT = {
  spikeFactor: span(1.8, 6, 1.5, 8),
  spikeRampMin: span(0.5, 10, 0.5, 14),
  leakPerMin: span(0.01, 0.12, 0.008, 0.16),
  starvedCapacity: span(0.2, 0.65, 0.15, 0.75),
  starveRampMin: span(1, 12, 1, 16),
  /** CPU a hog adds, as a multiple of the service's own CPU. */
  hogFactor: span(2, 60, 1.5, 100),
  hogRampMin: span(0, 3, 0, 5),
  /** How strongly the hog slows requests (latency × (1 + this × share of CPU lost)). */
  hogLatency: span(0.5, 20, 0.3, 30),
  burstError: span(0.02, 0.6, 0.015, 0.85),
  burstMinutes: span(1, 6, 0.5, 8),
  /** Added latency as a multiple of the base p95 (a slow dependency, a network delay). */
  latencyExtraFactor: span(1, 40, 0.8, 60),
  latencyRampMin: span(0, 12, 0, 18),
  releaseError: span(0.03, 0.5, 0.02, 0.7),
  cacheError: span(0.04, 0.6, 0.03, 0.8),
  cacheTauMin: span(1.5, 10, 1, 14),
  nodeLossFraction: span(0.25, 0.75, 0.2, 0.8),
  rescheduleMin: span(1, 5, 0.5, 7),
} as const;
