/**
 * Leave-one-day-out selection among generator variants, so the choices made on the real days
 * generalise to a day nobody has seen: for each day, the variant that does best on the other
 * days is chosen and scored on the day left out. Pure.
 */
export interface DayScore {
  day: string;
  detected: number;
  faults: number;
  falseAlarmMinutesPerHour: number;
  /** The rule baselines' scores on the same day at their own operating points (for `bar`). */
  baselines?: BaselineScore[];
}

export interface BaselineScore {
  name: string;
  detected: number;
  falseAlarmMinutesPerHour: number;
}

/**
 * The utility of one day, fixed before tuning: the share of faults detected, minus
 * `FA_WEIGHT` per false-alarm minute per hour (one false-alarm minute every hour costs as much as
 * missing a tenth of the faults).
 */
export const FA_WEIGHT = 0.1;
export function utility(s: DayScore): number {
  return s.detected / s.faults - FA_WEIGHT * s.falseAlarmMinutesPerHour;
}

/**
 * How many of the day's baselines the variant beats at their own operating points — the issue's
 * bar: more faults detected and no more false-alarm minutes per hour.
 */
export function baselinesBeaten(s: DayScore): number {
  return (s.baselines ?? []).filter(
    (b) =>
      s.detected > b.detected && s.falseAlarmMinutesPerHour <= b.falseAlarmMinutesPerHour + 1e-9,
  ).length;
}

/**
 * What a variant is chosen by: `utility` (the sum of the days' utilities), or `bar` (the number of
 * day × baseline pairs beaten, the issue's bar; ties broken by utility).
 */
export type Objective = 'utility' | 'bar';

export interface LodoResult {
  objective: Objective;
  /** Per held-out day: the variant picked on the other days and how it did on this one. */
  heldOut: (DayScore & { picked: string; utility: number; baselinesBeaten: number })[];
  /** The variant best over every day: the one to ship. */
  chosen: string;
  /** Mean utility per variant over every day. */
  meanUtility: Record<string, number>;
}

/** What `npm run tune` writes (tuning.json beside the artifact). */
export interface TuningRecord extends Omit<LodoResult, 'objective' | 'heldOut'> {
  method: string;
  /** Absent in records written before the `bar` objective (utility). */
  objective?: Objective;
  /** `baselinesBeaten` is absent in records written before it. */
  heldOut: (DayScore & { picked: string; utility: number; baselinesBeaten?: number })[];
  variants: Record<string, unknown>;
  scores: Record<string, DayScore[]>;
  /** The same leave-one-day-out with the other objective, for comparison. */
  byUtility?: Pick<TuningRecord, 'heldOut' | 'chosen'>;
}

export function leaveOneDayOut(
  scores: Record<string, DayScore[]>,
  objective: Objective = 'utility',
): LodoResult {
  const variants = Object.keys(scores);
  if (variants.length === 0) throw new RangeError('no variants to choose from');
  const days = (scores[variants[0]!] ?? []).map((s) => s.day);
  const sum = (v: string, f: (s: DayScore) => number, skip?: string): number =>
    (scores[v] ?? []).filter((s) => s.day !== skip).reduce((a, s) => a + f(s), 0);
  const total = (v: string, skip?: string): number => sum(v, utility, skip);
  const better = (v: string, b: string, skip?: string): boolean => {
    if (objective === 'bar') {
      const dv = sum(v, baselinesBeaten, skip);
      const db = sum(b, baselinesBeaten, skip);
      if (dv !== db) return dv > db;
    }
    return total(v, skip) > total(b, skip) + 1e-12;
  };
  const best = (skip?: string): string =>
    variants.reduce((b, v) => (better(v, b, skip) ? v : b), variants[0]!);
  const heldOut = days.map((day) => {
    const picked = best(day);
    const s = (scores[picked] ?? []).find((x) => x.day === day)!;
    return {
      day,
      picked,
      detected: s.detected,
      faults: s.faults,
      falseAlarmMinutesPerHour: s.falseAlarmMinutesPerHour,
      utility: utility(s),
      baselinesBeaten: baselinesBeaten(s),
    };
  });
  const meanUtility = Object.fromEntries(
    variants.map((v) => [v, total(v) / Math.max(1, days.length)]),
  );
  return { objective, heldOut, chosen: best(), meanUtility };
}
