// `node bench/bundleRest.mjs [rounds]` (after `tsc -b` and `npm run build:bundle`): the healer's
// RSS at rest, as `node dist/src/main.js` (development, `npm start`) and as the image runs it
// (`node dist-bundle/main.mjs`), and with every package bundled (BUNDLE_ALL=true, built here
// beside it): each started against the simulator with one watched deployment and no cycle due
// (schedule once a year), VmRSS read from /proc once /healthz answers and again 5 s later.
// Alternates the variants `rounds` times (default 3), medians. Writes
// bench/results/<date>-healer-bundle-rest.json at the repository root (BENCH_OUT another name).
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultWorkload, startSimulator } from '@aiops/simulator';
import { freePort, startProcess, waitForHttp } from '@aiops/simulator/testing';
import { bundleHealer } from '../scripts/bundle.mjs';
import { writeResults } from './results.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const HEALER = join(HERE, '..');
const ROUNDS = Number(process.argv[2] ?? 3);
const allBundle = await bundleHealer({ outfile: join(HERE, '.bundle', 'main-all.mjs'), all: true });
const VARIANTS = [
  { name: 'dist/src/main.js (unbundled)', entry: join(HEALER, 'dist', 'src', 'main.js') },
  { name: 'dist-bundle/main.mjs (the image)', entry: join(HEALER, 'dist-bundle', 'main.mjs') },
  { name: 'every package bundled (BUNDLE_ALL)', entry: allBundle },
];

const sim = await startSimulator({
  workloads: [{ ...defaultWorkload('shop', 'web'), autoheal: true }],
});
const rssMb = async (pid) => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round((Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024) * 10) / 10;
};
const runs = VARIANTS.map(() => []);
for (let r = 0; r < ROUNDS; r++)
  for (const [i, v] of VARIANTS.entries()) {
    const port = await freePort();
    const t0 = performance.now();
    const p = startProcess(process.execPath, [v.entry], {
      cwd: HEALER,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
        KUBECONFIG: sim.kubeconfigPath,
        HEALER_NAMESPACES: 'shop',
        HEALER_FEATURE_SOURCE: 'simulator',
        SIMULATOR_URL: sim.url,
        BACKEND_URL: 'http://127.0.0.1:9',
        HEALER_SCHEDULE: '0 0 1 1 *',
        HEALER_LEADER_ELECTION: 'false',
        LOG_LEVEL: 'warn',
      },
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
    const readyMs = Math.round(performance.now() - t0);
    const atReady = await rssMb(p.pid);
    await new Promise((res) => setTimeout(res, 5_000));
    runs[i].push({ readyMs, rssAtReadyMb: atReady, rssAfter5sMb: await rssMb(p.pid) });
    await p.stop();
  }
await sim.stop();
await rm(join(HERE, '.bundle', 'main-all.mjs'), { force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = VARIANTS.map((v, i) => ({
  variant: v.name,
  rssAtReadyMb: median(runs[i].map((x) => x.rssAtReadyMb)),
  rssAfter5sMb: median(runs[i].map((x) => x.rssAfter5sMb)),
  readyMs: median(runs[i].map((x) => x.readyMs)),
  runs: runs[i],
}));
console.table(rows.map(({ runs: _runs, ...r }) => r));
await writeResults('healer-bundle-rest', {
  command: `node healer/bench/bundleRest.mjs ${ROUNDS}`,
  medianOf: ROUNDS,
  rows,
});
