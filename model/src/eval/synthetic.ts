/**
 * The synthetic evaluation: held-out runs (another seed and the `heldout` parameter ranges —
 * grouped by run, so no run has rows in both training and evaluation) scored row by row and as
 * events, with the two rule baselines beside the model:
 *
 * - the SLO-distance rule (`sloDistance`, alert at ≥ 1);
 * - 3σ on the deployment's own 5xx ratio and p95 (μ, σ from its normal history; alert at ≥ 3σ).
 *
 * Row level: ROC-AUC, PR-AUC, Brier and ECE of the forecastable rows (label: SLO breached now or
 * within 5 minutes). Event level: a faulty run is detected when its detector alerts at or after the
 * fault's onset; lead = first breach − first alert; false alarms are alert minutes per hour of the
 * healthy runs.
 *
 * Every detector alerts through the healer's entry rule (`events`): its score at or above its
 * threshold for `enterCycles` consecutive cycles enters, `exitCycles` below leaves — the same
 * persistence and hold for all, as the healer would apply to any of them; the model's inconclusive
 * rows break its streaks as they do in the healer. `eventsAnyRow` keeps the rules alerting on any
 * single row (the model still through the entry rule), the convention of the real-data days. Each
 * rule is also run at the model's false-alarm budget (its threshold set on the healthy runs so that
 * it raises no more alert minutes per hour than the model).
 */
import type { FeatureInput } from '../schema.js';
import type { Predictor } from '../predictor.js';
import { generateRuns } from '../data/dataset.js';
import {
  HEALTHY_SCENARIOS,
  SCENARIOS,
  type ScenarioName,
  type Variant,
} from '../data/scenarios.js';
import { STEP_SECONDS, type Run } from '../data/simulate.js';
import { alertSeries, DEFAULT_ENTRY_RULE, type EntryRule } from '../alerting/entryRule.js';
import { brier, ece, prAuc, rocAuc } from './metrics.js';
import { median } from './events.js';
import { FEATURE_NAMES } from '../schema.js';
import { sloDistance } from './baselines.js';

export type DetectorName = 'model' | 'slo_distance' | 'own_3sigma';
export const DETECTORS: readonly DetectorName[] = ['model', 'slo_distance', 'own_3sigma'];

export interface RowScores {
  rows: number;
  positives: number;
  rocAuc: number;
  prAuc: number;
  /** Only for the model (the rules' scores are not probabilities). */
  brier: number | null;
  ece: number | null;
}

export interface EventScores {
  /** Faulty runs that breach their SLO after the onset. */
  breachingRuns: number;
  detected: number;
  /**
   * Rules: runs detected at the model's false-alarm budget, the threshold that took, and the
   * alert minutes per hour of the healthy runs it raises there (at most the model's).
   */
  atModelBudget?: { detected: number; threshold: number; falseAlarmMinutesPerHour: number };
  /** Detected strictly before the first breach. */
  early: number;
  medianLeadMinutes: number | null;
  /** Alert minutes per hour over the healthy runs. */
  falseAlarmMinutesPerHour: number;
}

export interface ScenarioRow {
  scenario: ScenarioName;
  runs: number;
  breachingRuns: number;
  detected: Record<DetectorName, number>;
  medianLeadMinutes: Record<DetectorName, number | null>;
  /** The model's lead when its first risk ≥ high counts (no entry rule): what the rule costs. */
  modelRawLeadMinutes: number | null;
  /** Alert minutes per hour (healthy scenarios: false alarms). */
  alertMinutesPerHour: Record<DetectorName, number>;
}

export interface SyntheticReport {
  data: {
    seed: number;
    variant: Variant;
    runsPerScenario: number;
    runs: number;
    stepSeconds: number;
  };
  rule: EntryRule;
  rows: Record<DetectorName, RowScores>;
  /** Every detector through the entry rule. */
  events: Record<DetectorName, EventScores>;
  /** The rules alerting on any single row (the model through the entry rule, as in `events`). */
  eventsAnyRow: Record<DetectorName, EventScores>;
  scenarios: ScenarioRow[];
  /** Runs detected per scenario with the rules alerting on any row. */
  scenariosAnyRow: { scenario: ScenarioName; detected: Record<DetectorName, number> }[];
  unforecastableRows: number;
}

interface RunScores {
  run: Run;
  risk: number[];
  /** The model's risk per row, null where it abstained (inconclusive): what the entry rule sees. */
  entryRisk: (number | null)[];
  sloScore: number[];
  sigma: number[];
}

