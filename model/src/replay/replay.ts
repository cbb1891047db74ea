/**
 * Replay / backtest: rows of a long-format file, in time order, through the same stateful scoring
 * the healer runs — each deployment's baseline built from its replayed history (the statistics the
 * healer's PromQL computes), the SLO windows, the Predictor, and the healer's entry rule.
 *
 * A row's cells are what the healer's feature queries returned at that time, so a missing cell is
 * what the healer gets from a query with no result or NaN (histogram_quantile without requests):
 * an optional feature is omitted and the Predictor imputes it at the deployment's normal. Where
 * the healer would hold a deployment without a required feature (inconclusive), replay fills it
 * with its normal, else its schema default, so that a file without, say, restart counts can be
 * replayed at all; such cells are counted in `imputedRequired`.
 */
import {
  FEATURES,
  FEATURE_NAMES,
  type FeatureInput,
  type FeatureName,
  type SloInput,
  type RiskLayer,
} from '../schema.js';
import { FleetHistory } from '../features/tracker.js';
import { DEFAULT_BASELINE_WINDOWS, type BaselineWindows } from '../features/windows.js';
import {
  DEFAULT_ENTRY_RULE,
  INITIAL_ALERT_STATE,
  checkEntryRule,
  stepAlert,
  type AlertState,
  type EntryRule,
} from '../alerting/entryRule.js';
import type { RiskOnly } from '../scoring/scorer.js';
import { readRow, type ReplayTable } from './csv.js';

/** What replay needs from a model: the Predictor's risk of one row. */
export interface RowScorer {
  risk(row: FeatureInput, index?: number): RiskOnly;
  /** The feature that raised the last scored row's risk most (explains episodes). */
  topFeatureOfLast(): FeatureName | undefined;
}

export interface ReplayOptions {
  rule?: EntryRule;
  /**
   * The healer's cycle, seconds (default 30, its default schedule). The entry rule's streaks count
   * time, in cycles: a row stands for the time since the deployment's previous row, so a 1-minute
   * row counts 2 cycles (the healer sees each value twice), a 10-second row a third of one (the
   * healer sees one row in three) and a 5-minute row 10. A gap longer than the lookback (5 min) is
   * a stretch the healer had no value and held: it breaks both streaks, and the row after it, like
   * a deployment's first, counts one cycle. 0: one cycle per row, whatever the times.
   */
  cycleSeconds?: number;
  windows?: BaselineWindows;
  /** The SLO applied to every deployment (availability objective, optional p95 objective). */
  slo?: Pick<SloInput, 'availability' | 'latency_p95_seconds' | 'min_requests'>;
  /** false: score with the model layer alone (no SLO windows sent). Default true. */
  sloLayer?: boolean;
}

export interface Episode {
  namespace: string;
  deployment: string;
  /** Unix seconds of the first and last at-risk row. */
  start: number;
  end: number;
  rows: number;
  peakRisk: number;
  /** The layer that set the peak risk. */
  layer: RiskLayer;
  /** Features that most often contributed most while at risk. */
  topFeatures: FeatureName[];
}

export interface ReplayResult {
  /** Per input row, in input order. */
  risk: Float64Array;
  atRisk: Uint8Array;
  inconclusive: Uint8Array;
  /** Model risk before the SLO layer, per input row. */
  modelRisk: Float64Array;
  episodes: Episode[];
  rows: number;
  deployments: number;
  inconclusiveRows: number;
  /** Required features that had to be filled in (no value in the row and none within the lookback). */
  imputedRequired: number;
  /**
   * Rows with the (timestamp, namespace, deployment) of an earlier row. Such rows are one
   * observation, as the healer has one value per feature at a time: their cells are merged (a
   * later row's value wins where both have one) and each gets that observation's risk.
   */
  repeatedRows: number;
  /** Cells of repeated rows whose value differed from an earlier row's (the later one kept). */
  conflictingCells: number;
}

/** The healer runs a cycle every 30 s by default (its `schedule`). */
export const DEFAULT_CYCLE_SECONDS = 30;
const N = FEATURES.length;
const REQUIRED = FEATURES.map((f) => f.required);

