// `node bench/kubeImport.mjs [rounds]`: what loading `@kubernetes/client-node` costs the healer
// before its first cycle, and what the alternatives would cost — each variant in a fresh process
// (`node --expose-gc`), RSS / heap after two GCs, alternating the variants `rounds` times (default
// 3) so the box's load drifts over all alike. Writes bench/results/<date>-healer-kube-import.json
// at the repository root (BENCH_OUT another name) and prints a table.
//
// Variants: nothing; the package root (what the healer imports); `dist/config.js` alone (KubeConfig:
// it imports `dist/gen/index.js`, i.e. every API and model); the generated layers on their own
// (models, the five APIs the healer uses, the Observable layer); `dist/watch.js` and `dist/exec.js`
// (candidates for a lazy import); and, when esbuild is installed, the package bundled into one file
// (all of it, and only the exports the healer uses, tree-shaken) — the saving a bundling step
// would buy, measured (shipped since scale13: scripts/bundle.mjs, what the image runs).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeResults } from './results.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 3);
const require = createRequire(join(HERE, '..', 'package.json'));
// The package root file, then its directory (the package has no `exports`: deep paths resolve).
const PKG_MAIN = require.resolve('@kubernetes/client-node');
const PKG = join(dirname(PKG_MAIN), '..');
const file = (p) => pathToFileURL(join(PKG, p)).href;

/** What the healer takes from the package (src/actions/kube.ts, main.ts, cli.ts). */
const USED = [
  'KubeConfig',
  'AppsV1Api',
  'CoreV1Api',
  'AutoscalingV2Api',
  'CustomObjectsApi',
  'CoordinationV1Api',
  'Exec',
  'Watch',
  'ApiException',
  'HttpInfo',
  'PatchStrategy',
  'ServerConfiguration',
  'createConfiguration',
  'setHeaderOptions',
];
const GEN_APIS = [
  'AppsV1Api',
  'CoreV1Api',
  'AutoscalingV2Api',
  'CustomObjectsApi',
  'CoordinationV1Api',
];

const variants = [
  { name: 'node alone', imports: [] },
  { name: 'package root (the healer today)', imports: [pathToFileURL(PKG_MAIN).href] },
  { name: 'dist/config.js (KubeConfig)', imports: [file('dist/config.js')] },
  { name: 'dist/gen/models/all.js (every model)', imports: [file('dist/gen/models/all.js')] },
  {
    name: 'dist/gen/apis: the 5 APIs used (+ models)',
    imports: GEN_APIS.map((a) => file(`dist/gen/apis/${a}.js`)),
  },
  {
    name: 'dist/gen/types/ObservableAPI.js (every API)',
    imports: [file('dist/gen/types/ObservableAPI.js')],
  },
  { name: 'dist/watch.js', imports: [file('dist/watch.js')] },
  { name: 'dist/exec.js', imports: [file('dist/exec.js')] },
];

// Bundles sit under healer/ so that their imports (node-fetch, ws, ...) resolve as the package's do.
const work = await mkdtemp(join(HERE, '.kube-import-'));
const esbuild = await import('esbuild').catch(() => undefined);
if (esbuild) {
  const bundle = async (name, contents) => {
    const outfile = join(work, `${name}.mjs`);
    await esbuild.build({
      stdin: { contents, resolveDir: PKG, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile,
      logLevel: 'silent',
    });
    return pathToFileURL(outfile).href;
  };
  variants.push(
    {
      name: 'esbuild bundle: whole package',
      imports: [await bundle('all', `export * from './dist/index.js';`)],
    },
    {
      name: 'esbuild bundle: only the exports used',
      imports: [
        await bundle(
          'used',
          `export { ${USED.join(', ')} } from './dist/index.js';\n` +
            `export { AppsV1ApiResponseProcessor } from './dist/gen/apis/AppsV1Api.js';`,
        ),
      ],
    },
  );
}

// The child: import, two GCs, a tick, a GC, then memoryUsage.
const CHILD = `
const t0 = process.hrtime.bigint();
for (const u of JSON.parse(process.argv[1])) await import(u);
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
gc(); gc(); await new Promise((r) => setTimeout(r, 50)); gc();
const m = process.memoryUsage();
console.log(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, loadMs }));
`;
const MB = (b) => Math.round((b / 1048576) * 10) / 10;
const runs = variants.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, v] of variants.entries()) {
    const res = spawnSync(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', CHILD, JSON.stringify(v.imports)],
      { cwd: PKG, encoding: 'utf8' },
    );
    if (res.status !== 0) throw new Error(`${v.name}: ${res.stderr}`);
    runs[i].push(JSON.parse(res.stdout.trim().split('\n').at(-1)));
  }
}
await rm(work, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = variants.map((v, i) => ({
  variant: v.name,
  rssMb: MB(median(runs[i].map((x) => x.rss))),
  heapUsedMb: MB(median(runs[i].map((x) => x.heapUsed))),
  heapTotalMb: MB(median(runs[i].map((x) => x.heapTotal))),
  loadMs: Math.round(median(runs[i].map((x) => x.loadMs))),
  runs: runs[i].map((x) => ({
    rssMb: MB(x.rss),
    heapUsedMb: MB(x.heapUsed),
    loadMs: Math.round(x.loadMs),
  })),
}));
const alone = rows[0].rssMb;
for (const r of rows) r.rssOverNodeMb = Math.round((r.rssMb - alone) * 10) / 10;
console.table(rows.map(({ runs: _runs, ...r }) => r));

await writeResults('healer-kube-import', {
  command: `node healer/bench/kubeImport.mjs ${ROUNDS}`,
  clientNode: require('@kubernetes/client-node/package.json').version,
  medianOf: ROUNDS,
  rows,
});
