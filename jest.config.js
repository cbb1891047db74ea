/** Runs every Node workspace's tests in one jest process (the dashboard uses Vitest). */
export default {
  projects: [
    '<rootDir>/model',
    '<rootDir>/simulator',
    '<rootDir>/backend',
    '<rootDir>/healer',
    '<rootDir>/platform',
  ],
};
