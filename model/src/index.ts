export * from './schema.js';
export * from './queries.js';
export { Predictor, PredictInputError, DEFAULT_ARTIFACT_DIR } from './predictor.js';
export type { PredictOptions } from './scoring/scorer.js';
export type { ScoredBatch } from './scoring/scoredBatch.js';
export type { ModelMetadata, Engine } from './predictor.js';
export { ArtifactError } from './artifact.js';
export { EngineError } from './tf.js';
export { DEFAULT_ENTRY_RULE, stepAlert, INITIAL_ALERT_STATE } from './alerting/entryRule.js';
export type { EntryRule, AlertState } from './alerting/entryRule.js';
export { evaluateSlo, DEFAULT_SLO, BURN_RATE_ALERTS } from './slo/burnRate.js';
export type { SloVerdict } from './slo/burnRate.js';
export {
  writeColumns,
  writeColumnSegments,
  joinColumnSegments,
  columnSourceOf,
  predictionsOfColumns,
  ColumnsError,
} from './scoring/columns.js';
export type { ColumnarPredictions, ColumnSource, ColumnSegments } from './scoring/columns.js';
export { JsonBytes } from './scoring/jsonBytes.js';
export {
  baselineColumnsOf,
  withBaselines,
  columnarRequestOf,
  writeColumnarRequest,
  rowsOfColumnarRequest,
  rowColumnsOf,
  rowsWithContext,
} from './scoring/requestColumns.js';
export type { BaselineColumns, RowColumns } from './features/derive.js';
export type { ColumnarPredictRequest, RequestContext } from './scoring/requestColumns.js';
