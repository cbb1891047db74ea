import { describe, expect, it } from '@jest/globals';
import { FEATURES, type FeatureName } from '@aiops/model';
import { buildInstance, type Sample } from './vector.js';

const NOW = 1_700_000_000_000;
const MAX_AGE = 120_000;
const healthy = (): Map<FeatureName, Sample> =>
  new Map(FEATURES.map((f) => [f.name, { kind: 'value', value: f.default, at: NOW }] as const));
const withSample = (name: FeatureName, s: Sample): Map<FeatureName, Sample> => {
  const m = healthy();
  m.set(name, s);
  return m;
};

describe('buildInstance', () => {
  it('passes a complete vector', () => {
    const r = buildInstance(healthy(), NOW, MAX_AGE);
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') expect(Object.keys(r.features)).toHaveLength(FEATURES.length);
  });

  it.each<[string, FeatureName, Sample, string]>([
    [
      'missing required series',
      'http_5xx_error_rate',
      { kind: 'missing' },
      'no series for http_5xx_error_rate',
    ],
    [
      'NaN required value',
      'cpu_usage_pct',
      { kind: 'value', value: Number.NaN, at: NOW },
      'cpu_usage_pct is NaN',
    ],
    [
      '+Inf required value',
      'memory_usage_bytes',
      { kind: 'value', value: Number.POSITIVE_INFINITY, at: NOW },
      'memory_usage_bytes is Infinity',
    ],
    [
      'stale required sample',
      'ready_replica_ratio',
      { kind: 'value', value: 1, at: NOW - 300_000 },
      'stale sample for ready_replica_ratio (300 s old > 120 s)',
    ],
    [
      'required sample of an unknown time',
      'ready_replica_ratio',
      { kind: 'value', value: 1, at: Number.NaN },
      'stale sample for ready_replica_ratio (its time is unknown)',
    ],
    [
      'out of range required',
      'ready_replica_ratio',
      { kind: 'value', value: 1.5, at: NOW },
      'ready_replica_ratio=1.5 outside [0, 1]',
    ],
    [
      'negative required',
      'restart_count_last_5m',
      { kind: 'value', value: -1, at: NOW },
      'restart_count_last_5m=-1 outside [0, 10000]',
    ],
    [
      'failed query of an optional feature',
      'cpu_throttle_ratio',
      { kind: 'failed', reason: 'HTTP 503' },
      'query for cpu_throttle_ratio failed: HTTP 503',
    ],
  ])('%s → inconclusive', (_n, name, sample, reason) => {
    expect(buildInstance(withSample(name, sample), NOW, MAX_AGE)).toEqual({
      kind: 'inconclusive',
      reason,
      // only a failed query says the source itself is in trouble
      ...(sample.kind === 'failed' ? { sourceFailed: true } : {}),
    });
  });

  it.each<[string, FeatureName, Sample, string]>([
    [
      'missing optional',
      'http_p95_latency_seconds',
      { kind: 'missing' },
      'no series for http_p95_latency_seconds',
    ],
    [
      'NaN optional (no traffic)',
      'http_p95_latency_seconds',
      { kind: 'value', value: Number.NaN, at: NOW },
      'http_p95_latency_seconds is NaN',
    ],
    [
      'stale optional',
      'memory_limit_ratio',
      { kind: 'value', value: 0.5, at: NOW - MAX_AGE - 1 },
      'stale sample for memory_limit_ratio (120 s old > 120 s)',
    ],
    [
      'out of range optional',
      'memory_limit_ratio',
      { kind: 'value', value: 3, at: NOW },
      'memory_limit_ratio=3 outside [0, 2]',
    ],
  ])('%s → omitted for the backend to impute', (_n, name, sample, reason) => {
    const r = buildInstance(withSample(name, sample), NOW, MAX_AGE);
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') {
      expect(r.features[name as keyof typeof r.features]).toBeUndefined();
      expect(r.omitted).toEqual([{ feature: name, reason }]);
    }
  });

  it('boundary: a sample exactly max age old is fresh', () => {
    expect(
      buildInstance(
        withSample('cpu_usage_pct', { kind: 'value', value: 1, at: NOW - MAX_AGE }),
        NOW,
        MAX_AGE,
      ).kind,
    ).toBe('ok');
  });

  it('empty samples: inconclusive naming every required feature', () => {
    const r = buildInstance(new Map(), NOW, MAX_AGE);
    expect(r.kind).toBe('inconclusive');
    if (r.kind === 'inconclusive') expect(r.reason.split('; ')).toHaveLength(7);
  });
});
