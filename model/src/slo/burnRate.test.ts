import { describe, expect, it } from '@jest/globals';
import { evaluateSlo } from './burnRate.js';
import type { SloInput } from '../schema.js';

const w = (
  errLong: number,
  errShort: number,
  reqShort = 1000,
): NonNullable<SloInput['windows']> => ({
  '1h': { error_ratio: errLong, requests: 12 * reqShort },
  '5m': { error_ratio: errShort, requests: reqShort },
});

/** The error ceiling's windows: 30 m and 5 m. */
const c = (err30m: number, err5m: number, req5m = 1000): NonNullable<SloInput['windows']> => ({
  '30m': { error_ratio: err30m, requests: 6 * req5m },
  '5m': { error_ratio: err5m, requests: req5m },
});

describe('SLO layer: multiwindow, multi-burn-rate', () => {
  it.each<[string, SloInput | undefined, boolean, RegExp]>([
    ['no input', undefined, false, /no SLO windows sent/],
    [
      'no objective declared: a sustained 9 % storm hits the error ceiling (the e2e traffic spike)',
      { windows: c(0.07, 0.09, 108_000) },
      true,
      /7\.0 % over 30m and 9\.0 % of 108000 requests over 5m failed: ≥ 5\.0 % error ceiling \(no availability objective declared\)/,
    ],
    [
      'no objective declared: one bad 5 minutes at a busy peak is not sustained',
      { windows: c(0.02, 0.09, 108_000) },
      false,
      /no availability objective declared; error ceiling: 2\.0 % over 30m and 9\.0 % .* over 5m failed, < 5\.0 %/,
    ],
    [
      'no objective declared: a storm that has stopped',
      { windows: c(0.09, 0.01) },
      false,
      /error ceiling: 9\.0 % over 30m and 1\.0 % of 1000 requests over 5m failed, < 5\.0 %/,
    ],
    [
      'no objective declared: 4 % is under the ceiling, and no burn rate without an objective',
      { windows: { ...w(0.04, 0.04), ...c(0.04, 0.04) } },
      false,
      /^no availability objective declared; error ceiling: 4\.0 % over 30m and 4\.0 % .*, < 5\.0 %$/,
    ],
    [
      'no objective declared: exactly at the ceiling',
      { windows: c(0.05, 0.05) },
      true,
      /≥ 5\.0 % error ceiling/,
    ],
    [
      'no objective declared: an idle service, 1 failure in 3, is too few to judge',
      { windows: c(0.33, 0.33, 3) },
      false,
      /error ceiling: 3 requests in 5m < 20: too few to judge/,
    ],
    [
      'no objective declared: no request count, no ceiling',
      { windows: { '30m': { error_ratio: 0.5 }, '5m': { error_ratio: 0.5 } } },
      false,
      /error ceiling: no request count in 5m/,
    ],
    [
      'no objective declared: no 30-minute window, no ceiling',
      { windows: { '5m': { error_ratio: 0.5, requests: 1000 } } },
      false,
      /error ceiling: no error ratio over 30m and 5m/,
    ],
    [
      'a declared objective too strict for a burn rate yet: the ceiling fires first',
      { availability: 0.999, windows: { ...w(0.005, 0.09), ...c(0.06, 0.09) } },
      true,
      /≥ 5\.0 % error ceiling \(whatever the objective 99\.90 %\)/,
    ],
    [
      'a declared objective looser than the ceiling raises it to its budget',
      { availability: 0.9, windows: { ...w(0.09, 0.09), ...c(0.09, 0.09) } },
      false,
      /error ceiling: 9\.0 % over 30m and 9\.0 % .*, < 10\.0 %/,
    ],
    [
      '… and fires at that budget',
      { availability: 0.9, windows: { ...w(0.0, 0.12), ...c(0.1, 0.12) } },
      true,
      /10\.0 % over 30m and 12\.0 % .* ≥ 10\.0 % error ceiling \(the budget of the availability objective 90\.0 %\)/,
    ],
    [
      'fast burn in both windows',
      { availability: 0.999, windows: w(0.02, 0.05) },
      true,
      /20\.0× over 1h and 50\.0× over 5m ≥ 14\.4× \(availability objective 99\.90 %\)/,
    ],
    [
      'a short spike only (long window fine), under the error ceiling',
      { availability: 0.999, windows: w(0.005, 0.04) },
      false,
      /5\.0× over 1h and 40\.0× over 5m < 14\.4×/,
    ],
    [
      'a long burn that has stopped',
      { availability: 0.999, windows: w(0.05, 0.0) },
      false,
      /fast burn: .* < 14\.4×/,
    ],
    [
      'exactly at the factor',
      { availability: 0.999, windows: w(0.0144, 0.0144) },
      true,
      /14\.4× over 1h/,
    ],
    [
      'an idle service: 1 failure in 3',
      { availability: 0.999, windows: w(0.33, 0.33, 3) },
      false,
      /3 requests in 5m < 20: too few to judge/,
    ],
    ['a looser objective', { availability: 0.99, windows: w(0.04, 0.04) }, false, /4\.0× over 1h/],
    [
      'slow burn over 6 h and 30 m, still burning',
      {
        availability: 0.999,
        windows: {
          '6h': { error_ratio: 0.007, requests: 1e5 },
          '30m': { error_ratio: 0.01, requests: 1e4 },
          ...w(0.005, 0.008),
        },
      },
      true,
      /7\.0× over 6h and 10\.0× over 30m ≥ 6×/,
    ],
    [
      'slow burn that stopped: the 5-minute window is clean',
      {
        availability: 0.999,
        windows: {
          '6h': { error_ratio: 0.007, requests: 1e5 },
          '30m': { error_ratio: 0.01, requests: 1e4 },
          ...w(0.005, 0),
        },
      },
      false,
      /slow burn: .* ≥ 6×, but only 0\.0× over 5m: no longer burning/,
    ],
    [
      'latency objective breached in both windows',
      {
        latency_p95_seconds: 0.5,
        windows: { '5m': { p95_seconds: 0.8, requests: 100 }, '1h': { p95_seconds: 0.6 } },
      },
      true,
      /p95 0\.800 s over 5m and 0\.600 s over 1h ≥ 0\.5 s/,
    ],
    [
      'latency: only the short window',
      {
        latency_p95_seconds: 0.5,
        windows: { '5m': { p95_seconds: 0.8, requests: 100 }, '1h': { p95_seconds: 0.3 } },
      },
      false,
      /latency: p95 0\.800 s \(5m\), 0\.300 s \(1h\) vs 0\.5 s/,
    ],
  ])('%s', (_n, input, fired, reason) => {
    const v = evaluateSlo(input);
    expect(v.fired).toBe(fired);
    expect(v.reason).toMatch(reason);
    expect(v.rule === null).toBe(!fired);
  });
});