/** Replays a parsed table. */
export function replay(
  table: ReplayTable,
  scorer: RowScorer,
  opts: ReplayOptions = {},
): ReplayResult {
  const rule = checkEntryRule(opts.rule ?? DEFAULT_ENTRY_RULE);
  const windows = opts.windows ?? DEFAULT_BASELINE_WINDOWS;
  const fleet = new FleetHistory(windows);
  // Time order; a deployment's rows at one time side by side (they are merged), in input order.
  const order = Int32Array.from({ length: table.rows }, (_, i) => i).sort(
    (a, b) =>
      (table.t[a] as number) - (table.t[b] as number) ||
      (table.seriesOf[a] as number) - (table.seriesOf[b] as number) ||
      a - b,
  );
  const risk = new Float64Array(table.rows);
  const modelRisk = new Float64Array(table.rows);
  const atRisk = new Uint8Array(table.rows);
  const inconclusive = new Uint8Array(table.rows);
  const states: AlertState[] = table.series.map(() => INITIAL_ALERT_STATE);
  const lastT = new Float64Array(table.series.length).fill(NaN);
  const cycleSeconds = opts.cycleSeconds ?? DEFAULT_CYCLE_SECONDS;
  if (!(cycleSeconds >= 0)) throw new RangeError(`cycleSeconds must be ≥ 0, got ${cycleSeconds}`);
  // Streaks are counted in milliseconds of data against the rule's cycles in milliseconds, so that
  // fractions of a cycle (10-second rows) add up exactly: nine 10-s rows are three 30-s cycles.
  const cycleMs = Math.max(1, Math.round(cycleSeconds * 1000));
  const lookbackMs = windows.lookbackSeconds * 1000;
  const streakRule: EntryRule =
    cycleSeconds > 0
      ? { ...rule, enterCycles: rule.enterCycles * cycleMs, exitCycles: rule.exitCycles * cycleMs }
      : rule;
  const open: (Episode & { tops: Map<FeatureName, number> })[] = new Array(table.series.length);
  const episodes: Episode[] = [];
  let inconclusiveRows = 0;
  let imputedRequired = 0;
  let repeatedRows = 0;
  let conflictingCells = 0;
  const sloBase = opts.slo ?? {};
  const present: Partial<Record<FeatureName, number>> = {};

  const close = (s: number): void => {
    const e = open[s];
    if (!e) return;
    const tops = [...e.tops.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([f]) => f);
    const { tops: _drop, ...episode } = e;
    episodes.push({ ...episode, topFeatures: tops });
    open[s] = undefined as unknown as (typeof open)[number];
  };

  for (let i = 0; i < order.length;) {
    const r = order[i] as number;
    const s = table.seriesOf[r] as number;
    const t = table.t[r] as number;
    // Rows [i, end) of `order` are this deployment's at this time: one observation.
    let end = i + 1;
    readRow(table, r, present);
    while (
      end < order.length &&
      table.seriesOf[order[end] as number] === s &&
      table.t[order[end] as number] === t
    ) {
      conflictingCells += readRow(table, order[end] as number, present, true);
      end++;
    }
    const group = end - i;
    repeatedRows += group - 1;
    const { namespace, deployment } = table.series[s]!;
    const h = fleet.of(`${namespace}/${deployment}`);
    h.observe(t, present);
    const baseline = h.context(t);
    const input: Record<string, unknown> = {};
    for (let f = 0; f < N; f++) {
      const name = FEATURE_NAMES[f] as FeatureName;
      let v: number | undefined = present[name];
      if (v === undefined && REQUIRED[f]) {
        const med = (baseline as Record<string, { p50?: number } | undefined>)[name]?.p50;
        v = med ?? FEATURES[f]!.default;
        imputedRequired++;
      }
      if (v !== undefined) input[name] = v;
    }
    input.baseline = baseline;
    if (opts.sloLayer !== false) input.slo = { ...sloBase, windows: h.sloWindows(t) };
    const scored = scorer.risk(input as FeatureInput, r);
    const prev = lastT[s] as number;
    lastT[s] = t;
    let state = states[s]!;
    let credit = 1; // one cycle per row (cycleSeconds 0)
    if (cycleSeconds > 0) {
      const dtMs = Math.round((t - prev) * 1000);
      if (prev === prev && dtMs <= lookbackMs) credit = dtMs;
      else {
        // A deployment's first row, or its first after a gap the healer could not see across.
        if (prev === prev) state = stepAlert(state, null, streakRule);
        credit = cycleMs;
      }
    }
    const next = stepAlert(
      state,
      scored.inconclusive !== undefined ? null : scored.risk,
      streakRule,
      credit,
    );
    states[s] = next;
    for (let k = i; k < end; k++) {
      const row = order[k] as number;
      risk[row] = scored.risk;
      modelRisk[row] = scored.modelRisk;
      atRisk[row] = next.atRisk ? 1 : 0;
      if (scored.inconclusive !== undefined) inconclusive[row] = 1;
    }
    if (scored.inconclusive !== undefined) inconclusiveRows += group;
    if (next.atRisk) {
      let e = open[s];
      if (!e) {
        e = {
          namespace,
          deployment,
          start: t,
          end: t,
          rows: 0,
          peakRisk: 0,
          layer: scored.layer,
          topFeatures: [],
          tops: new Map(),
        };
        open[s] = e;
      }
      e.end = t;
      e.rows += group;
      if (scored.risk > e.peakRisk) {
        e.peakRisk = scored.risk;
        e.layer = scored.layer;
      }
      const f = scorer.topFeatureOfLast();
      if (f !== undefined) e.tops.set(f, (e.tops.get(f) ?? 0) + 1);
    } else close(s);
    i = end;
  }
  for (let s = 0; s < table.series.length; s++) close(s);
  episodes.sort((a, b) => a.start - b.start || a.deployment.localeCompare(b.deployment));
  return {
    risk,
    atRisk,
    inconclusive,
    modelRisk,
    episodes,
    rows: table.rows,
    deployments: table.series.length,
    inconclusiveRows,
    imputedRequired,
    repeatedRows,
    conflictingCells,
  };
}

/** The output CSV: `timestamp,namespace,deployment,risk,at_risk`, one row per input row, in input order. */
export function* formatReplayOutput(table: ReplayTable, result: ReplayResult): Generator<string> {
  yield 'timestamp,namespace,deployment,risk,at_risk\n';
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  let chunk = '';
  for (let r = 0; r < table.rows; r++) {
    const { namespace, deployment } = table.series[table.seriesOf[r] as number]!;
    chunk += `${quote(table.timestampText[r] as string)},${quote(namespace)},${quote(deployment)},${(result.risk[r] as number).toFixed(4)},${result.atRisk[r]}\n`;
    if (chunk.length > 65536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
