export * from './testing/process.js';
export * from './testing/prometheus.js';
