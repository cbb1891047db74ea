import { describe, expect, it } from 'vitest';
import { CRASH_LOOP_EXAMPLE, FEATURES } from '@aiops/model/schema';
import { draftFrom, stepFor, validateDraft } from './whatIf';

describe('draftFrom', () => {
  it('uses the deployment values, schema defaults for missing required ones, blanks for optional ones', () => {
    const d = draftFrom({
      restart_count_last_5m: 6,
      http_p95_latency_seconds: 0.4,
      cpu_usage_pct: Number.NaN,
    });
    expect(d.restart_count_last_5m).toBe('6');
    expect(d.http_p95_latency_seconds).toBe('0.4');
    expect(d.cpu_usage_pct).toBe('20'); // NaN is not a value: default
    expect(d.ready_replica_ratio).toBe('1');
    expect(d.cpu_throttle_ratio).toBe('');
    expect(Object.keys(d)).toHaveLength(FEATURES.length);
  });
  it('with no deployment, starts from the defaults', () => {
    expect(draftFrom(undefined).http_5xx_error_rate).toBe('0');
  });
});

describe('validateDraft', () => {
  const good = draftFrom(CRASH_LOOP_EXAMPLE);

  it('a valid draft becomes the POST body, optional blanks omitted', () => {
    const r = validateDraft(good);
    expect(r).toEqual({ ok: true, body: CRASH_LOOP_EXAMPLE });
  });

  it.each([
    [
      'ready_replica_ratio',
      '1.5',
      'ready_replica_ratio must be between 0 and 1 ratio 0–1 (got 1.5)',
    ],
    [
      'restart_count_last_5m',
      '-1',
      'restart_count_last_5m must be between 0 and 10000 restarts (got -1)',
    ],
    ['restart_count_last_5m', '', 'restart_count_last_5m is required'],
    ['restart_count_last_5m', '  ', 'restart_count_last_5m is required'],
    ['cpu_usage_pct', 'abc', 'cpu_usage_pct must be a finite number (got "abc")'],
    ['cpu_usage_pct', 'Infinity', 'cpu_usage_pct must be a finite number (got "Infinity")'],
    ['cpu_usage_pct', 'NaN', 'cpu_usage_pct must be a finite number (got "NaN")'],
    [
      'memory_growth_ratio_per_min',
      '-11',
      'memory_growth_ratio_per_min must be between -10 and 10 limit fraction/min (got -11)',
    ],
  ])('%s = %p → %s', (field, raw, message) => {
    const r = validateDraft({ ...good, [field]: raw });
    expect(r).toEqual({ ok: false, errors: [{ field, message }] });
  });

  it.each([
    ['ready_replica_ratio', '0'],
    ['ready_replica_ratio', '1'],
    ['memory_growth_ratio_per_min', '-10'],
  ])('boundary %s = %p is valid', (field, raw) => {
    expect(validateDraft({ ...good, [field]: raw }).ok).toBe(true);
  });

  it('reports every broken field at once', () => {
    const r = validateDraft({});
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => e.field)).toEqual(
        FEATURES.filter((f) => f.required).map((f) => f.name),
      );
  });
});

it.each([
  [{ min: 0, max: 1, integer: false }, '0.01'],
  [{ min: -10, max: 10, integer: false }, '0.1'],
  [{ min: 0, max: 1e13, integer: false }, 'any'],
  [{ min: 0, max: 10, integer: true }, '1'],
])('stepFor(%j) = %s', (f, step) => {
  expect(stepFor(f)).toBe(step);
});
