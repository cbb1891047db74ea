// `node healer/bench/contextWrite.mjs`: the /predict body of 10,000 rows written with their
// baseline and SLO straight from the cycle's context columns (`requestContextOf`, every schema
// statistic and SLO window set), CPU ms per write, median and min of 7, each build in its own
// process. BENCH_BASELINE_DIR=<another build's healer/> runs that build too, first; BENCH_ROUNDS
// alternates them (default 2); BENCH_OUT=file.json writes bench/results/file.json.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROWS = 10_000;

if (process.argv[2] === 'child') {
  const dir = process.argv[3];
  const load = (p) => import(pathToFileURL(join(dir, p)).href);
  const { ContextColumns, requestContextOf } = await load('dist/src/sources/context.js');
  const { writeColumnarRequest } = await load('../model/dist/src/scoring/requestColumns.js');
  const { BASELINE_FEATURES, BASELINE_STATS, SLO_WINDOWS, ORIGINAL_HEALTHY_EXAMPLE } = await load(
    '../model/dist/src/schema.js',
  );
  const specs = [
    ...BASELINE_FEATURES.flatMap((feature) =>
      [...BASELINE_STATS, 'count'].map((stat) => ({ kind: 'baseline', feature, stat })),
    ),
    ...SLO_WINDOWS.flatMap((window) =>
      ['error_ratio', 'requests', 'p95_seconds'].map((sli) => ({ kind: 'slo', window, sli })),
    ),
  ];
  const columns = specs.map((s) =>
    Float64Array.from({ length: ROWS }, (_, i) =>
      s.stat === 'count' ? 60 : ((i * 7919) % 1000) / 100,
    ),
  );
  const cols = new ContextColumns(specs, columns, 10, new Array(ROWS));
  const features = Array.from({ length: ROWS }, (_, i) => ({
    ...ORIGINAL_HEALTHY_EXAMPLE,
    replicas: (i % 9) + 1,
  }));
  const rows = features.map((_, row) => ({ columns: cols, row }));
  const times = [];
  let bytes = 0;
  for (let k = 0; k < 7; k++) {
    const t0 = process.cpuUsage();
    bytes = writeColumnarRequest(features, requestContextOf(rows, features)).length;
    const c = process.cpuUsage(t0);
    times.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({ bytes, medianCpuMs: Math.round(times[3]), minCpuMs: Math.round(times[0]) }),
  );
} else {
  const builds = [
    ...(process.env.BENCH_BASELINE_DIR
      ? [{ variant: 'baseline', dir: resolve(process.env.BENCH_BASELINE_DIR) }]
      : []),
    { variant: 'current', dir: join(HERE, '..') },
  ];
  const rows = [];
  for (let round = 1; round <= Number(process.env.BENCH_ROUNDS ?? 2); round++)
    for (const b of builds) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'child', b.dir]);
      rows.push({ variant: b.variant, round, rows: ROWS, ...JSON.parse(String(out)) });
      console.log(JSON.stringify(rows.at(-1)));
    }
  if (process.env.BENCH_OUT)
    await writeFile(
      join(HERE, '..', '..', 'bench', 'results', process.env.BENCH_OUT),
      `${JSON.stringify({ command: 'node healer/bench/contextWrite.mjs', loadavg: loadavg(), rows }, null, 1)}\n`,
    );
}
