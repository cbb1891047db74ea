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

export interface LodoResult {
  /** Per held-out day: the variant picked on the other days and how it did on this one. */
  heldOut: (DayScore & { picked: string; utility: number })[];
  /** The variant best over every day: the one to ship. */
  chosen: string;
  /** Mean utility per variant over every day. */
  meanUtility: Record<string, number>;
}

/** What `npm run tune` writes (tuning.json beside the artifact). */
export interface TuningRecord extends LodoResult {
  method: string;
  variants: Record<string, unknown>;
  scores: Record<string, DayScore[]>;
}

export function leaveOneDayOut(scores: Record<string, DayScore[]>): LodoResult {
  const variants = Object.keys(scores);
  if (variants.length === 0) throw new RangeError('no variants to choose from');
  const days = (scores[variants[0]!] ?? []).map((s) => s.day);
  const total = (v: string, skip?: string): number =>
    (scores[v] ?? []).filter((s) => s.day !== skip).reduce((a, s) => a + utility(s), 0);
  const best = (skip?: string): string =>
    variants.reduce((b, v) => (total(v, skip) > total(b, skip) + 1e-12 ? v : b), variants[0]!);
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
    };
  });
  const meanUtility = Object.fromEntries(
    variants.map((v) => [v, total(v) / Math.max(1, days.length)]),
  );
  return { heldOut, chosen: best(), meanUtility };
}
