import type { SignalEffect } from '../faults/types.js';
import type { WorkloadSpec } from '../workloads.js';

/** Histogram bucket bounds for `http_request_duration_seconds` (prom-client's defaults). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Spread of request latency around its median (log-normal sigma). */
export const LATENCY_SIGMA = 0.5;

/** One pod's instantaneous signals: the rates the simulator integrates into counters. */
export interface PodSignals {
  rps: number;
  errorRate: number;
  cpuDemandCores: number;
  cpuUsageCores: number;
  /** Share of CFS periods throttled (0..1). */
  throttleFraction: number;
  memoryBytes: number;
  latencyMedianSeconds: number;
  rxBytesPerSec: number;
}

/** Multiplicative noise factors around 1, drawn by the caller from a seeded RNG. */
export interface SignalNoise {
  cpu: number;
  memory: number;
  latency: number;
  errors: number;
}

export const NO_NOISE: SignalNoise = { cpu: 1, memory: 1, latency: 1, errors: 1 };

/**
 * Pure: a pod's signals from its workload, the request rate it serves and the combined fault
 * effect. Saturation couples them: past ~70 % of the CPU limit latency climbs, past 100 % the
 * pod is throttled and starts shedding requests with 5xx.
 */
export function podSignals(
  spec: WorkloadSpec,
  podRps: number,
  effect: Required<SignalEffect>,
  noise: SignalNoise = NO_NOISE,
): PodSignals {
  const demand =
    (spec.idleCpuCores + podRps * spec.cpuSecondsPerRequest * effect.cpuDemandMultiplier) *
      noise.cpu +
    effect.cpuBurnFraction * spec.cpuLimitCores;
  const u = demand / spec.cpuLimitCores;
  const congestion = 1 + 8 * Math.max(0, u - 0.7) ** 2 + 6 * Math.max(0, u - 1);
  const overloadErrors = Math.min(0.5, 0.4 * Math.max(0, u - 1));
  const errorRate = Math.min(
    1,
    (spec.baseErrorRate + effect.errorRateAdd + overloadErrors) * noise.errors,
  );
  return {
    rps: podRps,
    errorRate,
    cpuDemandCores: demand,
    cpuUsageCores: Math.min(demand, spec.cpuLimitCores),
    throttleFraction: Math.min(1, Math.max(0, (u - 0.7) / 0.5)),
    memoryBytes:
      (spec.baseMemoryBytes + podRps * spec.memoryBytesPerRps) * noise.memory +
      effect.memoryExtraBytes,
    latencyMedianSeconds:
      (spec.baseLatencySeconds * congestion * effect.latencyMultiplier + effect.latencyAddSeconds) *
      noise.latency,
    rxBytesPerSec: podRps * spec.requestBytes,
  };
}

/** Share of requests at or under `le` seconds for a log-normal latency with this median. */
export function latencyCdf(le: number, median: number, sigma = LATENCY_SIGMA): number {
  if (median <= 0) return 1;
  return normalCdf((Math.log(le) - Math.log(median)) / sigma);
}

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 on erf.
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Daily traffic swing: ±25 % over 24 h of simulated time. */
export function diurnalFactor(nowMs: number): number {
  return 1 + 0.25 * Math.sin((2 * Math.PI * (nowMs % 86_400_000)) / 86_400_000);
}
