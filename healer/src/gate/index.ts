export * from './types.js';
export * from './fleet.js';
export * from './gate.js';
