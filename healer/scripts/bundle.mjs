// `npm run build:bundle -w healer` (after `tsc -b`): the healer's entry point bundled with esbuild
// into dist-bundle/main.mjs, tree-shaken to what it uses — what the image runs (Dockerfile, target
// `healer`). The reason is memory: `@kubernetes/client-node`'s `KubeConfig` imports every
// generated API and model, and V8 keeps each loaded module's source text; bundled, only the parts
// reached from the healer's code load (docs/scaling.md, "The bundled entry point").
//
// What stays out of the bundle, loaded from node_modules at run time as in development: the
// packages the healer declares as its own dependencies (package.json), but client-node. So the
// bundle imports only what `npm ci --omit=dev -w healer` installs where Node finds it from healer/
// (client-node's own dependencies, which npm may nest under it, are bundled with it). Among them
// the Slack clients, which src/notify imports lazily on the first message: bundled, their code
// would load with the healer even when Slack is off. BUNDLE_ALL=true bundles every package but
// the Slack clients (measured: no smaller at rest, bench/bundleRest.mjs).
// `node scripts/bundle.mjs [entry.js] [out.mjs]` bundles another compiled entry (the bench's cycle
// child uses it with the same settings); BUNDLE_METAFILE=<file> writes esbuild's metafile.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HEALER = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLED = '@kubernetes/client-node';
/** Imported lazily (src/notify): external in every variant. */
const SLACK = ['@slack/webhook', '@slack/web-api'];

/** A bare specifier's package name: `@scope/name` or `name`. */
export const packageOf = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/** The packages the bundle leaves to node_modules: the healer's dependencies but client-node. */
export async function externalPackages() {
  const manifest = JSON.parse(await readFile(join(HEALER, 'package.json'), 'utf8'));
  return Object.keys(manifest.dependencies ?? {}).filter((p) => p !== BUNDLED);
}

/** Marks `external` packages (and Node's built-ins) external; esbuild bundles the rest. */
function externals(external) {
  const names = new Set(external);
  return {
    name: 'healer-externals',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        names.has(packageOf(args.path)) ? { path: args.path, external: true } : undefined,
      );
    },
  };
}

/**
 * Bundles `entry` (compiled JavaScript) into `outfile`, an ES module for Node, not minified (stack
 * traces stay readable).
 * @param {{ entry?: string, outfile?: string, all?: boolean, metafile?: string }} opts
 */
export async function bundleHealer({
  entry = join(HEALER, 'dist', 'src', 'main.js'),
  outfile = join(HEALER, 'dist-bundle', 'main.mjs'),
  all = process.env.BUNDLE_ALL === 'true',
  metafile = process.env.BUNDLE_METAFILE,
} = {}) {
  const external = all ? SLACK : await externalPackages();
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    treeShaking: true,
    // the externals resolve from the healer's node_modules, so the bundle must sit under healer/
    // (or the image's /app) where Node's resolution finds them
    plugins: [externals(external)],
    // CommonJS dependencies inlined into an ES module call `require` for Node's built-ins
    banner: {
      js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
    },
    sourcemap: false,
    legalComments: 'none',
    metafile: Boolean(metafile),
    logLevel: 'warning',
  });
  if (metafile) await writeFile(metafile, JSON.stringify(result.metafile));
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry, outfile] = process.argv.slice(2);
  const out = await bundleHealer({
    ...(entry ? { entry: resolve(entry) } : {}),
    ...(outfile ? { outfile: resolve(outfile) } : {}),
  });
  console.log(`bundled ${out}`);
}
