/**
 * The evaluation on real cluster data: every Nezha day folder found, converted to the replay file
 * format and scored through `replay` (the healer's code path: trailing baselines from the replayed
 * history, the SLO layer, the Predictor, the entry rule), beside the two rule baselines computed in
 * the same run. Event-level scores per day (see events.ts).
 *
 * Conventions (the same for every detector):
 * - a fault is detected by an alert at a row timed in [injection, injection + 240 s];
 * - the fault-free period starts 10 minutes after the last listed injection (3-minute fault and
 *   its recovery tail) and ends with the data; when that leaves less than the hour the 3σ fit
 *   needs, the stretch before the first injection serves if it is longer (`faultFreeStretch`);
 * - the 3σ baseline fits μ and σ on the first hour of that period (as the paper's detector style
 *   does, on a fault-free stretch — which it then also scores, a look-ahead the model does not have);
 * - "at the model's budget": the baseline's threshold lowered or raised until its alerts cover no
 *   more fault-free minutes than the model's, then its detections counted (the fair comparison of
 *   detectors that trade detections for false alarms differently).
 */
import type { Predictor } from '../predictor.js';
import { FEATURES } from '../schema.js';
import { NezhaFormatError, readNezhaDay, type NezhaDay } from '../nezha/convert.js';
import { formatReplayCsv, parseReplayCsv } from '../replay/csv.js';
import { replay, DEFAULT_CYCLE_SECONDS, type Episode } from '../replay/replay.js';
import { DEFAULT_ENTRY_RULE, type EntryRule } from '../alerting/entryRule.js';
import { scoreEvents, type AlertRow, type EventScore } from './events.js';
import { episodeEvidence, type EpisodeEvidence } from './episodeEvidence.js';
import {
  alertsAt,
  entrySigmaScores,
  matchBudget,
  sloDistance,
  type ScoredRow,
} from './baselines.js';

export const DETECTION_WINDOW_SECONDS = 240;
/** The objective declared for every deployment in the evaluation (Nezha has no annotations). */
export const EVAL_AVAILABILITY = 0.999;
export const FAULT_FREE_AFTER_LAST_SECONDS = 600;
export const SIGMA_FIT_SECONDS = 3600;

export interface DetectorResult {
  name: string;
  /** How it alerts (threshold or rule), for the report. */
  operatingPoint: string;
  score: EventScore;
}

export interface DayResult {
  day: string;
  system: string;
  rows: number;
  deployments: number;
  faults: number;
  faultTypes: Record<string, number>;
  faultFree: { from: string; to: string; hours: number; basis: FaultFreeStretch['basis'] };
  notes: string[];
  replayMs: number;
  inconclusiveRows: number;
  /**
   * The model's alert episodes that reach into the fault-free period: which deployment, when,
   * which layer set the peak and what raised the risk most — so every false-alarm minute can be
   * read against the data (an unlisted incident, a noisy service, a tail of the last fault).
   */
  falseAlarmEpisodes: FalseAlarmEpisode[];
  detectors: {
    model: DetectorResult;
    modelLayerOnly: DetectorResult;
    entry3Sigma: DetectorResult;
    sloDistance: DetectorResult;
    entry3SigmaAtModelBudget: DetectorResult;
    sloDistanceAtModelBudget: DetectorResult;
  };
  verdict: {
    /** The literal bar: more faults detected and no more false-alarm minutes per hour, at each baseline's own operating point. */
    beatsEntry3Sigma: boolean;
    beatsSloDistance: boolean;
    /** At the same false-alarm budget: more faults detected. */
    beatsEntry3SigmaAtBudget: boolean;
    beatsSloDistanceAtBudget: boolean;
  };
}

export type FalseAlarmEpisode = Pick<
  Episode,
  'deployment' | 'start' | 'end' | 'rows' | 'layer' | 'topFeatures'
> & {
  /** Its top feature's extreme against the deployment's fault-free median, when both exist. */
  evidence?: EpisodeEvidence;
};

export interface RealDataOptions {
  rule?: EntryRule;
  cycleSeconds?: number;
}

const N = FEATURES.length;

/** The day cannot be scored: no stretch without faults to count false alarms on. */
export class NoFaultFreeStretchError extends Error {
  override readonly name = 'NoFaultFreeStretchError';
}

