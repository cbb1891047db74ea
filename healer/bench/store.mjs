// `node healer/bench/store.mjs`: the status store alone at scale, over as many cycles as its trend
// holds (the cycle bench runs two, so it never sees a full trend): every cycle one assessment per
// deployment, shaped as the loop sends it (14 contributions, the model input with its baseline
// statistics and SLO windows as `features`), then the heap the store keeps (after a full GC) and
// the time to list it, as `GET /api/deployments` does. Each build runs in its own process.
// Env: STORE_ROWS (default 10000), STORE_CYCLES (default 40; the trend keeps 30 points),
// BENCH_BASELINE_DIR=<another build's healer/> runs that build too, before this one;
// BENCH_OUT=file.json writes bench/results/file.json (default: print only).
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROWS = Number(process.env.STORE_ROWS ?? 10_000);
const CYCLES = Number(process.env.STORE_CYCLES ?? 40);

async function child(healer) {
  const { StatusStore } = await import(pathToFileURL(join(healer, 'dist/src/api/store.js')).href);
  const { FEATURE_NAMES, BASELINE_FEATURES } = await import('@aiops/model/schema');
  const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
  const heap = () => {
    globalThis.gc();
    return +(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
  };
  const heapBefore = heap();
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  const cycles = [];
  for (let c = 0; c < CYCLES; c++) {
    // built before the clock starts: the cycle allocates these whatever the store does
    const statuses = [];
    for (let i = 0; i < ROWS; i++) {
      const features = {};
      for (const f of FEATURE_NAMES) features[f] = Math.random() * 100;
      features.baseline = Object.fromEntries(
        BASELINE_FEATURES.map((f) => [
          f,
          { p10: 1, p50: 2, p90: 3, recent: Math.random(), last_week: 2.5 },
        ]),
      );
      features.slo = {
        windows: { '5m': { errors: 1, requests: 100 }, '1h': { errors: 3, requests: 900 } },
      };
      statuses.push({
        namespace: `ns-${i % 50}`,
        name: `app-${i}`,
        risk: Math.random(),
        level: 'low',
        state: 'healthy',
        step: 0,
        attempts: 0,
        dryRun: false,
        explanation: FEATURE_NAMES.map((f, k) => ({
          feature: f,
          value: features[f],
          contribution: (Math.random() - 0.5) / (k + 1),
          ...(k % 2 === 0 ? { reference: 1.5 } : {}),
        })),
        features,
        trend: [],
        updatedAt: new Date(t0 + c * 30_000).toISOString(),
      });
    }
    const s = performance.now();
    for (const st of statuses) store.assessment(st);
    cycles.push(Math.round(performance.now() - s));
  }
  const heapAfter = heap();
  // twice: the first read compiles what the store had never run
  const listMs = [];
  let listed;
  for (let k = 0; k < 2; k++) {
    const l = performance.now();
    listed = store.list();
    listMs.push(Math.round(performance.now() - l));
  }
  const j = performance.now();
  const bytes = JSON.stringify(listed).length;
  const jsonMs = Math.round(performance.now() - j);
  return {
    rows: ROWS,
    cycles: CYCLES,
    // what the store keeps: the heap after all cycles less the heap before the first
    keptMb: +(heapAfter - heapBefore).toFixed(1),
    assessmentMsPerCycle: {
      first: cycles[0],
      median: [...cycles].sort((a, b) => a - b)[Math.floor(cycles.length / 2)],
      last: cycles.at(-1),
    },
    listMs,
    listJsonMs: jsonMs,
    listJsonMb: +(bytes / 2 ** 20).toFixed(1),
    trendPoints: listed[0]?.trend.length,
  };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(process.argv[3])));
  process.exit(0);
}

function run(healer) {
  return new Promise((res, rej) => {
    const p = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=1024',
        fileURLToPath(import.meta.url),
        '--child',
        healer,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`exit ${code}`))));
  });
}

const builds = [
  ...(process.env.BENCH_BASELINE_DIR
    ? [{ variant: 'baseline', healer: resolve(process.env.BENCH_BASELINE_DIR) }]
    : []),
  { variant: 'current', healer: join(HERE, '..') },
];
const load = [loadavg()[0]];
const rows = [];
for (const b of builds) {
  rows.push({ variant: b.variant, ...(await run(b.healer)) });
  load.push(loadavg()[0]);
  console.log(JSON.stringify(rows.at(-1)));
}
if (process.env.BENCH_OUT) {
  const out = resolve(HERE, '..', '..', 'bench', 'results', process.env.BENCH_OUT);
  await writeFile(
    out,
    `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), machine: { loadAverage1m: load }, rows }, null, 2)}\n`,
  );
  console.log(`written: ${out}`);
}
