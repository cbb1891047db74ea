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
export type ContextValue =
  | { kind: 'baseline'; feature: BaselineFeatureName; stat: BaselineQueryName; value: number }
  | {
      kind: 'slo';
      window: SloWindow;
      sli: 'error_ratio' | 'requests' | 'p95_seconds';
      value: number;
    };

/**
 * The baseline and SLO windows of one deployment from its context values. Trailing quantiles over
 * fewer than `minPoints` grid points are dropped, as are non-finite values.
 */
export function buildContext(
  values: readonly ContextValue[],
  minPoints: number,
  annotations?: Readonly<Record<string, string>>,
): { baseline?: BaselineContext; slo?: SloInput } {
  const baseline: Record<string, Record<string, number>> = {};
  const counts: Record<string, number> = {};
  const windows: NonNullable<SloInput['windows']> = {};
  for (const v of values) {
    if (!Number.isFinite(v.value)) continue;
    if (v.kind === 'baseline') {
      if (v.stat === 'count') counts[v.feature] = v.value;
      else (baseline[v.feature] ??= {})[v.stat] = v.value;
    } else {
      if (v.value < 0 || (v.sli === 'error_ratio' && v.value > 1)) continue;
      (windows[v.window] ??= {})[v.sli] = v.value;
    }
  }
  for (const [feature, stats] of Object.entries(baseline)) {
    if ((counts[feature] ?? 0) < minPoints) {
      delete stats.p10;
      delete stats.p50;
      delete stats.p90;
    }
    // The schema wants p10 ≤ p50 ≤ p90; interpolation keeps them so, rounding aside.
    if (stats.p10 !== undefined && stats.p50 !== undefined && stats.p10 > stats.p50)
      stats.p10 = stats.p50;
    if (stats.p90 !== undefined && stats.p50 !== undefined && stats.p90 < stats.p50)
      stats.p90 = stats.p50;
    if (Object.keys(stats).length === 0) delete baseline[feature];
  }
  const out: { baseline?: BaselineContext; slo?: SloInput } = {};
  if (Object.keys(baseline).length > 0) out.baseline = baseline as BaselineContext;
  const slo: SloInput = {};
  const availability = parseObjective(annotations?.[SLO_AVAILABILITY_ANNOTATION]);
  if (availability !== undefined) slo.availability = availability;
  const latency = Number(annotations?.[SLO_LATENCY_ANNOTATION]);
  if (annotations?.[SLO_LATENCY_ANNOTATION] !== undefined && latency > 0 && latency <= 600)
    slo.latency_p95_seconds = latency;
  if (Object.keys(windows).length > 0) slo.windows = windows;
  if (Object.keys(slo).length > 0) out.slo = slo;
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
