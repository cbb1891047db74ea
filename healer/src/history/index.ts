export * from './types.js';
export * from './prometheus.js';
export * from './cache.js';
