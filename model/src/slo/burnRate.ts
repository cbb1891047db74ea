/**
 * The deterministic SLO layer, OR'd with the model: multiwindow, multi-burn-rate alerts as in the
 * Google SRE workbook (chapter 5, "Alerting on SLOs"). An alert fires when the error budget burns
 * at least `factor` times too fast over both a long window (it is significant) and a short one (it
 * is still happening). An auto-healer acts only on a budget that is burning now, so every alert
 * also needs the 5-minute window at the factor: the slow-burn pair (6 h and 30 m) would otherwise
 * keep firing for up to half an hour after the errors stopped. Too few requests in the 5-minute
 * window never fire: one failure in three calls to an idle service is not an outage.
 *
 * Beside the objectives a deployment declares, every deployment is held to an error ceiling: at
 * least 1 request in 20 (5 %) failing over both the last 30 minutes (it is significant: not one
 * bad 5-minute stretch at a busy peak) and the last 5 (it is still happening) is an outage
 * whatever was declared — or when nothing was. Burn-rate alerts weigh a budget, so they are slow
 * on purpose (a 9 % storm burns a 99.9 % budget's 2 % in 1 h only after 10 minutes, and never
 * fires a 99 % objective's 14.4× rule); without an objective they never fire at all. A declared
 * objective looser than the ceiling (`0.9`: 10 % of errors allowed) raises it to its own budget.
 *
 * Pure: plain data in, a verdict out, naming the rule and its values.
 */
import type { SloInput, SloWindow, SloWindowInput } from '../schema.js';

export interface BurnRateAlert {
  rule: 'availability_fast_burn' | 'availability_slow_burn';
  long: SloWindow;
  short: SloWindow;
  /** Burn rate (× the budget's sustainable rate) both windows must reach. */
  factor: number;
}

/** The workbook's paging pair: 2 % of a 30-day budget in 1 h, 5 % in 6 h. */
export const BURN_RATE_ALERTS: readonly BurnRateAlert[] = [
  { rule: 'availability_fast_burn', long: '1h', short: '5m', factor: 14.4 },
  { rule: 'availability_slow_burn', long: '6h', short: '30m', factor: 6 },
];

/**
 * Defaults. There is no default objective: the burn-rate and latency alerts judge only the
 * objectives a deployment declares (its annotations). The error ceiling holds for every
 * deployment: the 5xx ratio over both `errorCeilingWindows` at which it is failing whatever it
 * declared — 1 request in 20, the breach the SLO-distance rule and the training generator's labels
 * use (not tuned on the real days).
 */
export const DEFAULT_SLO: {
  readonly minRequests: number;
  readonly errorCeiling: number;
  readonly errorCeilingWindows: { readonly long: SloWindow; readonly short: SloWindow };
} = { minRequests: 20, errorCeiling: 0.05, errorCeilingWindows: { long: '30m', short: '5m' } };

export interface SloVerdict {
  fired: boolean;
  rule: string | null;
  reason: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(x >= 0.999 ? 2 : 1)} %`;
const times = (x: number): string => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}×`;

const NO_WINDOWS: SloVerdict = Object.freeze({
  fired: false,
  rule: null,
  reason: 'no SLO windows sent',
});

/** Judges one deployment's SLO windows. */
export function evaluateSlo(input: SloInput | undefined): SloVerdict {
  const windows = input?.windows;
  if (windows === undefined) return NO_WINDOWS;
  const availability = input?.availability;
  const minRequests = input?.min_requests ?? DEFAULT_SLO.minRequests;
  const notes: string[] = [];
  if (availability === undefined) notes.push('no availability objective declared');
  else {
    const budget = 1 - availability;
    for (const alert of BURN_RATE_ALERTS) {
      const verdict = burnOf(alert, windows, budget, minRequests, availability);
      if (verdict.fired) return verdict;
      notes.push(verdict.reason);
    }
  }
  const ceiling = errorCeilingOf(windows, minRequests, availability);
  if (ceiling.fired) return ceiling;
  notes.push(ceiling.reason);
  const target = input?.latency_p95_seconds;
  if (target !== undefined) {
    const short = windows['5m'];
    const long = windows['1h'];
    const reqs = short?.requests;
    const p5 = short?.p95_seconds;
    const p60 = long?.p95_seconds;
    if (p5 === undefined || p60 === undefined) notes.push('latency: no p95 over 5m and 1h');
    else if (reqs !== undefined && reqs < minRequests)
      notes.push(`latency: ${reqs.toFixed(0)} requests in 5m < ${minRequests}: too few to judge`);
    else if (p5 >= target && p60 >= target) {
      return {
        fired: true,
        rule: 'latency',
        reason: `p95 ${p5.toFixed(3)} s over 5m and ${p60.toFixed(3)} s over 1h ≥ ${target} s objective`,
      };
    } else
      notes.push(`latency: p95 ${p5.toFixed(3)} s (5m), ${p60.toFixed(3)} s (1h) vs ${target} s`);
  }
  return { fired: false, rule: null, reason: notes.join('; ') };
}