export interface FaultFreeStretch {
  from: number;
  to: number;
  /** `after`: from 10 min after the last listed injection to the end of the data; `before`: from the start of the data to the first injection. */
  basis: 'after' | 'before';
}

/** The shortest stretch a day's false alarms are counted on. */
export const MIN_FAULT_FREE_SECONDS = 1800;

/**
 * Where a day's false alarms are counted: the hours after the last listed injection (and its
 * recovery tail), the testbed's own convention; when they are shorter than the hour the 3σ fit
 * takes and the data before the first injection is longer, that stretch instead. Shorter than
 * `MIN_FAULT_FREE_SECONDS` either way: `NoFaultFreeStretchError` (a false-alarm rate over a few
 * minutes would mean nothing).
 */
export function faultFreeStretch(
  faultTimes: readonly number[],
  data: { from: number; to: number },
): FaultFreeStretch {
  const first = Math.min(...faultTimes);
  const last = Math.max(...faultTimes);
  const after: FaultFreeStretch = {
    from: last + FAULT_FREE_AFTER_LAST_SECONDS,
    to: data.to,
    basis: 'after',
  };
  const before: FaultFreeStretch = { from: data.from, to: first, basis: 'before' };
  const length = (s: FaultFreeStretch): number => s.to - s.from;
  const pick =
    length(after) >= SIGMA_FIT_SECONDS || length(after) >= length(before) ? after : before;
  if (length(pick) < MIN_FAULT_FREE_SECONDS) {
    const min = (x: number): string => `${Math.max(0, Math.round(x / 60))} min`;
    throw new NoFaultFreeStretchError(
      `no fault-free stretch of ${min(MIN_FAULT_FREE_SECONDS)}: the data ends ${min(
        data.to - last,
      )} after the last listed injection and starts ${min(first - data.from)} before the first, so false alarms cannot be counted`,
    );
  }
  return pick;
}

function alertRowsOf(table: ReturnType<typeof parseReplayCsv>, atRisk: Uint8Array): AlertRow[] {
  const out: AlertRow[] = [];
  for (let r = 0; r < table.rows; r++) {
    if (atRisk[r])
      out.push({
        t: table.t[r] as number,
        deployment: table.series[table.seriesOf[r] as number]!.deployment,
      });
  }
  return out;
}

