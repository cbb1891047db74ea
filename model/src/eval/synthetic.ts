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
 * healthy runs. The model alerts through the healer's entry rule, the baselines on any row; each
 * baseline is also run at the model's false-alarm budget (its threshold set on the healthy runs so
 * that it raises no more alert minutes per hour than the model), as on the real days.
 */
import type { FeatureInput } from '../schema.js';
import type { Predictor } from '../predictor.js';
import { generateRuns } from '../data/dataset.js';
import { HEALTHY_SCENARIOS, SCENARIOS, type ScenarioName } from '../data/scenarios.js';
import { STEP_SECONDS, type Run } from '../data/simulate.js';
import {
  DEFAULT_ENTRY_RULE,
  INITIAL_ALERT_STATE,
  stepAlert,
  type EntryRule,
} from '../alerting/entryRule.js';
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
  /** Baselines: runs detected at the model's false-alarm budget, and the threshold that took. */
  atModelBudget?: { detected: number; threshold: number };
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
    variant: 'heldout';
    runsPerScenario: number;
    runs: number;
    stepSeconds: number;
  };
  rule: EntryRule;
  rows: Record<DetectorName, RowScores>;
  events: Record<DetectorName, EventScores>;
  scenarios: ScenarioRow[];
  unforecastableRows: number;
}

interface RunScores {
  run: Run;
  risk: number[];
  sloScore: number[];
  sigma: number[];
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
  opts: { seed: number; runsPerScenario: number; rule?: EntryRule },
): SyntheticReport {
  const rule = opts.rule ?? DEFAULT_ENTRY_RULE;
  const runs = generateRuns({
    seed: opts.seed,
    variant: 'heldout',
    runsPerScenario: opts.runsPerScenario,
  });
  const scored: RunScores[] = runs.map((run) => ({
    run,
    risk: run.samples.map((s) => predictor.risk(s.row).risk),
    sloScore: run.samples.map((s) => sloDistance(rawOf(s.row))),
    sigma: run.samples.map((s) => ownSigma(run, s.row)),
  }));
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

  // Event level.
  const alertsOf = (r: RunScores, d: DetectorName, threshold?: number): boolean[] => {
    if (d === 'slo_distance') return r.sloScore.map((x) => x >= (threshold ?? 1));
    if (d === 'own_3sigma') return r.sigma.map((x) => x >= (threshold ?? 3));
    let state = INITIAL_ALERT_STATE;
    return r.risk.map((x) => (state = stepAlert(state, x, rule)).atRisk);
  };
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
  const minutesPerRow = STEP_SECONDS / 60;
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
      const alerts = alertsOf(r, d);
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
  // The baselines at the model's budget: the lowest threshold whose healthy-run alert minutes
  // stay within the model's; then their detections.
  const budgetMinutes = healthyAlertMinutes.model;
  for (const d of ['slo_distance', 'own_3sigma'] as const) {
    const healthyScores: number[] = [];
    for (const r of scored) {
      if (!HEALTHY_SCENARIOS.includes(r.run.scenario)) continue;
      for (const x of d === 'slo_distance' ? r.sloScore : r.sigma) healthyScores.push(x);
    }
    healthyScores.sort((a, b) => b - a);
    const cut = healthyScores[Math.floor(budgetMinutes / minutesPerRow)];
    const threshold =
      cut === undefined
        ? 0
        : cut === Infinity
          ? Infinity
          : cut + Math.max(Math.abs(cut) * 1e-9, 1e-12);
    let detected = 0;
    for (const r of scored) {
      const onset = r.run.faultMinute;
      if (onset === null || !r.run.samples.some((s) => s.breach && s.minute >= onset)) continue;
      const alerts = alertsOf(r, d, threshold);
      if (r.run.samples.some((s, i) => s.minute >= onset && alerts[i])) detected++;
    }
    events[d].atModelBudget = { detected, threshold };
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
  return {
    data: {
      seed: opts.seed,
      variant: 'heldout',
      runsPerScenario: opts.runsPerScenario,
      runs: runs.length,
      stepSeconds: STEP_SECONDS,
    },
    rule,
    rows,
    events,
    scenarios,
    unforecastableRows: unforecastable,
  };
}
