import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { evaluateOwnNormal, type OwnNormalRule } from './ownNormal.js';
import type { Stats } from '../features/derive.js';

const RULE: OwnNormalRule = { z: 6, ratio: 1.5, minLatencyRiseSeconds: 0.05, minErrorRise: 0.02 };
const stats = (median: number, up: number, week = NaN): Stats => ({
  median,
  down: up,
  up,
  week,
  recent: NaN,
  slope: NaN,
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

  it('is monotone: more latency or more errors never turn it off', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.001, max: 2, noNaN: true }),
        (p, dp, e, de, median) => {
          const lat = stats(median, Math.max(0.005, median * 0.1));
          const lo = evaluateOwnNormal(p, lat, Math.min(e, 1), ERR, RULE).fired;
          const hi = evaluateOwnNormal(p + dp, lat, Math.min(1, e + de), ERR, RULE).fired;
          return !lo || hi;
        },
      ),
    );
  });
});
