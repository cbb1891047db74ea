/** Synthetic deployment signals shared by the model benchmarks (`bench.ts`, `benchReplay.ts`). */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { FEATURE_NAMES, type FeatureName } from '../src/schema.js';
import { Rng } from '../src/rng.js';
import { csvHeader, csvRow } from '../src/replay/csv.js';

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

/** Writes one day of `deployments` (`deploy-0`…) at `stepSeconds` as a replay file, step by step. */
export async function writeBenchDay(
  file: string,
  deployments: number,
  stepSeconds: number,
): Promise<void> {
  const out = createWriteStream(file);
  out.write(csvHeader(FEATURE_NAMES) + '\n');
  const gens = Array.from({ length: deployments }, (_, d) =>
    deploymentRows(new Rng(100 + d), 1440, stepSeconds, 1_700_000_000),
  );
  for (let k = 0; k < (1440 * 60) / stepSeconds; k++) {
    let chunk = '';
    gens.forEach((g, d) => {
      const r = g.next().value as { t: number; values: Partial<Record<FeatureName, number>> };
      chunk +=
        csvRow(
          { t: r.t, namespace: 'bench', deployment: `deploy-${d}`, values: r.values },
          FEATURE_NAMES,
        ) + '\n';
    });
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
