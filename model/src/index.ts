export * from './schema.js';
export * from './queries.js';
