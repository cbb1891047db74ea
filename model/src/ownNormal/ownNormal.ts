/**
 * The own-normal layer: a deterministic check, OR'd with the model like the SLO layer, that fires
 * when a deployment has left its own normal:
 *
 * - latency: p95 is more than `z` robust spreads above its normal (the trailing median, or last
 *   week's when that is higher), at least `ratio` × that normal (or × its upper normal, the
 *   trailing p90, with `ratioOf: 'p90'`) and at least an absolute amount above it — or, with
 *   `lowerSpread`, a larger factor of its median and many of its *lower* spreads above it (a
 *   trailing hour with incidents in it inflates the upper spread, not the lower) — or, with
 *   `afterSpike`, still a few times its median right after a spike that passed (the baseline's
 *   `peak` of the last 3 minutes); the same for the p95 its callers measure (a mesh's
 *   source-side latency: a network delay on the deployment shows there, not in its own
 *   server-side p95);
 * - errors: the 5xx ratio `z` spreads and an absolute amount above its normal;
 * - CPU saturation (USE): usage at `cpuSaturationPct` % of its limit or more while its upper
 *   normal is at most 1/`ratio` of that — pinned at the limit when that is not its normal (a
 *   service that always runs hot is judged against itself and never fires);
 * - memory exhaustion (the forecast): at its current growth the working set reaches the limit
 *   within `memoryExhaustionMinutes`, growing at least `minMemoryGrowthPerMin` of the limit per
 *   minute (faster than a GC sawtooth swings) and, when its baseline is known, above its upper
 *   normal — an OOM kill is coming before the healer could act on it. This one also fires
 *   without a baseline (a fresh deployment can leak too).
 *
 * The other checks need the deployment's baseline (the healer's baseline queries, or replay's
 * trailing history); without one they say so and stay silent. They catch what a learned risk on
 * synthetic data under-weights on real clusters: a shift in a service's own or its callers'
 * latency (network delay, a slow dependency, CPU contention), an exception burst at a low rate, a
 * noisy neighbour pinning the CPU — judged against that service's normal rather than a
 * fleet-wide scale. Monotone: more latency, errors, CPU, memory or memory growth never turn it
 * off.
 */
import type { Stats } from '../features/derive.js';
import { Q90_SIGMA, newStats, zOf } from '../features/derive.js';
import {
  AFTER_SPIKE,
  CALLERS,
  CPU,
  ERRORS,
  LATENCY_LOWER,
  LATENCY_MEDIAN,
  LATENCY_P90,
  MEMORY,
  OWN_NO_BASELINE,
  OWN_NUMBERS,
  OWN_WITHIN,
  ownNormalVerdictOf,
} from './reason.js';

// The verdicts' texts (reason.ts), for the callers of this module.
export {
  OWN_NORMAL_OFF,
  OWN_NO_BASELINE,
  OWN_NUMBERS,
  OWN_OFF,
  OWN_WITHIN,
  ownNormalFired,
  ownNormalReason,
  ownNormalSignal,
  ownNormalVerdictOf,
  writeOwnNormalReason,
} from './reason.js';