/** How the rules alert: through the healer's entry rule, or on any single row. */
export type RuleAlerting = 'entry_rule' | 'any_row';

export const RULE_THRESHOLDS: Record<Exclude<DetectorName, 'model'>, number> = {
  slo_distance: 1,
  own_3sigma: 3,
};

/** The entry rule over a boolean series (alert rows count as risk 1, the others as 0). */
export function persistent(hits: readonly boolean[], rule: EntryRule): boolean[] {
  return alertSeries(
    hits.map((h) => (h ? 1 : 0)),
    rule,
  );
}

function ownSigma(run: Run, row: FeatureInput): number {
  const stat = (xs: number[]): { m: number; s: number } => {
    if (xs.length < 2) return { m: NaN, s: NaN };
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { m, s: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) };
  };
  const e = stat(run.history.err);
  const l = stat(run.history.p95);
  const dev = (x: number | undefined, st: { m: number; s: number }): number => {
    if (x === undefined || !(st.m === st.m)) return 0;
    const d = x - st.m;
    return d <= 0 ? 0 : st.s > 0 ? d / st.s : Infinity;
  };
  return Math.max(dev(row.http_5xx_error_rate, e), dev(row.http_p95_latency_seconds, l));
}

function rawOf(row: FeatureInput): Float64Array {
  return Float64Array.from(FEATURE_NAMES, (n) => {
    const v = (row as unknown as Record<string, number | undefined>)[n];
    return v === undefined ? NaN : v;
  });
}

export function evaluateSynthetic(
  predictor: Pick<Predictor, 'risk'>,
  opts: {
    seed: number;
    runsPerScenario: number;
    rule?: EntryRule;
    /** `heldout` (the report); `train` ranges only to study the model on validation-like runs. */
    variant?: Variant;
  },
): SyntheticReport {
  const rule = opts.rule ?? DEFAULT_ENTRY_RULE;
  const variant = opts.variant ?? 'heldout';
  const runs = generateRuns({
    seed: opts.seed,
    variant,
    runsPerScenario: opts.runsPerScenario,
  });
  const scored: RunScores[] = runs.map((run) => {
    const risk: number[] = [];
    const entryRisk: (number | null)[] = [];
    for (const s of run.samples) {
      const r = predictor.risk(s.row);
      risk.push(r.risk);
      entryRisk.push(r.inconclusive === undefined ? r.risk : null);
    }
    return {
      run,
      risk,
      entryRisk,
      sloScore: run.samples.map((s) => sloDistance(rawOf(s.row))),
      sigma: run.samples.map((s) => ownSigma(run, s.row)),
    };
  });
  // Row level, forecastable rows.
  const labels: number[] = [];
  const col: Record<DetectorName, number[]> = { model: [], slo_distance: [], own_3sigma: [] };
  let unforecastable = 0;
  for (const r of scored) {
    r.run.samples.forEach((s, i) => {
      if (!s.forecastable) {
        unforecastable++;
        return;
      }
      labels.push(s.label);
      col.model.push(r.risk[i] as number);
      col.slo_distance.push(r.sloScore[i] as number);
      col.own_3sigma.push(Math.min(r.sigma[i] as number, 1e6));
    });
  }
  const positives = labels.reduce((a, b) => a + b, 0);
  const rows = Object.fromEntries(
    DETECTORS.map((d) => [
      d,
      {
        rows: labels.length,
        positives,
        rocAuc: rocAuc(col[d], labels),
        prAuc: prAuc(col[d], labels),
        brier: d === 'model' ? brier(col[d], labels) : null,
        ece: d === 'model' ? ece(col[d], labels) : null,
      },
    ]),
  ) as Record<DetectorName, RowScores>;

  const { events, scenarios } = eventLevel(scored, rule, 'entry_rule');
  const anyRow = eventLevel(scored, rule, 'any_row');
  return {
    data: {
      seed: opts.seed,
      variant,
      runsPerScenario: opts.runsPerScenario,
      runs: runs.length,
      stepSeconds: STEP_SECONDS,
    },
    rule,
    rows,
    events,
    eventsAnyRow: anyRow.events,
    scenarios,
    scenariosAnyRow: anyRow.scenarios.map((x) => ({
      scenario: x.scenario,
      detected: x.detected,
    })),
    unforecastableRows: unforecastable,
  };
}

function scoresOf(r: RunScores, d: Exclude<DetectorName, 'model'>): number[] {
  return d === 'slo_distance' ? r.sloScore : r.sigma;
}

