/**
 * The entry/exit streak rule, on its own so it can be shared (the model's replay tool has the same
 * rule). Pure. A streak counts *cycles of time*, not calls: a sample closer than
 * `minSampleIntervalMs` to the last counted one may break a streak but never extends it, so three
 * quick `POST /api/check` calls cannot satisfy `enterCycles = 3`.
 */

export interface Streaks {
  /** Consecutive counted samples with risk ≥ high. */
  highStreak: number;
  /** Consecutive counted samples with risk < low. */
  lowStreak: number;
  /** When the last counted sample was taken (ms). */
  lastSampleAt?: number;
}

export interface StreakRule {
  high: number;
  low: number;
  minSampleIntervalMs: number;
}

/** Whether a sample at `at` is far enough from the last counted one to count as a new cycle. */
export function spaced(
  lastSampleAt: number | undefined,
  at: number,
  minIntervalMs: number,
): boolean {
  return lastSampleAt === undefined || at - lastSampleAt >= minIntervalMs;
}

/** One streak: +1 for a spaced sample that meets the condition, 0 when it does not. */
export function advanceCount(count: number, meets: boolean, isSpaced: boolean): number {
  if (!meets) return 0;
  return isSpaced ? count + 1 : count;
}

/** Advances both streaks with one conclusive risk sample taken at `at`. */
export function advanceStreaks(s: Streaks, risk: number, rule: StreakRule, at: number): Streaks {
  const isSpaced = spaced(s.lastSampleAt, at, rule.minSampleIntervalMs);
  return {
    highStreak: advanceCount(s.highStreak, risk >= rule.high, isSpaced),
    lowStreak: advanceCount(s.lowStreak, risk < rule.low, isSpaced),
    ...(isSpaced
      ? { lastSampleAt: at }
      : s.lastSampleAt !== undefined
        ? { lastSampleAt: s.lastSampleAt }
        : {}),
  };
}

/** An inconclusive cycle breaks both streaks. */
export function breakStreaks(): Streaks {
  return { highStreak: 0, lowStreak: 0 };
}

/** At risk: risk ≥ high for `enterCycles` counted cycles. */
export function entered(s: Streaks, enterCycles: number): boolean {
  return s.highStreak >= enterCycles;
}

/** Recovered: risk < low for `exitCycles` counted cycles. */
export function exited(s: Streaks, exitCycles: number): boolean {
  return s.lowStreak >= exitCycles;
}
