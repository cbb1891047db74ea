/** `npm run test:cluster`: suites against a real control plane (scripts/cluster.mjs sets it up). */
import { sharedJestConfig } from '../../jest.shared.js';

const base = sharedJestConfig('e2e', 'e2e');
export default {
  ...base,
  displayName: 'cluster',
  rootDir: '..',
  roots: ['<rootDir>/cluster'],
  testMatch: ['**/*.cluster.test.ts'],
  testTimeout: 300_000,
};