/**
 * The error ceiling: at least `DEFAULT_SLO.errorCeiling` of the requests failing over both of
 * its windows (or the declared budget, when that is looser), over at least `minRequests`
 * requests in the short one.
 */
function errorCeilingOf(
  windows: Partial<Record<SloWindow, SloWindowInput>>,
  minRequests: number,
  availability: number | undefined,
): SloVerdict {
  const { long: longName, short: shortName } = DEFAULT_SLO.errorCeilingWindows;
  const budget = availability === undefined ? 0 : 1 - availability;
  const ceiling = Math.max(DEFAULT_SLO.errorCeiling, budget);
  const long = windows[longName]?.error_ratio;
  const short = windows[shortName]?.error_ratio;
  if (long === undefined || short === undefined) {
    return {
      fired: false,
      rule: null,
      reason: `error ceiling: no error ratio over ${longName} and ${shortName}`,
    };
  }
  const reqs = windows[shortName]?.requests;
  if (reqs === undefined || reqs < minRequests) {
    const n = reqs === undefined ? 'no request count' : `${reqs.toFixed(0)} requests`;
    return {
      fired: false,
      rule: null,
      reason: `error ceiling: ${n} in ${shortName} < ${minRequests}: too few to judge`,
    };
  }
  const summary = `${pct(long)} over ${longName} and ${pct(short)} of ${reqs.toFixed(0)} requests over ${shortName} failed`;
  // The same relative epsilon as the burn rates: a ratio exactly at the ceiling fires.
  if (long * (1 + 1e-9) < ceiling || short * (1 + 1e-9) < ceiling)
    return { fired: false, rule: null, reason: `error ceiling: ${summary}, < ${pct(ceiling)}` };
  const source =
    budget > DEFAULT_SLO.errorCeiling
      ? `the budget of the availability objective ${pct(availability as number)}`
      : availability === undefined
        ? 'no availability objective declared'
        : `whatever the objective ${pct(availability)}`;
  return {
    fired: true,
    rule: 'error_ceiling',
    reason: `${summary}: ≥ ${pct(ceiling)} error ceiling (${source})`,
  };
}

function burnOf(
  alert: BurnRateAlert,
  windows: Partial<Record<SloWindow, SloWindowInput>>,
  budget: number,
  minRequests: number,
  availability: number,
): SloVerdict {
  const name = alert.rule.replace('availability_', '').replace('_', ' ');
  const long = windows[alert.long];
  const short = windows[alert.short];
  const now = windows['5m'];
  if (long?.error_ratio === undefined || short?.error_ratio === undefined) {
    return {
      fired: false,
      rule: null,
      reason: `${name}: no error ratio over ${alert.long} and ${alert.short}`,
    };
  }
  const reqs = now?.requests;
  if (reqs !== undefined && reqs < minRequests) {
    return {
      fired: false,
      rule: null,
      reason: `${name}: ${reqs.toFixed(0)} requests in 5m < ${minRequests}: too few to judge`,
    };
  }
  // A relative epsilon: a ratio exactly at the factor (0.0144 of a 0.001 budget) fires, whatever
  // the floating-point rounding of 1 − 0.999.
  const burn = (ratio: number): number => (ratio / budget) * (1 + 1e-9);
  const burnLong = burn(long.error_ratio);
  const burnShort = burn(short.error_ratio);
  const burnNow = now?.error_ratio === undefined ? 0 : burn(now.error_ratio);
  const summary = `error budget burning ${times(burnLong)} over ${alert.long} and ${times(burnShort)} over ${alert.short}`;
  if (burnLong < alert.factor || burnShort < alert.factor) {
    return { fired: false, rule: null, reason: `${name}: ${summary} < ${alert.factor}×` };
  }
  if (burnNow < alert.factor) {
    return {
      fired: false,
      rule: null,
      reason: `${name}: ${summary} ≥ ${alert.factor}×, but only ${times(burnNow)} over 5m: no longer burning`,
    };
  }
  return {
    fired: true,
    rule: alert.rule,
    reason: `${summary} ≥ ${alert.factor}× (availability objective ${pct(availability)})`,
  };
}