export interface OwnNormalRule {
  /** Robust spreads ((p90 − p50) / 1.28) above the normal. */
  z: number;
  /** The value is at least this multiple of its normal (latency, CPU: see `ratioOf`). */
  ratio: number;
  /**
   * What `ratio` multiplies for latency: `p90`, its upper normal (what it normally reaches: a p95
   * that normally strays to 3× its median must go well past that), or `median`, its normal level.
   * CPU saturation always uses the upper normal.
   */
  ratioOf: 'median' | 'p90';
  /**
   * A second latency check, OR'd with the first: p95 `z` *lower* spreads ((p50 − p10)/1.28)
   * above its normal, `ratio` × its normal median and the same absolute floor. Incidents only
   * push a signal's upper quantiles: a trailing hour with a few incidents in it inflates the upper
   * spread until no further incident is `z` upper spreads away, while the lower half still
   * measures the normal noise; the larger factor keeps a long-tailed service's normal jumps out.
   * Errors have no such check: a 5xx ratio normally near 0 has no lower half to measure. Absent:
   * off.
   */
  lowerSpread?: { z: number; ratio: number };
  /**
   * A third latency check, OR'd with the others: right after a spike. The largest p95 of the last
   * 3 minutes (the baseline's `peak`) passed one of the checks above, and the current p95 is still
   * at least `ratio` × its normal median and `minRiseSeconds` above it. A short network delay
   * shows in a gateway's p95 as one minute far out followed by a minute or two at a few times its
   * median: the spike alone is one row (the healer's entry rule needs two), the later rows alone
   * are within the long tail a gateway's p95 normally has. The rise floor is larger than
   * `minLatencyRiseSeconds`: a service serving a few requests a minute jumps to a histogram
   * bucket's edge and stays near it for a minute as a matter of course. Absent: off.
   */
  afterSpike?: { ratio: number; minRiseSeconds: number };
  /** And at least this far above it, seconds (latency). */
  minLatencyRiseSeconds: number;
  /** And at least this far above it (5xx ratio). */
  minErrorRise: number;
  /** CPU usage (% of the limit) from which a deployment counts as saturated; 0: no CPU check. */
  cpuSaturationPct: number;
  /** Memory reaching its limit within this many minutes at its current growth; 0: no check. */
  memoryExhaustionMinutes: number;
  /** And growing at least this share of the limit per minute. */
  minMemoryGrowthPerMin: number;
}

/**
 * Chosen by leave-one-day-out on the real days among a grid fixed beforehand (see
 * `scripts/tuneOwnNormal.ts` and the report's tuning section).
 */
export const DEFAULT_OWN_NORMAL: OwnNormalRule = {
  z: 6,
  ratio: 2,
  // The p90 reference catches a long-tailed gateway's jumps at fewer spreads, but on the real days
  // it did no better than the median held out (see the tuning record).
  ratioOf: 'median',
  // On the testbed a fault every 8 minutes inflates the trailing upper spread (the entry service's
  // to 1.3–2.5 s on 2023-01-30): many lower spreads and ×5 its median found 2–3 more faults on
  // each Train Ticket day (see the tuning record). 12 rather than 8 lower spreads, and a rise of
  // at least 100 ms rather than 50: on Train Ticket most false-alarm minutes were the p95 of a few
  // requests a minute jumping 60–190 ms to a histogram bucket's edge. Both picked together
  // leave-one-day-out by the bar (baselines beaten; model/README.md).
  lowerSpread: { z: 12, ratio: 5 },
  // Right after a spike (a spike passing the checks above in the last 3 minutes, and the p95 still
  // ×3 its median and 0.5 s above it): 3 more of 2023-01-30's network delays at the same false-alarm
  // minutes; nothing changed on the other days, so held out on that day the other two could not
  // tell it from the rule without it (see the tuning record). A 0.3 s floor let a quiet service's
  // bucket-edge minutes through on 2023-01-29 (1 more fault, 2 more false-alarm minutes).
  afterSpike: { ratio: 3, minRiseSeconds: 0.5 },
  minLatencyRiseSeconds: 0.1,
  minErrorRise: 0.02,
  // Off: on 2023-01-29 it found one more fault for 8 more false-alarm minutes (CPU peaks in the
  // fault-free hours), nothing more elsewhere (the latency check already catches CPU contention).
  cpuSaturationPct: 0,
  // OOM sooner than the healer could act after one more look (its entry cycles and a rollout);
  // with 5 minutes one fast reading of a memory step in a healthy run fired 5× as often (chosen
  // on training-seed runs, never the evaluation's).
  memoryExhaustionMinutes: 2,
  minMemoryGrowthPerMin: 0.1,
};

export type OwnNormalSignal =
  | 'http_p95_latency_seconds'
  | 'http_caller_p95_latency_seconds'
  | 'http_5xx_error_rate'
  | 'cpu_usage_pct'
  | 'memory_growth_ratio_per_min';

export interface OwnNormalVerdict {
  fired: boolean;
  signal: OwnNormalSignal | null;
  reason: string;
}

const NO_STATS: Stats = Object.freeze(newStats());

/** The normal level: the trailing median, or last week's when that is higher (a daily peak). */
const normalOf = (s: Stats): number => (s.week === s.week ? Math.max(s.median, s.week) : s.median);
/** The upper normal: what the signal normally reaches (its trailing p90), at least its normal. */
const upperOf = (s: Stats, ref: number): number =>
  s.up === s.up ? Math.max(ref, s.median + Q90_SIGMA * s.up) : ref;

