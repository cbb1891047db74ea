/**
 * One jest configuration shape for every Node workspace: ESM TypeScript through ts-jest
 * (transpile only; `tsc -b` does the type checking), cross-workspace imports resolved to source.
 *
 * Two kinds of suite: `*.test.ts` run in `npm test` and need only Node (kubectl from the base
 * image allowed); `*.e2e.test.ts` need servers from apt (prometheus, promtool, amtool, chromium)
 * and run in `npm run test:e2e`.
 * @param {string} name workspace folder name
 * @param {'unit' | 'e2e'} kind
 */
export function sharedJestConfig(
  name,
  kind = process.env.AIOPS_TEST_KIND === 'e2e' ? 'e2e' : 'unit',
) {
  return {
    displayName: kind === 'e2e' ? `${name}:e2e` : name,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    roots: ['<rootDir>'],
    modulePathIgnorePatterns: ['<rootDir>/dist/'],
    testMatch: kind === 'e2e' ? ['**/*.e2e.test.ts'] : ['**/*.test.ts'],
    testPathIgnorePatterns:
      kind === 'e2e'
        ? ['/node_modules/', '/dist/']
        : ['/node_modules/', '/dist/', '\\.e2e\\.test\\.ts$'],
    moduleNameMapper: {
      '^@aiops/model$': '<rootDir>/../model/src/index.ts',
      '^@aiops/model/(.*)$': '<rootDir>/../model/src/$1.ts',
      '^@aiops/simulator$': '<rootDir>/../simulator/src/index.ts',
      '^@aiops/simulator/(.*)$': '<rootDir>/../simulator/src/$1.ts',
      '^@aiops/backend$': '<rootDir>/../backend/src/index.ts',
      '^@aiops/healer$': '<rootDir>/../healer/src/index.ts',
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    transform: {
      '^.+\\.ts$': [
        'ts-jest',
        { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: false },
      ],
    },
  };
}
