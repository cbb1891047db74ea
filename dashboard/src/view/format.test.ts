import { describe, expect, it } from 'vitest';
import {
  featureLabel,
  formatAgo,
  formatClock,
  formatCompact,
  formatContribution,
  formatFeatureValue,
  formatNumber,
  formatRange,
  formatRisk,
  isStale,
} from './format';

describe('formatRisk', () => {
  it.each([
    [0, '0 %'],
    [0.934, '93 %'],
    [0.995, '100 %'],
    [1, '100 %'],
    [null, '—'],
    [undefined, '—'],
    [Number.NaN, '—'],
    [Number.POSITIVE_INFINITY, '—'],
  ])('%p → %p', (risk, text) => {
    expect(formatRisk(risk)).toBe(text);
  });
});

describe('formatAgo', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it.each([
    ['2026-01-01T12:00:00Z', 'just now'],
    ['2026-01-01T12:00:10Z', 'just now'], // healer clock ahead of the browser
    ['2026-01-01T11:59:56Z', 'just now'],
    ['2026-01-01T11:59:55Z', '5 s ago'],
    ['2026-01-01T11:59:01Z', '59 s ago'],
    ['2026-01-01T11:59:00Z', '1 min ago'],
    ['2026-01-01T11:00:01Z', '59 min ago'],
    ['2026-01-01T11:00:00Z', '1 h ago'],
    ['2025-12-30T12:00:01Z', '47 h ago'],
    ['2025-12-30T12:00:00Z', '2 d ago'],
    ['', '—'],
    [undefined, '—'],
    ['not a time', '—'],
  ])('%p → %p', (iso, text) => {
    expect(formatAgo(iso, now)).toBe(text);
  });
  it('is unknown when the clock is NaN', () => {
    expect(formatAgo('2026-01-01T12:00:00Z', Number.NaN)).toBe('—');
  });
});

describe('formatClock', () => {
  it('pads hours, minutes and seconds', () => {
    const t = new Date(2026, 0, 1, 3, 4, 5).getTime();
    expect(formatClock(t)).toBe('03:04:05');
    expect(formatClock(new Date(t).toISOString())).toBe('03:04:05');
  });
  it.each([[null], [''], ['garbage']])('%p is unknown', (v) => {
    expect(formatClock(v)).toBe('—');
  });
});

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [0.65, '0.65'],
    [1234.5, '1230'],
    [0.33333, '0.333'],
    [-2.5, '-2.5'],
    [1e-7, '1.00e-7'],
    [Number.NaN, '—'],
  ])('%p → %p', (v, text) => {
    expect(formatNumber(v)).toBe(text);
  });
});

describe('formatFeatureValue', () => {
  it.each([
    ['memory_usage_bytes', 52428800, '50 MiB'],
    ['memory_usage_bytes', 512, '512 B'],
    ['memory_usage_bytes', 3 * 1024 ** 3, '3 GiB'],
    ['network_receive_bytes_per_s', 86, '86 B/s'],
    ['network_receive_bytes_per_s', 1536, '1.5 KiB/s'],
    ['cpu_usage_pct', 0.65, '0.65 %'],
    ['http_p95_latency_seconds', 0.25, '250 ms'],
    ['http_p95_latency_seconds', 2.5, '2.5 s'],
    ['http_requests_per_s', 20, '20 req/s'],
    ['restart_count_last_5m', 6, '6 restarts'],
    ['unavailable_replicas', 2, '2 pods'],
    ['ready_replica_ratio', 0.33, '0.33'],
    ['memory_limit_ratio', 0.95, '0.95'],
    ['memory_growth_ratio_per_min', 0.02, '0.02 limit fraction/min'],
    ['not_a_feature', 3, '3'],
    ['ready_replica_ratio', null, '—'],
    ['ready_replica_ratio', Number.NaN, '—'],
  ])('%s %p → %p', (name, v, text) => {
    expect(formatFeatureValue(name, v)).toBe(text);
  });
});

describe('formatContribution', () => {
  it.each([
    [0.421, '+0.42'],
    [-0.05, '−0.05'],
    [0.001, '0.00'],
    [-0.001, '0.00'],
    [null, '—'],
    [Number.NaN, '—'],
  ])('%p → %p', (c, text) => {
    expect(formatContribution(c)).toBe(text);
  });
});

it('featureLabel spaces out snake_case', () => {
  expect(featureLabel('http_5xx_error_rate')).toBe('http 5xx error rate');
});

describe('formatCompact and formatRange', () => {
  it.each([
    [0, '0'],
    [600, '600'],
    [10_000, '10k'],
    [100_000, '100k'],
    [1e9, '1G'],
    [1e13, '10T'],
    [-10, '-10'],
    [Number.NaN, '—'],
  ])('formatCompact(%p) = %p', (v, text) => {
    expect(formatCompact(v)).toBe(text);
  });
  it.each([
    ['ready_replica_ratio', '0 – 1'],
    ['restart_count_last_5m', '0 – 10k'],
    ['memory_usage_bytes', '0 B – 9.09 TiB'],
    ['network_receive_bytes_per_s', '0 B/s – 931 GiB/s'],
    ['memory_growth_ratio_per_min', '-10 – 10'],
    ['nope', '—'],
  ])('formatRange(%s) = %p', (name, text) => {
    expect(formatRange(name)).toBe(text);
  });
});

it.each([
  ['2026-01-01T11:54:59Z', true],
  ['2026-01-01T11:55:00Z', false], // exactly 5 min: not yet
  ['2026-01-01T11:59:00Z', false],
  ['garbage', false],
  [undefined, false],
])('isStale(%p) = %p', (iso, stale) => {
  expect(isStale(iso, Date.parse('2026-01-01T12:00:00Z'))).toBe(stale);
});
