// `npm run test:e2e`: end-to-end suites that need real servers from apt.
import { buildAndRunJest, requireBinaries } from './lib.mjs';

requireBinaries(['prometheus', 'promtool', 'amtool', 'chromium']);

// The dashboard's browser test runs against the real stack here (the fake is for UI work).
buildAndRunJest('e2e/jest.config.js', {
  E2E_DASHBOARD_STACK: 'real',
  ...process.env,
  AIOPS_TEST_KIND: 'e2e',
});
