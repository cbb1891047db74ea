import { describe, expect, it } from 'vitest';
import { cleanSeries, linearScale, riskPath, timeTicks, trendOf } from './chart';

it('linearScale maps and clamps', () => {
  const s = linearScale([0, 1], [100, 0]);
  expect(s(0)).toBe(100);
  expect(s(0.25)).toBe(75);
  expect(s(2)).toBe(0);
  expect(s(-1)).toBe(100);
  expect(linearScale([5, 5], [0, 10])(5)).toBe(5); // empty domain: middle
});

it('cleanSeries drops NaN and bad times and sorts', () => {
  expect(
    cleanSeries([
      { t: '2026-01-01T12:01:00Z', risk: 0.5 },
      { t: 'garbage', risk: 0.3 },
      { t: '2026-01-01T12:00:00Z', risk: 0.2 },
      { t: '2026-01-01T12:02:00Z', risk: Number.NaN },
    ]),
  ).toEqual([
    { t: Date.parse('2026-01-01T12:00:00Z'), risk: 0.2 },
    { t: Date.parse('2026-01-01T12:01:00Z'), risk: 0.5 },
  ]);
  expect(cleanSeries(undefined)).toEqual([]);
});

describe('riskPath', () => {
  it('is empty without points', () => {
    expect(riskPath([], 100, 20)).toBe('');
  });
  it('a single point is a flat line across', () => {
    expect(riskPath([{ t: 0, risk: 0.5 }], 100, 20)).toBe('M0 10H100');
  });
  it('maps time to x and risk to y (0 at the bottom)', () => {
    expect(
      riskPath(
        [
          { t: 0, risk: 0 },
          { t: 10, risk: 1 },
          { t: 20, risk: 0.5 },
        ],
        100,
        20,
      ),
    ).toBe('M0 20L50 0L100 10');
  });
  it('uses a given time domain', () => {
    expect(
      riskPath(
        [
          { t: 10, risk: 0 },
          { t: 20, risk: 0 },
        ],
        100,
        20,
        [0, 20],
      ),
    ).toBe('M50 20L100 20');
  });
});

it.each([
  [[], 'unknown'],
  [[{ risk: 0.1 }], 'unknown'],
  [[{ risk: 0.1 }, { risk: 0.9 }], 'rising'],
  [[{ risk: 0.9 }, { risk: 0.1 }], 'falling'],
  [[{ risk: 0.5 }, { risk: 0.53 }], 'steady'],
])('trendOf(%j) = %s', (s, t) => {
  expect(trendOf(s)).toBe(t);
});

describe('timeTicks', () => {
  it('picks a nice step', () => {
    const t0 = Date.parse('2026-01-01T12:00:30Z');
    const ticks = timeTicks(t0, t0 + 30 * 60_000, 5);
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual([
      '12:10',
      '12:20',
      '12:30',
    ]);
  });
  it.each([
    [0, 0],
    [10, 0],
    [Number.NaN, 10],
  ])('no ticks for an empty or invalid range (%p, %p)', (a, b) => {
    expect(timeTicks(a, b)).toEqual([]);
  });
});
