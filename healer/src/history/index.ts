export * from './types.js';
export * from './prometheus.js';
