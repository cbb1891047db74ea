import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  BASELINE_FEATURES,
  BASELINE_STATS,
  FEATURES,
  ORIGINAL_HEALTHY_EXAMPLE,
  SLO_LIMITS,
  SLO_WINDOWS,
  SLO_WINDOW_FIELDS,
} from '@aiops/model';
import { InputError, type ErrorDetail } from './errors.js';
import { MAX_DETAILS, compilePredictBody } from './validate.js';

const parse = compilePredictBody(FEATURES, { batchLimit: 5 });
const healthy: Record<string, unknown> = { ...ORIGINAL_HEALTHY_EXAMPLE };
const withField = (field: string, value: unknown): Record<string, unknown> => ({
  ...healthy,
  [field]: value,
});
const without = (field: string): Record<string, unknown> => {
  const { [field]: _gone, ...rest } = healthy;
  return rest;
};

function detailsOf(body: unknown): ErrorDetail[] {
  try {
    parse(body);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return [...(err as InputError).details!];
  }
  throw new Error('expected an InputError');
}

describe('compilePredictBody', () => {
  it('accepts the original healthy body as a single row, unchanged', () => {
    const body = { ...ORIGINAL_HEALTHY_EXAMPLE };
    expect(parse(body)).toEqual({ kind: 'single', row: body });
  });

  it('accepts every feature at its bounds, optional ones included', () => {
    for (const edge of ['min', 'max'] as const) {
      const body = Object.fromEntries(FEATURES.map((f) => [f.name, f[edge]]));
      expect(parse(body).kind).toBe('single');
    }
  });

  it('accepts a batch and keeps its order', () => {
    const rows = [healthy, withField('cpu_usage_pct', 99)];
    expect(parse({ instances: rows })).toEqual({ kind: 'batch', rows });
  });

  it.each<[string, unknown, Partial<ErrorDetail>]>([
    [
      'missing required',
      without('cpu_usage_pct'),
      { field: 'cpu_usage_pct', rule: 'required', got: null },
    ],
    [
      'string number',
      withField('cpu_usage_pct', '0.65'),
      { field: 'cpu_usage_pct', rule: 'type', got: '0.65' },
    ],
    [
      'empty string',
      withField('cpu_usage_pct', ''),
      { field: 'cpu_usage_pct', rule: 'type', got: '' },
    ],
    [
      'boolean',
      withField('http_5xx_error_rate', true),
      { field: 'http_5xx_error_rate', rule: 'type', got: true },
    ],
    [
      'null',
      withField('http_5xx_error_rate', null),
      { field: 'http_5xx_error_rate', rule: 'type', got: null },
    ],
    [
      'array',
      withField('http_5xx_error_rate', [0]),
      { field: 'http_5xx_error_rate', rule: 'type', got: 'array' },
    ],
    [
      'object',
      withField('http_5xx_error_rate', {}),
      { field: 'http_5xx_error_rate', rule: 'type', got: 'object' },
    ],
    [
      '"NaN" string',
      withField('cpu_usage_pct', 'NaN'),
      { field: 'cpu_usage_pct', rule: 'type', got: 'NaN' },
    ],
    [
      '"Infinity" string',
      withField('cpu_usage_pct', 'Infinity'),
      { field: 'cpu_usage_pct', rule: 'type', got: 'Infinity' },
    ],
    [
      'NaN',
      withField('cpu_usage_pct', NaN),
      { field: 'cpu_usage_pct', rule: 'finite', got: 'NaN' },
    ],
    [
      'Infinity (1e999 in JSON)',
      withField('memory_usage_bytes', JSON.parse('1e999')),
      { field: 'memory_usage_bytes', rule: 'finite', got: 'Infinity' },
    ],
    [
      '-Infinity',
      withField('memory_usage_bytes', -Infinity),
      { field: 'memory_usage_bytes', rule: 'finite', got: '-Infinity' },
    ],
    [
      'negative count',
      withField('restart_count_last_5m', -1),
      { field: 'restart_count_last_5m', rule: 'min', got: -1 },
    ],
    [
      'negative replicas',
      withField('unavailable_replicas', -0.5),
      { field: 'unavailable_replicas', rule: 'min', got: -0.5 },
    ],
    [
      'ratio above 1',
      withField('ready_replica_ratio', 1.01),
      { field: 'ready_replica_ratio', rule: 'max', got: 1.01 },
    ],
    [
      'ratio below 0',
      withField('http_5xx_error_rate', -0.1),
      { field: 'http_5xx_error_rate', rule: 'min', got: -0.1 },
    ],
    [
      'optional out of range',
      withField('cpu_throttle_ratio', 2),
      { field: 'cpu_throttle_ratio', rule: 'max', got: 2 },
    ],
    [
      'out of range (percent)',
      withField('cpu_usage_pct', 1001),
      { field: 'cpu_usage_pct', rule: 'max', got: 1001 },
    ],
    [
      'unknown field',
      withField('cpu_usage_percent', 3),
      { field: 'cpu_usage_percent', rule: 'unknown', got: 3 },
    ],
    [
      '__proto__ key',
      JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(healthy).slice(1)}`),
      { field: '__proto__', rule: 'unknown' },
    ],
    ['array body', [healthy], { field: 'body', rule: 'type', got: 'array' }],
    ['string body', 'hello', { field: 'body', rule: 'type', got: 'hello' }],
    ['number body', 42, { field: 'body', rule: 'type', got: 42 }],
    ['null body', null, { field: 'body', rule: 'type', got: null }],
    ['no body', undefined, { field: 'body', rule: 'type' }],
    ['empty object', {}, { field: 'restart_count_last_5m', rule: 'required' }],
    ['empty batch', { instances: [] }, { field: 'instances', rule: 'min_items', got: 0 }],
    [
      'batch over the limit',
      { instances: Array(6).fill(healthy) },
      { field: 'instances', rule: 'max_items', got: 6 },
    ],
    [
      'instances not an array',
      { instances: healthy },
      { field: 'instances', rule: 'type', got: 'object' },
    ],
    [
      'batch with an extra key',
      { instances: [healthy], debug: true },
      { field: 'debug', rule: 'unknown', got: true },
    ],
    [
      'bad row in a batch',
      { instances: [healthy, healthy, healthy, withField('cpu_usage_pct', '1')] },
      { field: 'instances[3].cpu_usage_pct', rule: 'type', got: '1' },
    ],
    [
      'non-object row in a batch',
      { instances: [healthy, 7] },
      { field: 'instances[1]', rule: 'type', got: 7 },
    ],
  ])('rejects %s', (_name, body, expected) => {
    const details = detailsOf(body);
    expect(details).toContainEqual(expect.objectContaining(expected));
    for (const d of details) expect(d.message.length).toBeGreaterThan(0);
  });

  it('names the string number rule in words', () => {
    const [d] = detailsOf(withField('cpu_usage_pct', '0.65'));
    expect(d!.message).toContain('send numbers unquoted');
  });

  it('lists every broken field of a row, not just the first', () => {
    const body = { ...withField('cpu_usage_pct', -1), http_5xx_error_rate: 'x', extra: 1 };
    expect(
      detailsOf(body)
        .map((d) => d.field)
        .sort(),
    ).toEqual(['cpu_usage_pct', 'extra', 'http_5xx_error_rate'].sort());
  });

  it(`caps the listed details at ${MAX_DETAILS} and says how many there were`, () => {
    const many = compilePredictBody(FEATURES, { batchLimit: 10_000 });
    const rows = Array.from({ length: 500 }, () => ({}));
    try {
      many({ instances: rows });
      throw new Error('expected an InputError');
    } catch (err) {
      const e = err as InputError;
      expect(e.details).toHaveLength(MAX_DETAILS);
      expect(e.message).toContain(`and ${500 * 7 - 1} more problems`);
    }
  });
});

describe('optional context: baseline and SLO', () => {
  const baseline = {
    http_p95_latency_seconds: {
      p10: 0.1,
      p50: 0.12,
      p90: 0.2,
      recent: 0.13,
      last_week: 0.11,
      slope: -0.001,
    },
    cpu_usage_pct: { p50: 20 },
  };
  const slo = {
    availability: 0.999,
    latency_p95_seconds: 0.5,
    min_requests: 10,
    windows: {
      '5m': { error_ratio: 0.01, requests: 600, p95_seconds: 0.2 },
      '1h': { error_ratio: 0.002 },
    },
  };

  it('accepts a row with a baseline and SLO windows, single or in a batch', () => {
    const row = { ...healthy, baseline, slo };
    expect(parse(row)).toEqual({ kind: 'single', row });
    expect(parse({ instances: [row, healthy] })).toEqual({ kind: 'batch', rows: [row, healthy] });
    expect(parse({ ...healthy, baseline: {}, slo: {} }).kind).toBe('single');
  });

  it.each<[string, unknown, Partial<ErrorDetail>]>([
    ['baseline not an object', { baseline: [1] }, { field: 'baseline', rule: 'type' }],
    [
      'a signal without baseline statistics',
      { baseline: { ready_replica_ratio: { p50: 1 } } },
      { field: 'baseline.ready_replica_ratio', rule: 'unknown' },
    ],
    [
      'an unknown statistic',
      { baseline: { cpu_usage_pct: { mean: 3 } } },
      { field: 'baseline.cpu_usage_pct.mean', rule: 'unknown' },
    ],
    [
      'a statistic as a string',
      { baseline: { cpu_usage_pct: { p50: '3' } } },
      { field: 'baseline.cpu_usage_pct.p50', rule: 'type' },
    ],
    [
      'a level outside the feature range',
      { baseline: { http_5xx_error_rate: { p90: 1.5 } } },
      { field: 'baseline.http_5xx_error_rate.p90', rule: 'max' },
    ],
    [
      'a negative level',
      { baseline: { http_requests_per_s: { p10: -1 } } },
      { field: 'baseline.http_requests_per_s.p10', rule: 'min' },
    ],
    [
      'quantiles out of order',
      { baseline: { cpu_usage_pct: { p10: 5, p50: 3 } } },
      { field: 'baseline.cpu_usage_pct', rule: 'order' },
    ],
    [
      'availability of 1 (no budget)',
      { slo: { availability: 1 } },
      { field: 'slo.availability', rule: 'max' },
    ],
    ['an unknown SLO field', { slo: { target: 0.9 } }, { field: 'slo.target', rule: 'unknown' }],
    [
      'an unknown window',
      { slo: { windows: { '2h': {} } } },
      { field: 'slo.windows.2h', rule: 'unknown' },
    ],
    [
      'an error ratio over 1',
      { slo: { windows: { '5m': { error_ratio: 2 } } } },
      { field: 'slo.windows.5m.error_ratio', rule: 'max' },
    ],
    [
      'a non-finite request count',
      { slo: { windows: { '5m': { requests: null } } } },
      { field: 'slo.windows.5m.requests', rule: 'type' },
    ],
  ])('rejects %s, naming the field', (_name, extra, detail) => {
    const details = detailsOf({ ...healthy, ...(extra as object) });
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject(detail);
    const inBatch = detailsOf({ instances: [healthy, { ...healthy, ...(extra as object) }] });
    expect(inBatch[0]!.field).toBe(`instances[1].${detail.field}`);
  });
});

describe('optional context: the compiled checks accept exactly what the rules allow', () => {
  // The rules restated the plain way, as the oracle of a property test: the compiled baseline and
  // SLO checks must never accept a context these reject (nor reject one they accept).
  const obj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const within = (v: unknown, r: { min: number; max: number }): boolean =>
    typeof v === 'number' && Number.isFinite(v) && v >= r.min && v <= r.max;
  const byName = new Map(FEATURES.map((f) => [f.name as string, f]));
  function baselineValid(b: unknown): boolean {
    if (!obj(b)) return false;
    return Object.entries(b).every(([feature, stats]) => {
      const spec = byName.get(feature);
      if (!(BASELINE_FEATURES as readonly string[]).includes(feature) || !spec || !obj(stats))
        return false;
      const { p10, p50, p90 } = stats as Record<string, number | undefined>;
      const ordered = (x?: number, y?: number): boolean =>
        x === undefined || y === undefined || x <= y;
      return (
        Object.entries(stats).every(
          ([stat, x]) =>
            (BASELINE_STATS as readonly string[]).includes(stat) &&
            (stat === 'slope' ? typeof x === 'number' && Number.isFinite(x) : within(x, spec)),
        ) &&
        ordered(p10, p50) &&
        ordered(p50, p90) &&
        ordered(p10, p90)
      );
    });
  }
  function sloValid(s: unknown): boolean {
    if (!obj(s)) return false;
    return Object.entries(s).every(([field, x]) => {
      if (field === 'availability' || field === 'latency_p95_seconds' || field === 'min_requests')
        return within(x, SLO_LIMITS[field]);
      if (field !== 'windows' || !obj(x)) return false;
      return Object.entries(x).every(
        ([w, sli]) =>
          (SLO_WINDOWS as readonly string[]).includes(w) &&
          obj(sli) &&
          Object.entries(sli).every(
            ([k, y]) =>
              (SLO_WINDOW_FIELDS as readonly string[]).includes(k) &&
              within(y, SLO_LIMITS[k as (typeof SLO_WINDOW_FIELDS)[number]]),
          ),
      );
    });
  }

  /** Values a context field might hold: in range, at and past the bounds, and wrong types. */
  const odd = fc.oneof(
    fc.double({ min: -2, max: 2 }),
    fc.constantFrom(0, -0, 0.5, 1, 1.0001, -1, 600, 601, 1e9, 1e16, Infinity, NaN, -Infinity),
    fc.constantFrom('0.5', '', null, true, [1], {}, undefined),
  );
  const statKey = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...BASELINE_STATS) },
    { weight: 1, arbitrary: fc.constantFrom('mean', '__proto__', 'p99') },
  );
  const featureKey = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...BASELINE_FEATURES) },
    { weight: 1, arbitrary: fc.constantFrom('ready_replica_ratio', 'nope', '__proto__') },
  );
  /** Own properties as JSON.parse makes them (a "__proto__" key included). */
  const own = (entries: [string, unknown][]): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries)
      Object.defineProperty(o, k, { value: v, enumerable: true, writable: true });
    return o;
  };
  const stats = fc
    .array(fc.tuple(statKey, odd), { maxLength: 7 })
    .map((es) => own(es as [string, unknown][]));
  const baseline = fc
    .oneof(
      { weight: 8, arbitrary: fc.array(fc.tuple(featureKey, stats), { maxLength: 9 }) },
      { weight: 1, arbitrary: fc.constant(null) },
    )
    .map((es) => (es === null ? odd : own(es as [string, unknown][])));
  const sli = fc
    .array(fc.tuple(fc.constantFrom(...SLO_WINDOW_FIELDS, 'x'), odd), { maxLength: 4 })
    .map((es) => own(es as [string, unknown][]));
  const slo = fc
    .tuple(
      fc.array(
        fc.tuple(fc.constantFrom('availability', 'latency_p95_seconds', 'min_requests', 'x'), odd),
        { maxLength: 3 },
      ),
      fc.option(fc.array(fc.tuple(fc.constantFrom(...SLO_WINDOWS, '2h'), sli), { maxLength: 5 })),
    )
    .map(([fields, windows]) =>
      own([
        ...(fields as [string, unknown][]),
        ...(windows === null ? [] : ([['windows', own(windows)]] as [string, unknown][])),
      ]),
    );
  const accepts = (row: unknown): boolean => {
    try {
      parse(row);
      return true;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return false;
    }
  };

  it('baseline: accepted iff valid, single or in a batch', () => {
    fc.assert(
      fc.property(baseline, (b) => {
        const valid = baselineValid(b);
        expect(accepts({ ...healthy, baseline: b })).toBe(valid);
        expect(accepts({ instances: [healthy, { ...healthy, baseline: b }] })).toBe(valid);
      }),
      { numRuns: 3000 },
    );
  });

  it('slo: accepted iff valid, single or in a batch', () => {
    fc.assert(
      fc.property(slo, (s) => {
        const valid = sloValid(s);
        expect(accepts({ ...healthy, slo: s })).toBe(valid);
        expect(accepts({ instances: [{ ...healthy, slo: s }] })).toBe(valid);
      }),
      { numRuns: 3000 },
    );
  });
});