/**
 * The latency check of one signal (the deployment's own p95, or its callers'): `z` spreads above
 * its normal, `ratio` × its normal (or upper normal) and `minLatencyRiseSeconds` above it. Its
 * code (0: it holds), its numbers in `nums` from `at`.
 */
function latencyRise(
  p95: number,
  lat: Stats,
  rule: OwnNormalRule,
  nums: Float64Array,
  at: number,
): number {
  // The larger of the trailing and last week's normals: the rise must exceed both.
  const ref = normalOf(lat);
  const now = spikeRise(p95, lat, ref, rule, nums, at);
  if (now !== 0) return now;
  const after = rule.afterSpike;
  if (after === undefined) return 0;
  if (!(p95 >= after.ratio * Math.max(ref, 0) && p95 - ref >= after.minRiseSeconds)) return 0;
  // A peak no higher than the current p95 would not pass where the current one did not.
  const peak = lat.peak;
  if (!(peak > p95)) return 0;
  const spike = spikeRise(peak, lat, ref, rule, nums, at);
  if (spike === 0) return 0;
  nums[at + 7] = p95;
  nums[at + 8] = p95 / Math.max(ref, 1e-9);
  nums[at + 9] = after.ratio;
  nums[at + 10] = after.minRiseSeconds;
  return spike | AFTER_SPIKE;
}

/** The checks of one value against its normal `ref` (the upper and lower-spread checks). */
function spikeRise(
  p95: number,
  lat: Stats,
  ref: number,
  rule: OwnNormalRule,
  nums: Float64Array,
  at: number,
): number {
  if (!(p95 - ref >= rule.minLatencyRiseSeconds)) return 0;
  const z = zOf(p95, lat, lat.up, true);
  const upper = rule.ratioOf === 'p90' ? upperOf(lat, ref) : ref;
  if (z >= rule.z && p95 >= rule.ratio * Math.max(upper, 0)) {
    nums[at] = p95;
    nums[at + 1] = z;
    nums[at + 2] = ref;
    nums[at + 3] = rule.z;
    nums[at + 4] = p95 / Math.max(upper, 1e-9);
    nums[at + 5] = upper;
    nums[at + 6] = rule.ratio;
    return rule.ratioOf === 'p90' ? LATENCY_P90 : LATENCY_MEDIAN;
  }
  const low = rule.lowerSpread;
  if (low === undefined) return 0;
  const zLow = zOf(p95, lat, lat.down, true);
  if (zLow >= low.z && p95 >= low.ratio * Math.max(ref, 0)) {
    nums[at] = p95;
    nums[at + 1] = zLow;
    nums[at + 2] = ref;
    nums[at + 3] = low.z;
    nums[at + 4] = p95 / Math.max(ref, 1e-9);
    nums[at + 5] = low.ratio;
    return LATENCY_LOWER;
  }
  return 0;
}

/** Where `judgeOwnNormal` reads each value it judges in its `values` (OWN_VALUES of them). */
export const OWN_AT = Object.freeze({
  p95: 0,
  err: 1,
  cpu: 2,
  memoryRatio: 3,
  memoryGrowth: 4,
  callerP95: 5,
});
export const OWN_VALUES = 6;

/**
 * Judges one row: `p95`, `err` and `cpu` are its current values, `lat`, `errs` and `cpus` the
 * statistics of their baselines (NaN median: no baseline); `memoryRatio` the working set over
 * its limit, `memoryGrowth` its growth in limit fractions per minute and `memoryRatios` the
 * ratio's baseline; `callerP95` the p95 its callers measure (a mesh's source-side latency) and
 * `callers` its baseline — judged by the same latency rule as its own p95: a network delay or a
 * slow link to it shows there while its own p95 does not move.
 */
