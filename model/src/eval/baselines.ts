/**
 * The rule baselines the model is measured against, computed in the same run:
 *
 * - **3σ on the entry service** (the Nezha paper's detector style): μ and σ of the entry service's
 *   success rate and p90 latency over a fault-free stretch; an alert where the success rate falls
 *   below μ − kσ or the p90 rises above μ + kσ (k = 3).
 * - **the zero-parameter SLO-distance rule**, per deployment: the largest of 5xx / 0.05,
 *   p95 / 1 s, (1 − ready) / 0.5, the memory ratio projected 5 minutes ahead, and CPU throttling
 *   / 0.6; an alert where it reaches 1 (the SLO itself).
 *
 * Both give a score per row, so they can also be run at any false-alarm budget (`matchBudget`).
 */
import { FEATURE_NAMES, type FeatureName } from '../schema.js';
import type { AlertRow } from './events.js';

export interface EntrySample {
  t: number;
  /** 0–100, NaN when missing or unusable. */
  successRate: number;
  p90: number;
}

export interface ScoredRow {
  t: number;
  deployment?: string;
  score: number;
}

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const v = xs.filter(Number.isFinite);
  if (v.length === 0) return { mean: NaN, std: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std };
}

/**
 * The entry service's deviation per row in σ units, harmful direction only (success rate down,
 * latency up), the larger of the two. A signal with σ = 0 in the fit stretch scores ∞ on any
 * harmful change and 0 otherwise.
 */
export function entrySigmaScores(
  entry: readonly EntrySample[],
  fit: { from: number; to: number },
  useSuccessRate: boolean,
): {
  scores: ScoredRow[];
  fit: { successRate: { mean: number; std: number }; p90: { mean: number; std: number } };
} {
  const inFit = entry.filter((e) => e.t >= fit.from && e.t <= fit.to);
  const sr = meanStd(inFit.map((e) => e.successRate));
  const p90 = meanStd(inFit.map((e) => e.p90));
  const dev = (d: number, sd: number): number => (d <= 0 ? 0 : sd > 0 ? d / sd : Infinity);
  const scores = entry.map((e) => {
    let s = 0;
    if (useSuccessRate && Number.isFinite(e.successRate) && Number.isFinite(sr.mean)) {
      s = Math.max(s, dev(sr.mean - e.successRate, sr.std));
    }
    if (Number.isFinite(e.p90) && Number.isFinite(p90.mean))
      s = Math.max(s, dev(e.p90 - p90.mean, p90.std));
    return { t: e.t, score: s };
  });
  return { scores, fit: { successRate: sr, p90 } };
}

const IDX = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<FeatureName, number>;

/** The SLO-distance rule's score of one row of raw features (schema order, NaN = missing). */
export function sloDistance(v: ArrayLike<number>, offset = 0): number {
  const at = (f: FeatureName): number => v[offset + IDX[f]] as number;
  let s = 0;
  const term = (x: number): void => {
    if (x === x && x > s) s = x;
  };
  term(at('http_5xx_error_rate') / 0.05);
  term(at('http_p95_latency_seconds') / 1);
  term((1 - at('ready_replica_ratio')) / 0.5);
  const ratio = at('memory_limit_ratio');
  const growth = at('memory_growth_ratio_per_min');
  term(ratio + 5 * (growth === growth ? growth : 0));
  term(at('cpu_throttle_ratio') / 0.6);
  return s;
}

/** Rows whose score reaches `threshold`. */
export function alertsAt(scores: readonly ScoredRow[], threshold: number): AlertRow[] {
  const out: AlertRow[] = [];
  for (const s of scores) {
    if (s.score >= threshold)
      out.push(s.deployment === undefined ? { t: s.t } : { t: s.t, deployment: s.deployment });
  }
  return out;
}

/**
 * The most sensitive threshold at which the detector's alerts cover no more fault-free minutes than
 * `budgetMinutes`: the detector given the same false-alarm budget as another.
 */
export function matchBudget(
  scores: readonly ScoredRow[],
  faultFree: { from: number; to: number },
  budgetMinutes: number,
): number {
  const perMinute = new Map<number, number>();
  for (const s of scores) {
    if (s.t < faultFree.from || s.t > faultFree.to) continue;
    const m = Math.floor(s.t / 60);
    perMinute.set(m, Math.max(perMinute.get(m) ?? -Infinity, s.score));
  }
  const desc = [...perMinute.values()].sort((a, b) => b - a);
  const k = Math.max(0, Math.floor(budgetMinutes));
  if (k >= desc.length)
    return Math.min(...scores.map((s) => s.score).filter((x) => x > 0), Infinity);
  const cut = desc[k] as number;
  // Strictly above the (k+1)-th largest minute: at most k minutes alert.
  if (!Number.isFinite(cut)) return Infinity;
  return cut + Math.max(Math.abs(cut) * 1e-9, 1e-12);
}
