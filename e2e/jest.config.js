/** `npm run test:e2e`: every workspace's *.e2e.test.ts plus the cross-component suites here. */
process.env.AIOPS_TEST_KIND = 'e2e';
export default {
  testTimeout: 120000,
  projects: [
    '<rootDir>/e2e/jest.project.js',
    '<rootDir>/model',
    '<rootDir>/simulator',
    '<rootDir>/backend',
    '<rootDir>/healer',
    '<rootDir>/platform',
  ],
  rootDir: '..',
};
