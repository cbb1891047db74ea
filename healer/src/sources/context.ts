/**
 * The optional context of a `/predict` instance, assembled from query results: each signal's
 * baseline statistics (its own normal) and the SLO windows, plus the SLO objectives from the
 * deployment's annotations. Pure, so the rules (too few points, NaN, bad annotations) are
 * table-tested apart from HTTP. Context is best effort: a missing statistic only means "no history".
 */
import type {
  BaselineContext,
  BaselineFeatureName,
  SloInput,
  SloWindow,
} from '@aiops/model/schema';
import type { BaselineQueryName } from '@aiops/model/queries';

/** Annotations that set a deployment's SLO. */
export const SLO_AVAILABILITY_ANNOTATION = 'aiops.io/slo-availability';
export const SLO_LATENCY_ANNOTATION = 'aiops.io/slo-latency-p95-seconds';

/** One statistic's value for one deployment. */
export type ContextValue = ContextSpec & { value: number };

/** What a context column holds, the same for every deployment: its values' kind without a value. */
export type ContextSpec =
  | { kind: 'baseline'; feature: BaselineFeatureName; stat: BaselineQueryName }
  | { kind: 'slo'; window: SloWindow; sli: 'error_ratio' | 'requests' | 'p95_seconds' };

/**
 * The baseline and SLO windows of one deployment from its context values. Trailing quantiles over
 * fewer than `minPoints` grid points are dropped, as are non-finite values.
 */
export function buildContext(
  values: readonly ContextValue[],
  minPoints: number,
  annotations?: Readonly<Record<string, string>>,
): { baseline?: BaselineContext; slo?: SloInput } {
  return buildContextOf(
    values,
    values.map((v) => v.value),
    minPoints,
    annotations,
  );
}

const QUANTILES: ReadonlySet<string> = new Set(['p10', 'p50', 'p90']);

/**
 * `buildContext` of the values `values[k]` of the columns `specs[k]`: one deployment's row of the
 * context columns, read without an object per value (10,000 deployments × 75 columns a cycle).
 */
export function buildContextOf(
  specs: readonly ContextSpec[],
  values: ArrayLike<number>,
  minPoints: number,
  annotations?: Readonly<Record<string, string>>,
): { baseline?: BaselineContext; slo?: SloInput } {
  // The counts first, so a quantile over too few points is never added (an object that loses a
  // property to `delete` turns into a slower, larger dictionary).
  let counts: Partial<Record<BaselineFeatureName, number>> | undefined;
  for (let k = 0; k < specs.length; k++) {
    const s = specs[k]!;
    const v = values[k]!;
    if (s.kind === 'baseline' && s.stat === 'count' && Number.isFinite(v))
      (counts ??= {})[s.feature] = v;
  }
  let baseline: Record<string, Record<string, number>> | undefined;
  let windows: NonNullable<SloInput['windows']> | undefined;
  for (let k = 0; k < specs.length; k++) {
    const s = specs[k]!;
    const v = values[k]!;
    if (!Number.isFinite(v)) continue;
    if (s.kind === 'baseline') {
      if (s.stat === 'count') continue;
      if (QUANTILES.has(s.stat) && (counts?.[s.feature] ?? 0) < minPoints) continue;
      ((baseline ??= {})[s.feature] ??= {})[s.stat] = v;
    } else {
      if (v < 0 || (s.sli === 'error_ratio' && v > 1)) continue;
      ((windows ??= {})[s.window] ??= {})[s.sli] = v;
    }
  }
  if (baseline !== undefined) {
    for (const stats of Object.values(baseline)) {
      // The schema wants p10 ≤ p50 ≤ p90; interpolation keeps them so, rounding aside.
      if (stats.p10 !== undefined && stats.p50 !== undefined && stats.p10 > stats.p50)
        stats.p10 = stats.p50;
      if (stats.p90 !== undefined && stats.p50 !== undefined && stats.p90 < stats.p50)
        stats.p90 = stats.p50;
    }
  }
  const out: { baseline?: BaselineContext; slo?: SloInput } = {};
  if (baseline !== undefined) out.baseline = baseline as BaselineContext;
  const slo: SloInput = {};
  const availability = parseObjective(annotations?.[SLO_AVAILABILITY_ANNOTATION]);
  if (availability !== undefined) slo.availability = availability;
  const latency = Number(annotations?.[SLO_LATENCY_ANNOTATION]);
  if (annotations?.[SLO_LATENCY_ANNOTATION] !== undefined && latency > 0 && latency <= 600)
    slo.latency_p95_seconds = latency;
  if (windows !== undefined) slo.windows = windows;
  if (availability !== undefined || slo.latency_p95_seconds !== undefined || windows !== undefined)
    out.slo = slo;
  return out;
}

/** `0.999`, `99.9%` or `99.9` → 0.999; undefined when absent or not an objective in (0.5, 1). */
export function parseObjective(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  let v = Number(t.endsWith('%') ? t.slice(0, -1) : t);
  if (t.endsWith('%') || v > 1) v = Number((v / 100).toPrecision(12));
  return v > 0.5 && v < 1 ? v : undefined;
}
