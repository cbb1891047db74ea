/**
 * Prediction objects and the columnar answer: `columnSourceOf` lets the writer take prediction
 * objects (shadow mode, scorers without `score`); `predictionsOfColumns` reads a columnar answer
 * back into prediction objects (the healer).
 */
import {
  FEATURES,
  type Contribution,
  type FeatureName,
  type Prediction,
  type PredictionLayers,
} from '../schema.js';
import type { ColumnarPredictions, ColumnSource } from './columns.js';

const NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);
const INDEX = new Map<string, number>(NAMES.map((n, i) => [n, i]));

/** Prediction objects (the object path: shadow mode, other scorers) as a `ColumnSource`. */
export function columnSourceOf(
  predictions: readonly Prediction[],
  version: string,
  threshold: number,
): ColumnSource {
  const p = (r: number): Prediction => predictions[r] as Prediction;
  const c = (r: number, k: number): Contribution => p(r).explanation[k] as Contribution;
  return {
    length: predictions.length,
    version,
    threshold,
    risk: (r) => p(r).risk,
    layer: (r) => p(r).layer ?? 'model',
    rule: (r) => {
      const { layer, layers } = p(r);
      if (layer === 'slo' && layers) return layers.slo.rule;
      if (layer === 'own_normal' && layers?.own_normal) return layers.own_normal.signal;
      return undefined;
    },
    reason: (r) => {
      const { layer, layers } = p(r);
      if (layer === 'slo' && layers) return layers.slo.reason;
      if (layer === 'own_normal' && layers?.own_normal) return layers.own_normal.reason;
      return undefined;
    },
    inconclusive: (r) => p(r).inconclusive,
    imputedMask: (r) => {
      let mask = 0;
      for (const name of p(r).imputed) mask |= 1 << (INDEX.get(name) ?? 0);
      return mask;
    },
    modelRisk: (r) => p(r).layers?.model.risk ?? p(r).risk,
    referenceRisk: (r) => p(r).layers?.model.reference_risk ?? NaN,
    explained: (r) => p(r).explanation.length,
    feature: (r, k) => INDEX.get(c(r, k).feature) ?? -1,
    contribution: (r, k) => c(r, k).contribution,
    value: (r, k) => c(r, k).value,
    reference: (r, k) => c(r, k).reference ?? NaN,
  };
}

/** `body` is not a columnar answer for `rows` rows. */
export class ColumnsError extends Error {
  override readonly name = 'ColumnsError';
}

/**
 * The layers that did not fire and the empty `imputed`, one frozen object each for every row of
 * every answer rather than one per row: 10,000 rows made up to 30,000 such objects a cycle.
 */
const SLO_NOT_FIRED: PredictionLayers['slo'] = Object.freeze({
  fired: false,
  rule: null,
  reason: '',
});
const OWN_NORMAL_NOT_FIRED: NonNullable<PredictionLayers['own_normal']> = Object.freeze({
  fired: false,
  signal: null,
  reason: '',
});
const NONE_IMPUTED = Object.freeze([]) as unknown as FeatureName[];

/**
 * The prediction objects of a columnar answer, in row order. Layers that did not set the risk
 * are reported as not fired, without their reasons (the columnar form does not carry them).
 * `explain` keeps each row's first (largest) contributions only, for a caller that asked
 * `?explain=` of a server that may not know it. Throws ColumnsError when `body` is not a columnar
 * answer for `rows` rows.
 */
export function predictionsOfColumns(
  body: unknown,
  rows: number,
  explain = Infinity,
): Prediction[] {
  const b = body as Partial<ColumnarPredictions> | null;
  const e = b?.explanation;
  const columns = [
    b?.risk,
    b?.level,
    b?.layer,
    b?.rule,
    b?.reason,
    b?.inconclusive,
    b?.imputed,
    b?.model_risk,
    b?.reference_risk,
    e?.feature,
    e?.contribution,
    e?.value,
    e?.reference,
  ];
  if (
    b === null ||
    typeof b !== 'object' ||
    b.format !== 'columns' ||
    !Array.isArray(b.features) ||
    typeof b.model?.version !== 'string' ||
    typeof b.threshold !== 'number' ||
    columns.some((col) => !Array.isArray(col) || col.length !== rows)
  ) {
    throw new ColumnsError(`not a columnar answer for ${rows} rows`);
  }
  const c = b as ColumnarPredictions;
  const model = Object.freeze({ version: c.model.version });
  const names = c.features;
  const out: Prediction[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const f = c.explanation.feature[r]!;
    const top = Math.min(f.length, explain);
    const explanation: Contribution[] = new Array(top);
    for (let k = 0; k < top; k++) {
      const name = names[f[k]!];
      if (name === undefined) throw new ColumnsError(`row ${r}: unknown feature index ${f[k]}`);
      explanation[k] = {
        feature: name,
        value: c.explanation.value[r]![k]!,
        contribution: c.explanation.contribution[r]![k]! / 1e6,
        reference: c.explanation.reference[r]![k]!,
      };
    }
    const layer = c.layer[r]!;
    const reason = c.reason[r] ?? '';
    const rule = c.rule[r] ?? null;
    const inconclusive = c.inconclusive[r];
    const p: Prediction = {
      risk: c.risk[r]!,
      level: c.level[r]!,
      threshold: c.threshold,
      explanation,
      imputed: c.imputed[r]!.length === 0 ? NONE_IMPUTED : c.imputed[r]!.map((i) => names[i]!),
      model,
      layer,
      layers: {
        model: {
          risk: c.model_risk[r]!,
          reference_risk: c.reference_risk[r]!,
          abstained: inconclusive ?? null,
        },
        slo: layer === 'slo' ? { fired: true, rule, reason } : SLO_NOT_FIRED,
        own_normal:
          layer === 'own_normal' ? { fired: true, signal: rule, reason } : OWN_NORMAL_NOT_FIRED,
      },
    };
    if (inconclusive !== null && inconclusive !== undefined) p.inconclusive = inconclusive;
    out[r] = p;
  }
  return out;
}
