/** Rows for the scoring tests: random rows over every feature's range, and rows at the edges. */
import {
  BASELINE_FEATURES,
  CRASH_LOOP_EXAMPLE,
  FEATURES,
  ORIGINAL_HEALTHY_EXAMPLE,
  SLO_WINDOWS,
  type BaselineContext,
  type FeatureInput,
  type FeatureName,
} from '../schema.js';
import type { Rng } from '../rng.js';

/** A random valid row: some optional features omitted, often a baseline, sometimes an SLO. */
export function randomRow(rng: Rng): FeatureInput {
  const row: Partial<Record<FeatureName, number>> = {};
  for (const f of FEATURES) {
    if (!f.required && rng.chance(0.2)) continue;
    const k = rng.next();
    const wide = f.max - f.min > 100 && f.min >= 0;
    row[f.name] =
      k < 0.05
        ? f.min
        : k < 0.1
          ? f.max
          : wide
            ? Math.min(f.max, rng.logUniform(1e-3, f.max + 1e-3) - 1e-3)
            : rng.uniform(f.min, f.max);
  }
  const out = row as FeatureInput;
  if (rng.chance(0.7)) {
    const ctx: Record<string, Record<string, number>> = {};
    for (const f of BASELINE_FEATURES) {
      if (rng.chance(0.3)) continue;
      const spec = FEATURES.find((x) => x.name === f)!;
      const v = row[f] ?? spec.default;
      // Half near the current value (small changes), half anywhere.
      const p50 = rng.chance(0.5)
        ? v * rng.uniform(0.5, 1.5)
        : spec.max - spec.min > 100
          ? rng.logUniform(1e-3, Math.min(spec.max, 1e9))
          : rng.uniform(spec.min, spec.max);
      const s: Record<string, number> = { p50 };
      if (rng.chance(0.8)) s.p10 = p50 * rng.uniform(0.3, 1);
      if (rng.chance(0.8)) s.p90 = p50 * rng.uniform(1, 3);
      if (rng.chance(0.5)) s.slope = rng.normal() * p50 * 0.05;
      if (rng.chance(0.5)) s.recent = v * rng.uniform(0.8, 1.2);
      if (rng.chance(0.5)) s.last_week = p50 * rng.uniform(0.5, 2);
      ctx[f] = s;
    }
    out.baseline = ctx as BaselineContext;
  }
  if (rng.chance(0.3)) {
    const windows: Record<string, Record<string, number>> = {};
    for (const w of SLO_WINDOWS) {
      if (rng.chance(0.2)) continue;
      windows[w] = {
        error_ratio: rng.chance(0.5) ? rng.uniform(0, 0.05) : rng.uniform(0, 1),
        requests: rng.logUniform(1, 1e6),
        p95_seconds: rng.uniform(0, 3),
      };
    }
    out.slo = {
      ...(rng.chance(0.8) ? { availability: rng.uniform(0.9, 0.9999) } : {}),
      ...(rng.chance(0.5) ? { latency_p95_seconds: rng.uniform(0.1, 2) } : {}),
      windows,
    };
  }
  return out;
}

/** Rows at the edges: ends of every range, no change from the normal, zero spreads, bare bodies. */
export function edgeRows(): FeatureInput[] {
  const at = (pick: (f: (typeof FEATURES)[number]) => number): FeatureInput =>
    Object.fromEntries(FEATURES.map((f) => [f.name, pick(f)])) as unknown as FeatureInput;
  const min = at((f) => f.min);
  const max = at((f) => f.max);
  const defaults = at((f) => f.default);
  const still: BaselineContext = {};
  for (const f of BASELINE_FEATURES) {
    const v = defaults[f] as number;
    still[f] = { p10: v, p50: v, p90: v, recent: v, last_week: v, slope: 0 };
  }
  return [
    ORIGINAL_HEALTHY_EXAMPLE,
    CRASH_LOOP_EXAMPLE,
    min,
    max,
    defaults,
    { ...defaults, baseline: still },
    { ...max, baseline: still },
    { ...min, baseline: still },
    {
      ...defaults,
      slo: {
        availability: 0.999,
        windows: Object.fromEntries(
          SLO_WINDOWS.map((w) => [w, { error_ratio: 0.5, requests: 1e4, p95_seconds: 1 }]),
        ),
      },
    },
  ];
}

/**
 * `count` doubles for a number formatter's tests: half spread over the decades `from` … `to`
 * (both signs), the rest from `kinds` in turn (its rounding ties and grids).
 */
export function* formatterCases(
  rng: Rng,
  count: number,
  [from, to]: readonly [number, number],
  kinds: readonly ((rng: Rng) => number)[],
): Generator<number> {
  for (let i = 0; i < count; i++) {
    if (rng.next() < 0.5) yield (rng.next() - 0.3) * 10 ** (from + (to - from) * rng.next());
    else yield kinds[i % kinds.length]!(rng);
  }
}
