import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  DEFAULT_OWN_NORMAL,
  OWN_NO_BASELINE,
  OWN_NUMBERS,
  OWN_OFF,
  OWN_WITHIN,
  evaluateOwnNormal,
  judgeOwnNormal,
  ownNormalFired,
  ownNormalReason,
  ownNormalSignal,
  ownNormalVerdictOf,
  writeOwnNormalReason,
  type OwnNormalRule,
} from './ownNormal.js';
import { FMT_ROOM, fmt, putFmtAt } from './reason.js';
import { newStats, type Stats } from '../features/derive.js';
import { JsonBytes } from '../scoring/jsonBytes.js';
import { formatterCases } from '../scoring/testRows.js';
import { Rng } from '../rng.js';

const RULE: OwnNormalRule = {
  z: 6,
  ratio: 1.5,
  ratioOf: 'p90',
  minLatencyRiseSeconds: 0.05,
  minErrorRise: 0.02,
  cpuSaturationPct: 80,
  memoryExhaustionMinutes: 2,
  minMemoryGrowthPerMin: 0.1,
};
const stats = (median: number, up: number, week = NaN): Stats => ({
  median,
  down: up,
  up,
  week,
  recent: NaN,
  slope: NaN,
  peak: NaN,
});
const NONE = stats(NaN, NaN);
const LAT = stats(0.2, 0.01); // normally 200 ms, p90 about 213 ms
const ERR = stats(0.001, 0.002);