/** A detector's alert per row: the model through the entry rule, a rule as `mode` says. */
function alertsOf(
  r: RunScores,
  d: DetectorName,
  rule: EntryRule,
  mode: RuleAlerting,
  threshold?: number,
): boolean[] {
  if (d === 'model') {
    return alertSeries(r.entryRisk, rule);
  }
  const t = threshold ?? RULE_THRESHOLDS[d];
  const hits = scoresOf(r, d).map((x) => x >= t);
  return mode === 'entry_rule' ? persistent(hits, rule) : hits;
}

const minutesPerRow = STEP_SECONDS / 60;

function breachingAfterOnset(run: Run): boolean {
  const onset = run.faultMinute;
  return onset !== null && run.samples.some((s) => s.breach && s.minute >= onset);
}

function detects(run: Run, alerts: readonly boolean[]): boolean {
  const onset = run.faultMinute;
  return onset !== null && run.samples.some((s, i) => s.minute >= onset && alerts[i]);
}

/**
 * The lowest threshold at which a rule's alerts over the healthy runs cover no more minutes than
 * `budgetMinutes` (alert minutes only fall as the threshold rises, under either alerting mode).
 */
function thresholdAtBudget(
  scored: readonly RunScores[],
  d: Exclude<DetectorName, 'model'>,
  rule: EntryRule,
  mode: RuleAlerting,
  budgetMinutes: number,
): number {
  const healthy = scored.filter((r) => HEALTHY_SCENARIOS.includes(r.run.scenario));
  const minutesAt = (t: number): number =>
    healthy.reduce((a, r) => a + alertsOf(r, d, rule, mode, t).filter(Boolean).length, 0) *
    minutesPerRow;
  const candidates = [...new Set(healthy.flatMap((r) => scoresOf(r, d)))]
    .filter((x) => x > 0 && Number.isFinite(x))
    .sort((a, b) => a - b);
  // Just above each score value (a threshold equal to a score alerts on it).
  const above = (x: number): number => x + Math.max(Math.abs(x) * 1e-9, 1e-12);
  if (minutesAt(0) <= budgetMinutes) return 0;
  let lo = 0;
  let hi = candidates.length - 1;
  if (hi < 0 || minutesAt(above(candidates[hi] as number)) > budgetMinutes) return Infinity;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (minutesAt(above(candidates[mid] as number)) <= budgetMinutes) hi = mid;
    else lo = mid + 1;
  }
  return above(candidates[lo] as number);
}

