/**
 * The optional context of a `/predict` instance, assembled from query results: each signal's
 * baseline statistics (its own normal) and the SLO windows, plus the SLO objectives from the
 * deployment's annotations. Pure, so the rules (too few points, NaN, bad annotations) are
 * table-tested apart from HTTP. Context is best effort: a missing statistic only means "no history".
 */
import type {
  BaselineContext,
  BaselineFeatureName,
  BaselineStat,
  FeatureInput,
  SloInput,
  SloWindow,
} from '@aiops/model/schema';
import type { BaselineQueryName } from '@aiops/model/queries';
import type { RequestContext } from '@aiops/model/scoring/requestColumns';

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
 * The baseline rules, the one place they are: the value sent for `stat` of a signal whose row holds
 * `v` for it, `count` points and `p50` as its median (NaN: none of them). NaN when it is not sent:
 * a count (it only gates the quantiles), a non-finite value, a quantile over fewer than
 * `minPoints` points. The schema wants p10 ≤ p50 ≤ p90; interpolation keeps them so, rounding
 * aside, so p10 and p90 are clamped to p50.
 */
function sentBaselineValue(
  stat: BaselineQueryName,
  v: number,
  count: number,
  p50: number,
  minPoints: number,
): number {
  if (stat === 'count' || !Number.isFinite(v)) return Number.NaN;
  if (!QUANTILES.has(stat)) return v;
  if (!((Number.isFinite(count) ? count : 0) >= minPoints)) return Number.NaN;
  if (stat === 'p50' || !Number.isFinite(p50)) return v;
  if (stat === 'p10') return v > p50 ? p50 : v;
  return v < p50 ? p50 : v;
}

/**
 * Where each baseline column's rules read: `count[k]` and `p50[k]` are the columns of the count
 * and the median of `specs[k]`'s signal (-1: none). Once per plan, not per row.
 */
interface BaselineLayout {
  /** Column index of each baseline `feature.stat` (a plan has one column per statistic). */
  at: Map<string, number>;
  count: Int32Array;
  p50: Int32Array;
}

const LAYOUTS = new WeakMap<readonly ContextSpec[], BaselineLayout>();

function layoutOf(specs: readonly ContextSpec[]): BaselineLayout {
  let layout = LAYOUTS.get(specs);
  if (layout !== undefined) return layout;
  const at = new Map<string, number>();
  specs.forEach((s, k) => {
    if (s.kind === 'baseline') at.set(`${s.feature}.${s.stat}`, k);
  });
  const count = new Int32Array(specs.length).fill(-1);
  const p50 = new Int32Array(specs.length).fill(-1);
  specs.forEach((s, k) => {
    if (s.kind !== 'baseline') return;
    count[k] = at.get(`${s.feature}.count`) ?? -1;
    p50[k] = at.get(`${s.feature}.p50`) ?? -1;
  });
  layout = { at, count, p50 };
  LAYOUTS.set(specs, layout);
  return layout;
}

/** `values[k]`, NaN for k = -1 (no such column). */
const valueAt = (values: ArrayLike<number>, k: number): number => (k < 0 ? Number.NaN : values[k]!);

/**
 * `buildContext` of the values `values[k]` of the columns `specs[k]`: one deployment's row of the
 * context columns, read without an object per value.
 */
