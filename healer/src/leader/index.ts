export * from './types.js';
export * from './lease.js';
