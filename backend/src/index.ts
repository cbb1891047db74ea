export { createApp, type AppDeps, type AppOptions } from './app.js';
export { createMetrics, type ServiceMetrics } from './metrics.js';
export { compilePredictBody, type PredictBody } from './validate.js';
export { buildOpenApi } from './openapi.js';
export * from './errors.js';
export * from './types.js';
