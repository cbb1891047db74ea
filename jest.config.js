/** Runs every Node workspace's tests in one jest process (the dashboard uses Vitest). */
export default {
  // testTimeout is a global option: jest ignores it inside project configs.
  testTimeout: 30000,
  projects: [
    '<rootDir>/model',
    '<rootDir>/simulator',
    '<rootDir>/backend',
    '<rootDir>/healer',
    '<rootDir>/platform',
  ],
};