function eventLevel(
  scored: readonly RunScores[],
  rule: EntryRule,
  mode: RuleAlerting,
): { events: Record<DetectorName, EventScores>; scenarios: ScenarioRow[] } {
  const rawLeads = new Map<ScenarioName, number[]>();
  const perScenario = new Map<ScenarioName, ScenarioRow>();
  const leads: Record<DetectorName, number[]> = { model: [], slo_distance: [], own_3sigma: [] };
  const leadsBy = new Map<ScenarioName, Record<DetectorName, number[]>>();
  const events = Object.fromEntries(
    DETECTORS.map((d) => [
      d,
      {
        breachingRuns: 0,
        detected: 0,
        early: 0,
        medianLeadMinutes: null,
        falseAlarmMinutesPerHour: 0,
      },
    ]),
  ) as Record<DetectorName, EventScores>;
  let healthyMinutes = 0;
  const healthyAlertMinutes: Record<DetectorName, number> = {
    model: 0,
    slo_distance: 0,
    own_3sigma: 0,
  };
  for (const r of scored) {
    const sc = r.run.scenario;
    let row = perScenario.get(sc);
    if (!row) {
      row = {
        scenario: sc,
        runs: 0,
        breachingRuns: 0,
        detected: { model: 0, slo_distance: 0, own_3sigma: 0 },
        medianLeadMinutes: { model: null, slo_distance: null, own_3sigma: null },
        modelRawLeadMinutes: null,
        alertMinutesPerHour: { model: 0, slo_distance: 0, own_3sigma: 0 },
      };
      perScenario.set(sc, row);
      leadsBy.set(sc, { model: [], slo_distance: [], own_3sigma: [] });
    }
    row.runs++;
    const onset = r.run.faultMinute;
    const breachAt =
      onset === null ? undefined : r.run.samples.find((s) => s.breach && s.minute >= onset)?.minute;
    if (breachAt !== undefined) row.breachingRuns++;
    const runMinutes = r.run.samples.length * minutesPerRow;
    if (HEALTHY_SCENARIOS.includes(sc)) healthyMinutes += runMinutes;
    if (breachAt !== undefined && onset !== null) {
      const first = r.run.samples.findIndex(
        (s, i) => s.minute >= onset && (r.risk[i] as number) >= rule.high,
      );
      if (first >= 0) {
        const list = rawLeads.get(sc) ?? [];
        list.push(breachAt - (r.run.samples[first] as { minute: number }).minute);
        rawLeads.set(sc, list);
      }
    }
    for (const d of DETECTORS) {
      const alerts = alertsOf(r, d, rule, mode);
      const alertRows = alerts.filter(Boolean).length;
      row.alertMinutesPerHour[d] += alertRows * minutesPerRow; // summed minutes; divided below
      if (HEALTHY_SCENARIOS.includes(sc)) healthyAlertMinutes[d] += alertRows * minutesPerRow;
      if (breachAt === undefined || onset === null) continue;
      events[d].breachingRuns++;
      const first = r.run.samples.findIndex((s, i) => s.minute >= onset && alerts[i]);
      if (first < 0) continue;
      events[d].detected++;
      row.detected[d]++;
      const lead = breachAt - (r.run.samples[first] as { minute: number }).minute;
      if (lead > 0) events[d].early++;
      leads[d].push(lead);
      leadsBy.get(sc)![d].push(lead);
    }
  }
  for (const d of DETECTORS) {
    events[d].medianLeadMinutes = median(leads[d]);
    events[d].falseAlarmMinutesPerHour =
      healthyMinutes > 0 ? healthyAlertMinutes[d] / (healthyMinutes / 60) : NaN;
  }
  // The rules at the model's budget: the lowest threshold whose healthy-run alert minutes stay
  // within the model's; then their detections.
  for (const d of ['slo_distance', 'own_3sigma'] as const) {
    const threshold = thresholdAtBudget(scored, d, rule, mode, healthyAlertMinutes.model);
    let detected = 0;
    let alertRows = 0;
    for (const r of scored) {
      const alerts = alertsOf(r, d, rule, mode, threshold);
      if (HEALTHY_SCENARIOS.includes(r.run.scenario)) alertRows += alerts.filter(Boolean).length;
      else if (breachingAfterOnset(r.run) && detects(r.run, alerts)) detected++;
    }
    events[d].atModelBudget = {
      detected,
      threshold,
      falseAlarmMinutesPerHour:
        healthyMinutes > 0 ? (alertRows * minutesPerRow) / (healthyMinutes / 60) : NaN,
    };
  }
  const scenarios = SCENARIOS.filter((s) => perScenario.has(s)).map((s) => {
    const row = perScenario.get(s)!;
    const hours =
      (row.runs * (scored.find((x) => x.run.scenario === s)!.run.samples.length * minutesPerRow)) /
      60;
    for (const d of DETECTORS) {
      row.alertMinutesPerHour[d] = hours > 0 ? row.alertMinutesPerHour[d] / hours : NaN;
      row.medianLeadMinutes[d] = median(leadsBy.get(s)![d]);
    }
    row.modelRawLeadMinutes = median(rawLeads.get(s) ?? []);
    return row;
  });
  return { events, scenarios };
}

/** The synthetic bar, per alerting convention of the rules. */
export interface SyntheticVerdict {
  /** The model ranks rows better than both rules. */
  rocAuc: boolean;
  /** All through the entry rule: more runs detected than both, no more false-alarm minutes. */
  events: boolean;
  /** All through the entry rule, the rules at the model's false-alarm budget: more runs detected. */
  eventsAtBudget: boolean;
  /** The same two with the rules alerting on any row. */
  eventsAnyRow: boolean;
  eventsAnyRowAtBudget: boolean;
}

export function syntheticVerdictOf(r: SyntheticReport): SyntheticVerdict {
  const rules = DETECTORS.filter((d) => d !== 'model');
  const ahead = (ev: Record<DetectorName, EventScores>): boolean =>
    rules.every(
      (d) =>
        ev.model.detected > ev[d].detected &&
        ev.model.falseAlarmMinutesPerHour <= ev[d].falseAlarmMinutesPerHour,
    );
  const atBudget = (ev: Record<DetectorName, EventScores>): boolean =>
    rules.every((d) => ev.model.detected > (ev[d].atModelBudget?.detected ?? Infinity));
  return {
    rocAuc: rules.every((d) => r.rows.model.rocAuc > r.rows[d].rocAuc),
    events: ahead(r.events),
    eventsAtBudget: atBudget(r.events),
    eventsAnyRow: ahead(r.eventsAnyRow),
    eventsAnyRowAtBudget: atBudget(r.eventsAnyRow),
  };
}
