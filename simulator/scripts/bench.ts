// `npm run bench -w simulator`: how fast virtual time runs, and what a scrape costs, written to
// bench/results/<date>-simulator.json. Numbers, not assertions: targets are judged by people.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import {
  defaultWorkload,
  ManualClock,
  SAMPLE_WORKLOADS,
  startSimulator,
  type WorkloadSpec,
} from '../src/index.js';

interface Row {
  deployments: number;
  pods: number;
  simulatedSeconds: number;
  wallSeconds: number;
  /** Simulated seconds per wall second. */
  speedup: number;
  metricsRenderMs: number;
  metricsBytes: number;
  metricsSeries: number;
  rssMb: number;
}

async function measure(workloads: WorkloadSpec[], simulatedSeconds: number): Promise<Row> {
  const sim = await startSimulator({ clock: new ManualClock(), seed: 1, workloads });
  try {
    sim.tick(30_000);
    sim.faults.inject({
      namespace: workloads[0]!.namespace,
      deployment: workloads[0]!.name,
      kind: 'memory_leak',
    });
    const t0 = performance.now();
    sim.tick(simulatedSeconds * 1000);
    const wallSeconds = (performance.now() - t0) / 1000;
    const m0 = performance.now();
    const res = await fetch(`${sim.url}/metrics`);
    const text = await res.text();
    const metricsRenderMs = performance.now() - m0;
    return {
      deployments: workloads.length,
      pods: sim.sim.kubelet.runtimes.size,
      simulatedSeconds,
      wallSeconds: Number(wallSeconds.toFixed(3)),
      speedup: Math.round(simulatedSeconds / wallSeconds),
      metricsRenderMs: Number(metricsRenderMs.toFixed(1)),
      metricsBytes: text.length,
      metricsSeries: text.split('\n').filter((l) => l && !l.startsWith('#')).length,
      rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
  } finally {
    await sim.stop();
  }
}

const many = (n: number): WorkloadSpec[] =>
  Array.from({ length: n }, (_, i) => ({
    ...defaultWorkload(`bench-${i % 10}`, `app-${i}`),
    autoheal: true,
    replicas: 2,
  }));

const rows = [
  await measure(SAMPLE_WORKLOADS, 3_600),
  await measure(many(100), 600),
  await measure(many(500), 120),
];
const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, memGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  note: 'speedup = simulated seconds per wall second with a ManualClock (1 s steps); one memory_leak fault active',
  rows,
};
const dir = resolve(import.meta.dirname, '../../../bench/results');
mkdirSync(dir, { recursive: true });
const file = resolve(dir, `${result.date.slice(0, 10)}-simulator.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(rows, null, 2));
console.log(`written ${file}`);