export function evaluateOwnNormal(
  p95: number,
  lat: Stats,
  err: number,
  errs: Stats,
  rule: OwnNormalRule = DEFAULT_OWN_NORMAL,
  cpu = NaN,
  cpus: Stats = NO_STATS,
  memoryRatio = NaN,
  memoryGrowth = NaN,
  memoryRatios: Stats = NO_STATS,
  callerP95 = NaN,
  callers: Stats = NO_STATS,
): OwnNormalVerdict {
  const v = values;
  v[OWN_AT.p95] = p95;
  v[OWN_AT.err] = err;
  v[OWN_AT.cpu] = cpu;
  v[OWN_AT.memoryRatio] = memoryRatio;
  v[OWN_AT.memoryGrowth] = memoryGrowth;
  v[OWN_AT.callerP95] = callerP95;
  const code = judgeOwnNormal(v, lat, errs, rule, cpus, memoryRatios, callers, scratch, 0);
  return ownNormalVerdictOf(code, scratch, 0);
}
const scratch = new Float64Array(OWN_NUMBERS);
const values = new Float64Array(OWN_VALUES);

/**
 * `evaluateOwnNormal` as a code (`OWN_WITHIN`, `OWN_NO_BASELINE`, or a fired check's) and the
 * numbers its reason names, written into `nums` from `at` (`OWN_NUMBERS` of them; those the
 * reason does not name are left as they were). `ownNormalVerdictOf` makes the verdict of it.
 * The values judged are read from `values` (at `OWN_AT`): handed over as
 * arguments, each was a new heap number per row scored (~1 MB per 10,000 rows).
 */
export function judgeOwnNormal(
  values: Float64Array,
  lat: Stats,
  errs: Stats,
  rule: OwnNormalRule,
  cpus: Stats,
  memoryRatios: Stats,
  callers: Stats,
  nums: Float64Array,
  at: number,
): number {
  const p95 = values[OWN_AT.p95] as number;
  const err = values[OWN_AT.err] as number;
  const cpu = values[OWN_AT.cpu] as number;
  const memoryRatio = values[OWN_AT.memoryRatio] as number;
  const memoryGrowth = values[OWN_AT.memoryGrowth] as number;
  const callerP95 = values[OWN_AT.callerP95] as number;
  if (
    rule.memoryExhaustionMinutes > 0 &&
    memoryGrowth >= rule.minMemoryGrowthPerMin &&
    memoryRatio + memoryGrowth * rule.memoryExhaustionMinutes >= 1 &&
    // With a baseline, the working set must also be above what it normally reaches: one fast
    // reading of a GC sawtooth or a cache refill within its usual range is not a leak.
    !(memoryRatio <= upperOf(memoryRatios, normalOf(memoryRatios)))
  ) {
    nums[at] = 100 * memoryRatio;
    nums[at + 1] = 100 * memoryGrowth;
    nums[at + 2] = Math.max(0, 1 - memoryRatio) / memoryGrowth;
    nums[at + 3] = rule.memoryExhaustionMinutes;
    return MEMORY;
  }
  const hasLat = lat.median === lat.median;
  const hasCallers = callers.median === callers.median;
  const hasErr = errs.median === errs.median;
  const hasCpu = cpus.median === cpus.median && rule.cpuSaturationPct > 0;
  if (!hasLat && !hasCallers && !hasErr && !hasCpu) return OWN_NO_BASELINE;
  if (hasLat) {
    const code = latencyRise(p95, lat, rule, nums, at);
    if (code !== 0) return code;
  }
  if (hasCallers) {
    const code = latencyRise(callerP95, callers, rule, nums, at);
    if (code !== 0) return code | CALLERS;
  }
  if (hasCpu && cpu >= rule.cpuSaturationPct) {
    const upper = upperOf(cpus, normalOf(cpus));
    if (cpu >= rule.ratio * Math.max(upper, 0)) {
      nums[at] = cpu;
      nums[at + 1] = rule.cpuSaturationPct;
      nums[at + 2] = cpu / Math.max(upper, 1e-9);
      nums[at + 3] = upper;
      nums[at + 4] = rule.ratio;
      return CPU;
    }
  }
  if (hasErr) {
    const z = zOf(err, errs, errs.up, true);
    const ref = normalOf(errs);
    if (z >= rule.z && err - ref >= rule.minErrorRise) {
      nums[at] = err;
      nums[at + 1] = z;
      nums[at + 2] = ref;
      nums[at + 3] = rule.z;
      nums[at + 4] = err - ref;
      nums[at + 5] = rule.minErrorRise;
      return ERRORS;
    }
  }
  return OWN_WITHIN;
}