/** Evaluates one day folder. */
export async function evaluateDay(
  predictor: Pick<Predictor, 'risk' | 'topFeatureOfLast'>,
  dayDir: string,
  opts: RealDataOptions = {},
): Promise<DayResult> {
  const day: NezhaDay = await readNezhaDay(dayDir);
  if (day.faults.length === 0) throw new NezhaFormatError(dayDir, 'no faults listed');
  const rule = opts.rule ?? DEFAULT_ENTRY_RULE;
  const cycleSeconds = opts.cycleSeconds ?? DEFAULT_CYCLE_SECONDS;
  // The replay path, from the file format an evaluator would feed.
  const table = parseReplayCsv(formatReplayCsv(day.rows));
  const t0 = performance.now();
  const full = replay(table, predictor, {
    rule,
    cycleSeconds,
    slo: { availability: EVAL_AVAILABILITY },
  });
  const replayMs = performance.now() - t0;
  const modelOnly = replay(table, predictor, { rule, cycleSeconds, sloLayer: false });
  let start = Infinity;
  let end = -Infinity;
  for (let r = 0; r < table.rows; r++) {
    start = Math.min(start, table.t[r] as number);
    end = Math.max(end, table.t[r] as number);
  }
  const stretch = faultFreeStretch(
    day.faults.map((f) => f.t),
    { from: start, to: end },
  );
  const faultFree = { from: stretch.from, to: stretch.to };
  const faults = day.faults.map((f) => ({ t: f.t, deployment: f.deployment, type: f.type }));
  const score = (alerts: AlertRow[], perDeployment: boolean): EventScore =>
    scoreEvents({
      faults,
      alerts,
      faultFree,
      windowSeconds: DETECTION_WINDOW_SECONDS,
      perDeployment,
    });

  const model = score(alertRowsOf(table, full.atRisk), true);
  const layerOnly = score(alertRowsOf(table, modelOnly.atRisk), true);
  const entry = entrySigmaScores(
    day.entry.rows.map((e) => ({ t: e.t, successRate: e.successRate, p90: e.p90 })),
    { from: faultFree.from, to: faultFree.from + SIGMA_FIT_SECONDS },
    day.entry.successRateUsable,
  );
  const slo: ScoredRow[] = [];
  for (let r = 0; r < table.rows; r++) {
    slo.push({
      t: table.t[r] as number,
      deployment: table.series[table.seriesOf[r] as number]!.deployment,
      score: sloDistance(table.values, r * N),
    });
  }
  const budget = model.falseAlarmMinutes;
  const kBudget = matchBudget(entry.scores, faultFree, budget);
  const cBudget = matchBudget(slo, faultFree, budget);
  const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));
  const detectors: DayResult['detectors'] = {
    model: {
      name: 'model + SLO + own-normal layers (replay, entry rule)',
      operatingPoint: `risk ≥ ${rule.high} for ${rule.enterCycles} cycles of ${cycleSeconds || 'one row'} s, exit < ${rule.low} for ${rule.exitCycles}; availability objective ${EVAL_AVAILABILITY} declared for every deployment`,
      score: model,
    },
    modelLayerOnly: {
      name: 'without the SLO layer',
      operatingPoint: 'same entry rule, SLO layer off (model and own-normal layer)',
      score: layerOnly,
    },
    entry3Sigma: {
      name: '3σ entry service',
      operatingPoint: Number.isFinite(entry.fit.p90.mean)
        ? `success rate < μ − 3σ or p90 > μ + 3σ (p90 μ ${fmt(entry.fit.p90.mean)} s, σ ${fmt(entry.fit.p90.std)} s)`
        : 'no entry-service latency in its fit hour: never alerts',
      score: score(alertsAt(entry.scores, 3), false),
    },
    sloDistance: {
      name: 'SLO-distance rule',
      operatingPoint: 'score ≥ 1 on any deployment',
      score: score(alertsAt(slo, 1), true),
    },
    entry3SigmaAtModelBudget: {
      name: '3σ entry service at the model’s false-alarm budget',
      operatingPoint: `deviation ≥ ${fmt(kBudget)} σ`,
      score: score(alertsAt(entry.scores, kBudget), false),
    },
    sloDistanceAtModelBudget: {
      name: 'SLO-distance rule at the model’s false-alarm budget',
      operatingPoint: `score ≥ ${fmt(cBudget)}`,
      score: score(alertsAt(slo, cBudget), true),
    },
  };
  const beats = (a: EventScore, b: EventScore): boolean =>
    a.detected > b.detected && a.falseAlarmMinutesPerHour <= b.falseAlarmMinutesPerHour + 1e-9;
  const faultTypes: Record<string, number> = {};
  for (const f of day.faults) faultTypes[f.type] = (faultTypes[f.type] ?? 0) + 1;
  return {
    day: day.name,
    system: day.system,
    rows: table.rows,
    deployments: table.series.length,
    faults: day.faults.length,
    faultTypes,
    faultFree: {
      from: new Date(faultFree.from * 1000).toISOString(),
      to: new Date(faultFree.to * 1000).toISOString(),
      hours: (faultFree.to - faultFree.from) / 3600,
      basis: stretch.basis,
    },
    notes: day.notes,
    replayMs,
    inconclusiveRows: full.inconclusiveRows,
    falseAlarmEpisodes: full.episodes
      .filter((e) => e.end >= faultFree.from && e.start <= faultFree.to)
      .map(({ deployment, start, end, rows, layer, topFeatures }) => {
        const top = topFeatures[0];
        const evidence =
          top && episodeEvidence(table, { deployment, start, end, feature: top }, faultFree);
        return { deployment, start, end, rows, layer, topFeatures, ...(evidence && { evidence }) };
      }),
    detectors,
    verdict: {
      beatsEntry3Sigma: beats(model, detectors.entry3Sigma.score),
      beatsSloDistance: beats(model, detectors.sloDistance.score),
      beatsEntry3SigmaAtBudget: model.detected > detectors.entry3SigmaAtModelBudget.score.detected,
      beatsSloDistanceAtBudget: model.detected > detectors.sloDistanceAtModelBudget.score.detected,
    },
  };
}