describe('own-normal layer', () => {
  it.each<[string, number, Stats, number, Stats, boolean, string | null, RegExp]>([
    ['no baseline at all', 5, NONE, 0.5, NONE, false, null, /no baseline/],
    ['within its normal', 0.21, LAT, 0.001, ERR, false, null, /within their own normal/],
    [
      'latency doubled: far beyond its spread',
      0.4,
      LAT,
      0.001,
      ERR,
      true,
      'http_p95_latency_seconds',
      /p95 0\.400 s is 20\.0 spreads above its own normal 0\.200 s/,
    ],
    // 6 spreads up but only ×1.3: a tight service's wobble, not a shift.
    ['many spreads but a small factor', 0.26, LAT, 0, ERR, false, null, /within/],
    // ×3 but only 30 ms: a fast endpoint's jitter.
    ['a large factor of a tiny latency', 0.045, stats(0.015, 0.001), 0, ERR, false, null, /within/],
    [
      'last week was slower at this hour: judged against the larger normal',
      0.4,
      stats(0.2, 0.01, 0.35),
      0,
      ERR,
      false,
      null,
      /within/,
    ],
    [
      'an exception burst at a low rate',
      0.2,
      LAT,
      0.04,
      ERR,
      true,
      'http_5xx_error_rate',
      /5xx ratio 0\.0400 is 19\.5 spreads above its own normal 0\.00100/,
    ],
    ['errors up by less than the minimum rise', 0.2, LAT, 0.015, ERR, false, null, /within/],
    [
      'a service that always fails 10 %: 11 % is its normal',
      0.2,
      LAT,
      0.11,
      stats(0.1, 0.02),
      false,
      null,
      /within/,
    ],
  ])('%s', (_name, p95, lat, err, errs, fired, signal, reason) => {
    const v = evaluateOwnNormal(p95, lat, err, errs, RULE);
    expect(v.fired).toBe(fired);
    expect(v.signal).toBe(signal);
    expect(v.reason).toMatch(reason);
  });

  // A gateway's p95 at low traffic normally strays to 3× its median (p50 0.8 s, p90 2.6 s): a
  // jump to 6 s is only 4 robust spreads, but 2.4× what it normally reaches.
  const TAIL = stats(0.8, 1.4);
  it.each<[string, number, Partial<OwnNormalRule>, boolean]>([
    ['a long-tailed p95 far past its p90, at 3 spreads', 6.25, { z: 3, ratio: 2 }, true],
    ['the same jump falls short of 6 spreads', 6.25, { z: 6, ratio: 2 }, false],
    ['a long-tailed p95 within 2× its p90 is its normal straying', 3.9, { z: 3, ratio: 2 }, false],
    [
      'judged against its median instead, the same 3.9 s fires',
      3.9,
      { z: 2, ratio: 2, ratioOf: 'median' },
      true,
    ],
  ])('%s', (_name, p95, over, fired) => {
    const v = evaluateOwnNormal(p95, TAIL, 0, ERR, { ...RULE, ...over });
    expect(v.fired).toBe(fired);
    if (fired) expect(v.reason).toMatch(/its normal (p90 2\.59|median 0\.800) s/);
  });

  // A trailing hour with incidents in it (a fault every 8 minutes on the Nezha testbed): the
  // upper spread is inflated to 1.5 s while the lower half still shows 50 ms of normal noise.
  const CONTAMINATED: Stats = { ...stats(0.8, 1.5), down: 0.05 };
  const LOW = { lowerSpread: { z: 8, ratio: 3 } };
  it.each<[string, number, Stats, Partial<OwnNormalRule>, boolean, RegExp]>([
    ['3 s is 1.5 upper spreads: under 6', 3, CONTAMINATED, {}, false, /within/],
    ['3 s is 44 lower spreads and ×3.75', 3, CONTAMINATED, LOW, true, /44\.0 lower spreads/],
    ['lower spreads still need the factor', 2, CONTAMINATED, LOW, false, /within/],
    ['just past ×3 and 8 lower spreads', 2.41, CONTAMINATED, LOW, true, /×3\.01 its normal median/],
    ['just under ×3', 2.39, CONTAMINATED, LOW, false, /within/],
    ['a wide lower spread too: under 8', 3, { ...CONTAMINATED, down: 0.3 }, LOW, false, /within/],
    ['no lower spread (NaN): silent', 3, { ...CONTAMINATED, down: NaN }, LOW, false, /within/],
    ['NaN latency: silent', NaN, CONTAMINATED, LOW, false, /within/],
    [
      'under the 50 ms floor: silent',
      0.045,
      { ...stats(0.005, 0.05), down: 0.0001 },
      LOW,
      false,
      /within/,
    ],
    // The first check still fires on its own: the second only adds.
    ['a clean baseline: the upper check fires', 0.4, LAT, LOW, true, /20\.0 spreads above/],
  ])('lower spread: %s', (_name, p95, lat, over, fired, reason) => {
    const v = evaluateOwnNormal(p95, lat, 0, ERR, { ...RULE, ratioOf: 'median', ...over });
    expect(v.fired).toBe(fired);
    expect(v.signal).toBe(fired ? 'http_p95_latency_seconds' : null);
    expect(v.reason).toMatch(reason);
  });

  // The default rule (picked leave-one-day-out on the real days): a quiet service's p95 jumping to
  // a histogram bucket's edge (5 ms → 85 ms, ×17) is under its 100 ms floor; 12 lower spreads.
  const QUIET: Stats = { ...stats(0.005, 0.001), down: 0.0005 };
  it.each<[string, number, Stats, boolean, RegExp]>([
    ['a quiet p95 +80 ms (×17): under the 100 ms floor', 0.085, QUIET, false, /within/],
    ['a quiet p95 +195 ms (×40)', 0.2, QUIET, true, /spreads above/],
    [
      'contaminated upper spread, ×5.25 but 9.7 lower spreads: under 12',
      4.2,
      { ...CONTAMINATED, down: 0.35 },
      false,
      /within/,
    ],
    ['contaminated upper spread, ×5.25 and 68 lower spreads', 4.2, CONTAMINATED, true, /lower/],
  ])('default rule: %s', (_name, p95, lat, fired, reason) => {
    const v = evaluateOwnNormal(p95, lat, 0, ERR, DEFAULT_OWN_NORMAL);
    expect(v.fired).toBe(fired);
    expect(v.reason).toMatch(reason);
  });

  // Right after a spike (2023-01-30's network delays on the entry service): one minute at 6.25 s
  // against a 0.87 s median passes the lower-spread check, the next at 3.94 s does not (×4.5).
  const GATEWAY: Stats = { ...stats(0.87, 1.34), down: 0.31 };
  const AFTER = { afterSpike: { ratio: 3, minRiseSeconds: 0.5 } };
  const { afterSpike: _default, ...WITHOUT_AFTER } = DEFAULT_OWN_NORMAL;
  it.each<[string, number, number, Partial<OwnNormalRule>, boolean, RegExp]>([
    ['the spike itself: the lower-spread check', 6.25, 6.25, AFTER, true, /lower spreads/],
    [
      'still ×4.5 after it',
      3.94,
      6.25,
      AFTER,
      true,
      /still ×4\.53 .* after a spike .*peak p95 6\.25 s/,
    ],
    ['without the check: within its normal', 3.94, 6.25, {}, false, /within/],
    ['no spike in the last 3 minutes (peak = now)', 3.94, 3.94, AFTER, false, /within/],
    ['no peak sent', 3.94, NaN, AFTER, false, /within/],
    ['a peak that did not pass (×4.6)', 3.5, 4, AFTER, false, /within/],
    ['back under ×3 after it', 2.6, 6.25, AFTER, false, /within/],
    ['just over ×3', 2.62, 6.25, AFTER, true, /after a spike/],
    // A service serving a few requests a minute (2023-01-29's ts-order-service): 50 ms, one
    // minute at 0.97 s, the next at a bucket's edge, 0.23 s (×4.6, +0.18 s).
    ['a quiet service at a bucket edge: under the rise floor', 0.23, 0.97, AFTER, false, /within/],
    [
      'the same with a 0.1 s floor',
      0.23,
      0.97,
      { afterSpike: { ratio: 3, minRiseSeconds: 0.1 } },
      true,
      /after a spike/,
    ],
  ])('after a spike: %s', (_name, p95, peak, over, fired, reason) => {
    const lat = p95 < 1 ? { ...stats(0.05, 0.05), down: 0.004, peak } : { ...GATEWAY, peak };
    const v = evaluateOwnNormal(p95, lat, 0, ERR, { ...WITHOUT_AFTER, ...over });
    expect(v.fired).toBe(fired);
    expect(v.reason).toMatch(reason);
  });
  it('the default rule holds the alert after a spike', () => {
    const v = evaluateOwnNormal(3.94, { ...GATEWAY, peak: 6.25 }, 0, ERR, DEFAULT_OWN_NORMAL);
    expect(v.reason).toMatch(/after a spike/);
  });

  it("applies the lower-spread check to the callers' latency too", () => {
    const rule = { ...RULE, ratioOf: 'median' as const, ...LOW };
    const v = evaluateOwnNormal(
      0.8,
      stats(0.8, 0.1),
      0,
      ERR,
      rule,
      NaN,
      undefined,
      NaN,
      NaN,
      undefined,
      3,
      CONTAMINATED,
    );
    expect(v.signal).toBe('http_caller_p95_latency_seconds');
    expect(v.reason).toMatch(/callers' p95 3\.00 s is 44\.0 lower spreads/);
  });

  // Errors have no lower-spread check: a 5xx ratio normally near 0 has no lower half to measure.
  it('never judges errors in lower spreads', () => {
    const noisy: Stats = { ...stats(0.01, 0.01), down: 0.0005 };
    const v = evaluateOwnNormal(0.2, LAT, 0.035, noisy, { ...RULE, ...LOW });
    expect(v.fired).toBe(false);
  });

  const CPU_QUIET = stats(20, 5); // normally 20 %, p90 about 26 % of its limit
  it.each<[string, number, Stats, number, boolean, RegExp]>([
    ['pinned at its limit, normally quiet', 95, CPU_QUIET, 80, true, /CPU 95\.0 % of its limit/],
    ['busy but not saturated', 70, stats(10, 2), 80, false, /within/],
    ['a service that always runs hot at its limit', 98, stats(85, 5), 80, false, /within/],
    ['no CPU check (saturation 0)', 95, CPU_QUIET, 0, false, /within/],
    ['no CPU baseline', 95, NONE, 80, false, /within/],
    ['NaN usage', NaN, CPU_QUIET, 80, false, /within/],
  ])('CPU: %s', (_name, cpu, cpus, cpuSaturationPct, fired, reason) => {
    const v = evaluateOwnNormal(0.2, LAT, 0.001, ERR, { ...RULE, cpuSaturationPct }, cpu, cpus);
    expect(v.fired).toBe(fired);
    expect(v.signal).toBe(fired ? 'cpu_usage_pct' : null);
    expect(v.reason).toMatch(reason);
  });

  it('CPU alone is enough of a baseline to judge', () => {
    const v = evaluateOwnNormal(0.2, NONE, 0, NONE, RULE, 95, CPU_QUIET);
    expect(v.fired).toBe(true);
  });

  it.each<[string, number, number, boolean]>([
    ['a leak filling half its limit a minute, at 52 %', 0.52, 0.45, true],
    ['a slow leak: 10 %/min from 40 % takes 6 min', 0.4, 0.1, false],
    ['a step of 12 %/min from 54 % would take 3.8 min', 0.54, 0.12, false],
    ['a JVM at 95 % whose GC sawtooth reads +5 %/min', 0.95, 0.05, false],
    ['memory shrinking', 0.9, -0.3, false],
    ['no growth reading', 0.9, NaN, false],
  ])('memory: %s', (_name, ratio, growth, fired) => {
    const v = evaluateOwnNormal(0.2, NONE, 0, NONE, RULE, NaN, NONE, ratio, growth);
    // Known to sit at 50–60 %: 52 % is within its normal, so the same reading is a refill, not a leak.
    const usual = evaluateOwnNormal(
      0.2,
      NONE,
      0,
      NONE,
      RULE,
      NaN,
      NONE,
      ratio,
      growth,
      stats(0.55, 0.04),
    );
    expect(usual.fired).toBe(false);
    expect(v.fired).toBe(fired);
    expect(v.signal).toBe(fired ? 'memory_growth_ratio_per_min' : null);
    if (fired)
      expect(v.reason).toMatch(
        /memory 52\.0 % of its limit, growing 45\.0 % per minute: exhausted in 1\.07 min/,
      );
  });

  // A network delay on cartservice (Online Boutique, 2022-08-22): its own p95 stays at 5 ms, the
  // p95 its callers measure goes from 5 ms to 210 ms.
  const CALLERS = stats(0.005, 0.0016);
  it.each<[string, number, Stats, number, Stats, boolean, string | null, RegExp]>([
    [
      "callers' latency ×40 while its own p95 does not move",
      0.005,
      stats(0.005, 0.001),
      0.21,
      CALLERS,
      true,
      'http_caller_p95_latency_seconds',
      /callers' p95 0\.210 s is 128 spreads above its own normal 0\.00500 s/,
    ],
    ["callers' latency within its normal", 0.005, NONE, 0.006, CALLERS, false, null, /within/],
    // ×5 but only 20 ms: a fast link's jitter.
    ["callers' small absolute rise", 0.005, NONE, 0.025, CALLERS, false, null, /within/],
    ["callers' latency without its baseline", 0.005, NONE, 0.21, NONE, false, null, /no baseline/],
    ["no callers' reading (no mesh)", 0.005, NONE, NaN, CALLERS, false, null, /within/],
    [
      'its own p95 fires first when both moved',
      0.4,
      LAT,
      0.5,
      CALLERS,
      true,
      'http_p95_latency_seconds',
      /^p95 0\.400 s/,
    ],
  ])('%s', (_name, p95, lat, callerP95, callers, fired, signal, reason) => {
    const v = evaluateOwnNormal(
      p95,
      lat,
      0,
      NONE,
      RULE,
      NaN,
      NONE,
      NaN,
      NaN,
      NONE,
      callerP95,
      callers,
    );
    expect(v.fired).toBe(fired);
    expect(v.signal).toBe(signal);
    expect(v.reason).toMatch(reason);
  });

  it("is monotone: more latency (its own or its callers'), errors or CPU never turn it off", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.001, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (p, dp, e, de, median, c, dc, cpuMedian, q, dq) => {
          const lat = stats(median, Math.max(0.005, median * 0.1));
          const cpus = stats(cpuMedian, Math.max(0.5, cpuMedian * 0.1));
          const judge = (p95: number, err: number, cpu: number, caller: number): boolean =>
            evaluateOwnNormal(p95, lat, err, ERR, RULE, cpu, cpus, NaN, NaN, NONE, caller, lat)
              .fired;
          const lo = judge(p, Math.min(e, 1), c, q);
          const hi = judge(p + dp, Math.min(1, e + de), c + dc, q + dq);
          return !lo || hi;
        },
      ),
    );
  });

  it('is monotone with the lower-spread and after-spike checks: more latency never turns it off', () => {
    const rule = {
      ...RULE,
      lowerSpread: { z: 8, ratio: 3 },
      afterSpike: { ratio: 2, minRiseSeconds: 0.2 },
    };
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0.001, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 20, noNaN: true }),
        (p, dp, median, peak) => {
          const lat = { ...stats(median, median), down: median * 0.05, peak };
          const judge = (p95: number): boolean =>
            evaluateOwnNormal(p95, lat, 0, ERR, rule, NaN, NONE, NaN, NaN, NONE, p95, lat).fired;
          return !judge(p) || judge(p + dp);
        },
      ),
    );
  });
});

