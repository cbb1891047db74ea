/**
 * Turns raw per-feature samples into a `/predict` instance or an inconclusive verdict. Pure, so the
 * rules (missing, NaN, stale, out of range; required vs optional) are table-tested apart from HTTP.
 */
import { FEATURES, type FeatureInput, type FeatureName } from '@aiops/model/schema';
import type { FeatureResult } from './types.js';

/** One feature's raw reading for one deployment. */
export type Sample =
  | { kind: 'value'; value: number; /** ms since epoch */ at: number }
  | { kind: 'missing' }
  | { kind: 'failed'; reason: string }
  /** A value that cannot be vouched for (its recording rule group stopped evaluating). */
  | { kind: 'stale'; reason: string };

/** Why a sample cannot be used, or undefined when it can. */
function problem(
  name: FeatureName,
  s: Sample,
  spec: { min: number; max: number },
  now: number,
  maxAgeMs: number,
): string | undefined {
  if (s.kind === 'failed') return `query for ${name} failed: ${s.reason}`;
  if (s.kind === 'missing') return `no series for ${name}`;
  if (s.kind === 'stale') return `stale sample for ${name}: ${s.reason}`;
  if (!Number.isFinite(s.value)) return `${name} is ${s.value}`;
  const age = now - s.at;
  // A sample whose time is unknown cannot be vouched for: `NaN > maxAgeMs` would pass it as fresh.
  if (!Number.isFinite(age)) return `stale sample for ${name} (its time is unknown)`;
  if (age > maxAgeMs) {
    return `stale sample for ${name} (${Math.round(age / 1000)} s old > ${Math.round(maxAgeMs / 1000)} s)`;
  }
  if (s.value < spec.min || s.value > spec.max) {
    return `${name}=${s.value} outside [${spec.min}, ${spec.max}]`;
  }
  return undefined;
}

/**
 * Required features must all be usable, else the deployment is inconclusive (never healthy, never
 * failing). An optional feature that is missing, NaN, stale or out of range is omitted and the
 * backend imputes its healthy default; a failed query is inconclusive whatever the feature, since
 * it means Prometheus itself is in trouble.
 */
export function buildInstance(
  samples: ReadonlyMap<FeatureName, Sample>,
  now: number,
  maxAgeMs: number,
): FeatureResult {
  const features: Partial<Record<FeatureName, number>> = {};
  const omitted: { feature: FeatureName; reason: string }[] = [];
  const problems: string[] = [];
  for (const spec of FEATURES) {
    const s = samples.get(spec.name) ?? { kind: 'missing' };
    const p = problem(spec.name, s, spec, now, maxAgeMs);
    if (p === undefined && s.kind === 'value') features[spec.name] = s.value;
    else if (spec.required || s.kind === 'failed') problems.push(p ?? `no value for ${spec.name}`);
    else omitted.push({ feature: spec.name, reason: p ?? 'missing' });
  }
  if (problems.length > 0) {
    const sourceFailed = [...samples.values()].some((s) => s.kind === 'failed');
    return {
      kind: 'inconclusive',
      reason: problems.join('; '),
      ...(sourceFailed ? { sourceFailed: true } : {}),
    };
  }
  return { kind: 'ok', features: features as FeatureInput, omitted };
}
