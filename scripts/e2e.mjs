// `npm run test:e2e`: end-to-end suites that need real servers from apt.
import { spawnSync } from 'node:child_process';
import { requireBinaries } from './lib.mjs';

requireBinaries(['prometheus', 'promtool', 'amtool', 'chromium']);

const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const r = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    'node_modules/jest/bin/jest.js',
    '--config',
    'e2e/jest.config.js',
    '--runInBand',
  ],
  {
    stdio: 'inherit',
    // The dashboard's browser test runs against the real stack here (the fake is for UI work).
    env: { E2E_DASHBOARD_STACK: 'real', ...process.env, AIOPS_TEST_KIND: 'e2e' },
  },
);
process.exit(r.status ?? 1);