describe('a verdict kept as its code and numbers', () => {
  // Every fired check with and without the callers' and after-spike flags (codes 2–7, 8, 16),
  // the three verdicts that did not fire, and numbers of every kind the reasons may name.
  const codes = [OWN_WITHIN, OWN_NO_BASELINE, OWN_OFF];
  for (let check = 2; check <= 7; check++)
    for (const flags of [0, 8, 16, 24]) codes.push(check | flags);
  const odd = [
    0,
    -0,
    1e-9,
    -3.14159,
    99.95,
    99.949,
    100,
    100.5,
    -100.5,
    2.5e21,
    NaN,
    Infinity,
    -Infinity,
  ];
  const rng = new Rng(3);
  const number = (): number =>
    rng.next() < 0.3
      ? odd[Math.floor(rng.next() * odd.length)]!
      : (rng.next() - 0.3) * 10 ** (6 * rng.next() - 2);

  it('writes the bytes of its reason as a JSON string, and makes the same verdict', () => {
    const nums = new Float64Array(OWN_NUMBERS + 3);
    for (const code of codes) {
      for (let i = 0; i < 40; i++) {
        for (let k = 0; k < nums.length; k++) nums[k] = number();
        const text = ownNormalReason(code, nums, 3);
        const out = new JsonBytes(16);
        writeOwnNormalReason(out, code, nums, 3);
        expect(out.bytes().toString('utf8')).toBe(JSON.stringify(text));
        const verdict = ownNormalVerdictOf(code, nums, 3);
        expect(verdict.reason).toBe(text);
        expect(verdict.fired).toBe(ownNormalFired(code));
        expect(verdict.signal).toBe(ownNormalSignal(code));
      }
    }
  });

  it('is what evaluateOwnNormal answers, from the numbers judgeOwnNormal keeps', () => {
    const at = (median: number, spread: number, peak = NaN): Stats => ({
      ...stats(median, spread),
      peak,
    });
    const none = newStats();
    const rule = { ...DEFAULT_OWN_NORMAL, cpuSaturationPct: 90 };
    const p90 = { ...rule, ratioOf: 'p90' as const };
    const cases: Parameters<typeof evaluateOwnNormal>[] = [
      [0.1, none, 0, none, rule, NaN, none, 0.9, 0.2],
      [2, at(0.1, 0.01), 0, none, rule],
      [2, at(0.1, 0.01), 0, none, p90],
      [0.6, at(0.1, 0.01, 3), 0, none, rule],
      [0.1, none, 0, none, rule, NaN, none, NaN, NaN, none, 2, at(0.1, 0.01)],
      [0.1, none, 0, none, rule, 99, at(20, 2)],
      [0.1, none, 0.3, at(0, 0.002), rule],
      [0.1, at(0.1, 0.01), 0, none, rule],
      [0.1, none, 0, none, rule],
    ];
    for (const args of cases) {
      const want = evaluateOwnNormal(...args);
      const nums = new Float64Array(OWN_NUMBERS);
      const [p95, lat, err, errs, r, cpu, cpus, ratio, growth, ratios, caller, callers] = args;
      const values = Float64Array.of(
        p95,
        err,
        cpu ?? NaN,
        ratio ?? NaN,
        growth ?? NaN,
        caller ?? NaN,
      );
      const code = judgeOwnNormal(
        values,
        lat,
        errs,
        r!,
        cpus ?? none,
        ratios ?? none,
        callers ?? none,
        nums,
        0,
      );
      expect(ownNormalVerdictOf(code, nums, 0)).toEqual(want);
    }
    const fired = cases.map((args) => evaluateOwnNormal(...args).signal);
    expect(new Set(fired)).toEqual(
      new Set([
        'memory_growth_ratio_per_min',
        'http_p95_latency_seconds',
        'http_caller_p95_latency_seconds',
        'cpu_usage_pct',
        'http_5xx_error_rate',
        null,
      ]),
    );
  });
});

