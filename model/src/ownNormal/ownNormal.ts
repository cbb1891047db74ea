/**
 * The own-normal layer: a deterministic check, OR'd with the model like the SLO layer, that fires
 * when a deployment's p95 latency or 5xx ratio has left its own normal — the trailing median (or
 * last week's, whichever is less surprising) by more than `z` robust spreads, by a factor of at
 * least `ratio` and by at least an absolute amount. It needs the deployment's baseline (the
 * healer's baseline queries, or replay's trailing history); without one it says so and stays
 * silent.
 *
 * It catches what a learned risk on synthetic data under-weights on real clusters: a culprit's
 * own latency shift (network delay, a slow dependency) and an exception burst at a low rate,
 * judged against that service's normal rather than a fleet-wide scale. Monotone: more latency or
 * more errors never turn it off.
 */
import type { Stats } from '../features/derive.js';
import { zOf } from '../features/derive.js';

export interface OwnNormalRule {
  /** Robust spreads ((p90 − p50) / 1.28) above the normal. */
  z: number;
  /** The value is at least this multiple of the normal (latency). */
  ratio: number;
  /** And at least this far above it, seconds (latency). */
  minLatencyRiseSeconds: number;
  /** And at least this far above it (5xx ratio). */
  minErrorRise: number;
}

/**
 * Chosen by leave-one-day-out on the real days among a grid fixed beforehand (see
 * `scripts/tuneOwnNormal.ts` and the report's tuning section).
 */
export const DEFAULT_OWN_NORMAL: OwnNormalRule = {
  z: 6,
  ratio: 2,
  minLatencyRiseSeconds: 0.05,
  minErrorRise: 0.02,
};

export type OwnNormalSignal = 'http_p95_latency_seconds' | 'http_5xx_error_rate';

export interface OwnNormalVerdict {
  fired: boolean;
  signal: OwnNormalSignal | null;
  reason: string;
}

const NO_BASELINE: OwnNormalVerdict = Object.freeze({
  fired: false,
  signal: null,
  reason: 'no baseline for latency or errors: judged by the other layers',
});
const WITHIN: OwnNormalVerdict = Object.freeze({
  fired: false,
  signal: null,
  reason: 'latency and errors within their own normal',
});

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/**
 * Judges one row: `p95` and `err` are its current values, `lat` and `errs` the statistics of their
 * baselines (NaN median: no baseline).
 */
export function evaluateOwnNormal(
  p95: number,
  lat: Stats,
  err: number,
  errs: Stats,
  rule: OwnNormalRule = DEFAULT_OWN_NORMAL,
): OwnNormalVerdict {
  const hasLat = lat.median === lat.median;
  const hasErr = errs.median === errs.median;
  if (!hasLat && !hasErr) return NO_BASELINE;
  if (hasLat) {
    const z = zOf(p95, lat, lat.up, true);
    // The larger of the trailing and last week's normals: the rise must exceed both.
    const ref = lat.week === lat.week ? Math.max(lat.median, lat.week) : lat.median;
    if (
      z >= rule.z &&
      p95 >= rule.ratio * Math.max(ref, 0) &&
      p95 - ref >= rule.minLatencyRiseSeconds
    ) {
      return {
        fired: true,
        signal: 'http_p95_latency_seconds',
        reason: `p95 ${fmt(p95)} s is ${fmt(z)} spreads above its own normal ${fmt(ref)} s (≥ ${rule.z}, ×${fmt(p95 / Math.max(ref, 1e-9))} ≥ ×${rule.ratio})`,
      };
    }
  }
  if (hasErr) {
    const z = zOf(err, errs, errs.up, true);
    const ref = errs.week === errs.week ? Math.max(errs.median, errs.week) : errs.median;
    if (z >= rule.z && err - ref >= rule.minErrorRise) {
      return {
        fired: true,
        signal: 'http_5xx_error_rate',
        reason: `5xx ratio ${fmt(err)} is ${fmt(z)} spreads above its own normal ${fmt(ref)} (≥ ${rule.z}, +${fmt(err - ref)} ≥ ${rule.minErrorRise})`,
      };
    }
  }
  return WITHIN;
}
