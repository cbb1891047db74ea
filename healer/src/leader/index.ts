export * from './types.js';
export * from './errors.js';
export * from './lease.js';
export * from './manualClock.js';
export * from './metrics.js';
