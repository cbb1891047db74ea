import { sharedJestConfig } from '../jest.shared.js';

export default { ...sharedJestConfig('e2e', 'e2e'), rootDir: '.' };