export function buildContextOf(
  specs: readonly ContextSpec[],
  values: ArrayLike<number>,
  minPoints: number,
  annotations?: Readonly<Record<string, string>>,
): { baseline?: BaselineContext; slo?: SloInput } {
  const layout = layoutOf(specs);
  let baseline: Record<string, Record<string, number>> | undefined;
  let windows: NonNullable<SloInput['windows']> | undefined;
  for (let k = 0; k < specs.length; k++) {
    const s = specs[k]!;
    if (s.kind === 'baseline') {
      const v = sentBaselineValue(
        s.stat,
        values[k]!,
        valueAt(values, layout.count[k]!),
        valueAt(values, layout.p50[k]!),
        minPoints,
      );
      // Only what is sent becomes a property (an object that loses one to `delete` turns into a
      // slower, larger dictionary).
      if (!Number.isNaN(v)) ((baseline ??= {})[s.feature] ??= {})[s.stat] = v;
    } else if (sloValueSent(s.sli, values[k]!))
      ((windows ??= {})[s.window] ??= {})[s.sli] = values[k]!;
  }
  const out: { baseline?: BaselineContext; slo?: SloInput } = {};
  if (baseline !== undefined) out.baseline = baseline as BaselineContext;
  const slo = sloOf(windows, annotations);
  if (slo !== undefined) out.slo = slo;
  return out;
}

/** The SLO input of a deployment: its annotations' objectives and its windows; undefined: none. */
function sloOf(
  windows: SloInput['windows'] | undefined,
  annotations: Readonly<Record<string, string>> | undefined,
): SloInput | undefined {
  const slo: SloInput = {};
  const availability = parseObjective(annotations?.[SLO_AVAILABILITY_ANNOTATION]);
  if (availability !== undefined) slo.availability = availability;
  const latency = parseLatencyObjective(annotations?.[SLO_LATENCY_ANNOTATION]);
  if (latency !== undefined) slo.latency_p95_seconds = latency;
  if (windows !== undefined) slo.windows = windows;
  return availability !== undefined ||
    slo.latency_p95_seconds !== undefined ||
    windows !== undefined
    ? slo
    : undefined;
}

/** An SLO window's value as sent: non-finite, negative and error ratios above 1 are not. */
function sloValueSent(sli: string, v: number): boolean {
  return Number.isFinite(v) && v >= 0 && !(sli === 'error_ratio' && v > 1);
}

/**
 * The context columns of one cycle, indexed by deployment like the targets: what `buildContextOf`
 * makes of row i, read without building it — the `/predict` request writer takes the baseline
 * statistics column by column (`RequestContext`, through `requestContextOf`), so the cycle builds
 * no baseline and SLO objects per deployment (27 MB at 10,000 deployments, alive from the features
 * until the request was written). Rows that are not sent cost nothing.
 */
export class ContextColumns {
  private readonly layout: BaselineLayout;
  /** The SLO windows' columns, in the specs' order (the order their keys are written in). */
  private readonly sloAt: number[] = [];

  constructor(
    private readonly specs: readonly ContextSpec[],
    /** `columns[k][i]`: the value of `specs[k]` for deployment i (NaN: none). */
    private readonly columns: readonly ArrayLike<number>[],
    private readonly minPoints: number,
    /** Each deployment's annotations (its SLO objectives), indexed like the columns. */
    private readonly annotations: readonly (Readonly<Record<string, string>> | undefined)[],
  ) {
    this.layout = layoutOf(specs);
    specs.forEach((s, k) => {
      if (s.kind === 'slo') this.sloAt.push(k);
    });
  }

  /** Deployment i's baseline and SLO as objects, exactly `buildContextOf` of its row. */
  contextOf(i: number): { baseline?: BaselineContext; slo?: SloInput } {
    return buildContextOf(
      this.specs,
      this.columns.map((c) => c[i]!),
      this.minPoints,
      this.annotations[i],
    );
  }

  /**
   * The reader of `stat` of `feature`: deployment i → its value as `contextOf(i).baseline` holds
   * it, NaN when it has none. The columns it reads are looked up once here, not per deployment.
   */
  baselineReader(feature: BaselineFeatureName, stat: BaselineStat): (i: number) => number {
    const k = this.layout.at.get(`${feature}.${stat}`);
    if (k === undefined) return () => Number.NaN;
    const v = this.columns[k]!;
    const count = this.columnAt(this.layout.count[k]!);
    const p50 = this.columnAt(this.layout.p50[k]!);
    const minPoints = this.minPoints;
    return (i) =>
      sentBaselineValue(
        stat,
        v[i]!,
        count === undefined ? Number.NaN : count[i]!,
        p50 === undefined ? Number.NaN : p50[i]!,
        minPoints,
      );
  }

