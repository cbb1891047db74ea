// Small helpers shared by the root scripts (start, e2e, bench).
import { spawnSync } from 'node:child_process';

/** apt package providing each binary the e2e suites and benchmarks need. */
export const APT_BINARIES = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  amtool: 'prometheus-alertmanager',
  chromium: 'chromium',
  wrk: 'wrk',
};

/** Path of a binary on PATH, or undefined. */
export function which(bin) {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Exits with a message naming each missing binary and its apt package. */
export function requireBinaries(bins) {
  const missing = bins.filter((b) => !which(b));
  if (missing.length === 0) return;
  for (const b of missing) {
    console.error(`missing binary: ${b} (install with: apt-get install ${APT_BINARIES[b] ?? b})`);
  }
  process.exit(1);
}

/** `npm run build`, then jest with `config` in band; exits with jest's status. */
export function buildAndRunJest(config, env, extraArgs = []) {
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const r = spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings=ExperimentalWarning',
      'node_modules/jest/bin/jest.js',
      '--config',
      config,
      '--runInBand',
      ...extraArgs,
    ],
    { stdio: 'inherit', env },
  );
  process.exit(r.status ?? 1);
}