describe("putFmtAt: a reason's number written as bytes", () => {
  const buf = Buffer.alloc(FMT_ROOM + 8);
  const cell = new Float64Array(1);
  /**
   * putFmtAt's text for x (null where it declines: −1, fmt then writes it), checking it stays
   * within its room.
   */
  const written = (x: number): string | null => {
    buf.fill(0x7e);
    cell[0] = x;
    const end = putFmtAt(buf, 4, cell, 0);
    if (end < 0) return null;
    const inside = end - 4 <= FMT_ROOM && buf[3] === 0x7e && buf[end] === 0x7e;
    return inside ? buf.toString('latin1', 4, end) : 'outside its room';
  };
  /** The numbers whose text differs from fmt's, and how many were declined. */
  const check = (xs: Iterable<number>): { wrong: string[]; declined: number; n: number } => {
    const wrong: string[] = [];
    let declined = 0;
    let n = 0;
    for (const x of xs) {
      n++;
      const w = written(x);
      if (w === null) declined++;
      else if (w !== fmt(x)) wrong.push(`${x}: ${w} ≠ ${fmt(x)}`);
    }
    return { wrong, declined, n };
  };

  // Ties and edges of the rounding, either side of each, and every decade toPrecision writes
  // without an exponent.
  const edges: number[] = [
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    1e-6,
    9.99e-7,
    9.995e-7,
    9.9951e-7,
    1e-7,
    2.675,
    1.005,
    0.125,
    0.0125,
    9.995,
    9.9949,
    9.9951,
    99.95,
    99.949,
    99.951,
    99.5,
    99.4999,
    99.99999,
    100,
    100.5,
    100.49999,
    101.5,
    2.5,
    0.9995,
    0.99949,
    999.5,
    1000.5,
    4503599627370495.5,
    4503599627370496,
    2 ** 53,
    2 ** 53 + 2,
    1e21,
    1.5e21,
    1e300,
    5e-324,
    0.1,
    0.01,
    0.001,
    1e-4,
    1e-5,
    10,
    1,
    0.3,
    1 / 3,
    2 / 3,
    123.456,
    0.000123456,
  ];
  const around = (x: number): number[] => [x, x * (1 + 2 ** -52), x * (1 - 2 ** -53), -x];

  it.each(edges.flatMap(around))('%p as fmt writes it', (x) => {
    expect(written(x) ?? fmt(x)).toBe(fmt(x));
  });

  it('writes what fmt makes for numbers of every decade, declining only near ties and edges', () => {
    // Three-decimal and one-decimal ties (x.xx5, x.x5).
    const numbers = formatterCases(
      new Rng(14),
      100_000,
      [-8, 16],
      [
        (r) => (Math.round(r.next() * 2e5) + 0.5) / 1000,
        (r) => Math.round(r.next() * 2e4) / 10 + 0.05,
      ],
    );
    const { wrong, declined, n } = check(numbers);
    expect(wrong).toEqual([]);
    // The fast path writes nearly all of them (the rest: near ties, below 1e-6, from 2^52).
    expect(declined).toBeLessThan(n * 0.15);
  });

  it('writes what fmt makes for every k / 1000 and k / 100 within ±1,000 (ties on the grid)', () => {
    function* grid(): Generator<number> {
      for (let k = -1_000_000; k <= 1_000_000; k += 3) {
        yield k / 1000;
        yield k / 100;
      }
    }
    expect(check(grid()).wrong).toEqual([]);
  });
});