  private columnAt(k: number): ArrayLike<number> | undefined {
    return k < 0 ? undefined : this.columns[k];
  }

  /** Deployment i's SLO input as `contextOf(i).slo` holds it, undefined when it has none. */
  slo(i: number): SloInput | undefined {
    let windows: NonNullable<SloInput['windows']> | undefined;
    for (const k of this.sloAt) {
      const s = this.specs[k]! as Extract<ContextSpec, { kind: 'slo' }>;
      const v = this.columns[k]![i]!;
      if (sloValueSent(s.sli, v)) ((windows ??= {})[s.window] ??= {})[s.sli] = v;
    }
    return sloOf(windows, this.annotations[i]);
  }
}

/** Which row of which cycle's context columns a deployment's context is. */
export interface ContextRow {
  columns: ContextColumns;
  row: number;
}

/**
 * The `RequestContext` of a `/predict` request whose row r is `inputs[r]` with the context row
 * `rows[r]`: the writer reads each baseline column straight from the cycle's columns. A row
 * without a context row (undefined) sends its input's own `baseline` and `slo`.
 */
export function requestContextOf(
  rows: readonly (ContextRow | undefined)[],
  inputs: readonly FeatureInput[],
): RequestContext {
  return {
    fillBaseline(signal, stat, into) {
      let sent = false;
      // The rows of a request share one cycle's columns: their reader is made once per column.
      let columns: ContextColumns | undefined;
      let read: ((i: number) => number) | undefined;
      for (let r = 0; r < rows.length; r++) {
        const c = rows[r];
        let v: number;
        if (c === undefined) v = inputs[r]!.baseline?.[signal]?.[stat] ?? Number.NaN;
        else {
          if (c.columns !== columns) {
            columns = c.columns;
            read = columns.baselineReader(signal, stat);
          }
          v = read!(c.row);
        }
        if (Number.isNaN(v)) continue;
        into[r] = v;
        sent = true;
      }
      return sent;
    },
    slo: (r) => {
      const c = rows[r];
      return c === undefined ? inputs[r]!.slo : c.columns.slo(c.row);
    },
  };
}

/** Seconds in (0, 600]; undefined when absent or not such a number. */
function parseLatencyObjective(text: string | undefined): number | undefined {
  const v = text === undefined || text.trim() === '' ? NaN : Number(text);
  return v > 0 && v <= 600 ? v : undefined;
}

/**
 * Why a deployment's SLO annotations are not used, a line each naming the key, the value and the
 * rule (the healer reports them as `AutoHealBadAnnotation`); empty when they are fine or absent.
 */
export function sloAnnotationProblems(
  annotations: Readonly<Record<string, string>> | undefined,
): string[] {
  const problems: string[] = [];
  const availability = annotations?.[SLO_AVAILABILITY_ANNOTATION];
  if (availability !== undefined && parseObjective(availability) === undefined)
    problems.push(
      `${SLO_AVAILABILITY_ANNOTATION}: "${availability}" is not an objective above 50 % and below 100 % (0.999 or 99.9%); ignored`,
    );
  const latency = annotations?.[SLO_LATENCY_ANNOTATION];
  if (latency !== undefined && parseLatencyObjective(latency) === undefined)
    problems.push(
      `${SLO_LATENCY_ANNOTATION}: "${latency}" is not a number of seconds above 0 and at most 600; ignored`,
    );
  return problems;
}

/** `0.999`, `99.9%` or `99.9` → 0.999; undefined when absent or not an objective in (0.5, 1). */
export function parseObjective(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  let v = Number(t.endsWith('%') ? t.slice(0, -1) : t);
  if (t.endsWith('%') || v > 1) v = Number((v / 100).toPrecision(12));
  return v > 0.5 && v < 1 ? v : undefined;
}
