/** Synthetic deployment signals shared by the model benchmarks (`bench.ts`, `benchReplay.ts`). */
import type { FeatureName } from '../src/schema.js';
import type { Rng } from '../src/rng.js';

/** One deployment's minute-by-minute signals: a daily cycle, noise, and now and then a fault. */
export function* deploymentRows(
  rng: Rng,
  minutes: number,
  stepSeconds: number,
  t0: number,
): Generator<{ t: number; values: Partial<Record<FeatureName, number>> }> {
  const rps = rng.logUniform(0.5, 500);
  const lat = rng.logUniform(0.01, 0.5);
  const cpu = rng.uniform(2, 60);
  const mem = rng.uniform(0.2, 0.85);
  const replicas = rng.int(1, 20);
  const faultAt = rng.int(60, minutes - 60);
  for (let k = 0; k < (minutes * 60) / stepSeconds; k++) {
    const m = (k * stepSeconds) / 60;
    const fault = m >= faultAt && m < faultAt + 10 ? 1 : 0;
    const daily = 1 + 0.3 * Math.sin((2 * Math.PI * m) / 1440);
    yield {
      t: t0 + k * stepSeconds,
      values: {
        restart_count_last_5m: 0,
        cpu_usage_pct: Math.min(999, cpu * daily * Math.exp(0.05 * rng.normal()) * (1 + 3 * fault)),
        memory_usage_bytes: mem * 512 * 2 ** 20,
        ready_replica_ratio: 1,
        unavailable_replicas: 0,
        network_receive_bytes_per_s: rps * 2000 * daily,
        http_5xx_error_rate: fault ? 0.08 : 0.001,
        http_p95_latency_seconds: lat * Math.exp(0.1 * rng.normal()) * (1 + 4 * fault),
        http_requests_per_s: rps * daily,
        memory_limit_ratio: mem,
        memory_growth_ratio_per_min: 0,
        cpu_throttle_ratio: 0,
        replicas,
      },
    };
  }
}
