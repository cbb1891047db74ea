export * from './schema.js';
export * from './queries.js';
export { Predictor, PredictInputError, DEFAULT_ARTIFACT_DIR } from './predictor.js';
export type { ModelMetadata, Engine } from './predictor.js';
export { ArtifactError } from './artifact.js';
export { EngineError } from './tf.js';
