/**
 * The healer's entry and exit rule as one pure step function, so replay judges "at risk" exactly
 * as the healer does: a deployment enters when its risk is ≥ `high` for `enterCycles` consecutive
 * conclusive cycles, and leaves after `exitCycles` consecutive cycles below `low`. An inconclusive
 * cycle breaks both streaks and changes nothing else (hold, never act on missing data).
 *
 * Parameterised like the healer's configuration (`thresholds.high/low`, `enterCycles`,
 * `exitCycles`); the defaults are the healer's defaults (healer/src/config.ts).
 */
export interface EntryRule {
  high: number;
  low: number;
  enterCycles: number;
  exitCycles: number;
}

export const DEFAULT_ENTRY_RULE: EntryRule = { high: 0.8, low: 0.5, enterCycles: 3, exitCycles: 3 };

export interface AlertState {
  atRisk: boolean;
  /** Consecutive conclusive cycles with risk ≥ high. */
  highStreak: number;
  /** Consecutive conclusive cycles with risk < low. */
  lowStreak: number;
}

export const INITIAL_ALERT_STATE: AlertState = { atRisk: false, highStreak: 0, lowStreak: 0 };

/** A rule that breaks its own constraints; the message names the field. */
export function checkEntryRule(rule: EntryRule): EntryRule {
  const p = (k: 'high' | 'low'): void => {
    if (!(rule[k] >= 0 && rule[k] <= 1))
      throw new RangeError(`${k} must be in [0, 1], got ${rule[k]}`);
  };
  p('high');
  p('low');
  if (rule.low > rule.high) throw new RangeError(`low (${rule.low}) must be ≤ high (${rule.high})`);
  for (const k of ['enterCycles', 'exitCycles'] as const) {
    if (!(Number.isInteger(rule[k]) && rule[k] >= 1)) {
      throw new RangeError(`${k} must be an integer ≥ 1, got ${rule[k]}`);
    }
  }
  return rule;
}

/**
 * One observation: `risk` is its risk, or null when it is inconclusive; it stands for `cycles`
 * consecutive healer cycles (1 for the healer itself; replay of 1-minute data at the healer's
 * 30-second cadence sees each value for 2 cycles). Returns the next state; `atRisk` holds from the
 * observation that completes the entry streak up to (not including) the one that completes the
 * exit streak.
 */
export function stepAlert(
  state: AlertState,
  risk: number | null,
  rule: EntryRule,
  cycles = 1,
): AlertState {
  if (risk === null || !Number.isFinite(risk)) {
    return { atRisk: state.atRisk, highStreak: 0, lowStreak: 0 };
  }
  const highStreak = risk >= rule.high ? state.highStreak + cycles : 0;
  const lowStreak = risk < rule.low ? state.lowStreak + cycles : 0;
  let atRisk = state.atRisk;
  if (!atRisk && highStreak >= rule.enterCycles) atRisk = true;
  else if (atRisk && lowStreak >= rule.exitCycles) atRisk = false;
  return { atRisk, highStreak, lowStreak };
}

/** {@link stepAlert} over a series from the initial state: whether each observation is at risk. */
export function alertSeries(
  risks: readonly (number | null)[],
  rule: EntryRule,
  cycles = 1,
): boolean[] {
  let state = INITIAL_ALERT_STATE;
  return risks.map((r) => (state = stepAlert(state, r, rule, cycles)).atRisk);
}
