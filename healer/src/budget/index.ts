export * from './types.js';
export * from './evaluate.js';
export * from './gate.js';
export * from './ledgerSource.js';
export * from './metrics.js';
