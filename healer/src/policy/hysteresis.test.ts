import { describe, expect, it } from '@jest/globals';
import {
  advanceStreaks,
  breakStreaks,
  entered,
  exited,
  spaced,
  type Streaks,
} from './hysteresis.js';

const RULE = { high: 0.8, low: 0.5, minSampleIntervalMs: 15_000 };
const T = 1_700_000_000_000;

describe('hysteresis', () => {
  it.each<[string, Streaks, number, number, Streaks]>([
    [
      'empty: first high sample counts',
      { highStreak: 0, lowStreak: 0 },
      0.9,
      T,
      { highStreak: 1, lowStreak: 0, lastSampleAt: T },
    ],
    [
      'empty: first low sample counts',
      { highStreak: 0, lowStreak: 0 },
      0.1,
      T,
      { highStreak: 0, lowStreak: 1, lastSampleAt: T },
    ],
    [
      'between low and high: both reset',
      { highStreak: 2, lowStreak: 0, lastSampleAt: T - 30_000 },
      0.6,
      T,
      { highStreak: 0, lowStreak: 0, lastSampleAt: T },
    ],
    [
      'boundary: risk == high is high',
      { highStreak: 1, lowStreak: 0, lastSampleAt: T - 30_000 },
      0.8,
      T,
      { highStreak: 2, lowStreak: 0, lastSampleAt: T },
    ],
    [
      'boundary: risk == low is not low',
      { highStreak: 0, lowStreak: 1, lastSampleAt: T - 30_000 },
      0.5,
      T,
      { highStreak: 0, lowStreak: 0, lastSampleAt: T },
    ],
    [
      'a sample 1 ms too early does not extend',
      { highStreak: 1, lowStreak: 0, lastSampleAt: T - 14_999 },
      0.9,
      T,
      { highStreak: 1, lowStreak: 0, lastSampleAt: T - 14_999 },
    ],
    [
      'boundary: exactly the interval extends',
      { highStreak: 1, lowStreak: 0, lastSampleAt: T - 15_000 },
      0.9,
      T,
      { highStreak: 2, lowStreak: 0, lastSampleAt: T },
    ],
    [
      'an early contradicting sample still breaks',
      { highStreak: 2, lowStreak: 0, lastSampleAt: T - 1 },
      0.1,
      T,
      { highStreak: 0, lowStreak: 0, lastSampleAt: T - 1 },
    ],
    [
      'a clock going backwards does not count',
      { highStreak: 1, lowStreak: 0, lastSampleAt: T + 60_000 },
      0.9,
      T,
      { highStreak: 1, lowStreak: 0, lastSampleAt: T + 60_000 },
    ],
  ])('%s', (_n, s, risk, at, want) => {
    expect(advanceStreaks(s, risk, RULE, at)).toEqual(want);
  });

  it('three calls within a second count as one cycle', () => {
    let s: Streaks = { highStreak: 0, lowStreak: 0 };
    for (const dt of [0, 300, 900]) s = advanceStreaks(s, 0.95, RULE, T + dt);
    expect(entered(s, 3)).toBe(false);
    expect(s.highStreak).toBe(1);
    for (const dt of [15_000, 30_000]) s = advanceStreaks(s, 0.95, RULE, T + dt);
    expect(entered(s, 3)).toBe(true);
  });

  it.each([
    [undefined, T, 15_000, true],
    [T - 15_000, T, 15_000, true],
    [T - 14_999, T, 15_000, false],
    [T, T, 0, true],
  ])('spaced(%s, %s, %s) = %s', (last, at, min, want) => {
    expect(spaced(last, at, min)).toBe(want);
  });

  it('inconclusive breaks both; entered/exited compare with N and M', () => {
    expect(breakStreaks()).toEqual({ highStreak: 0, lowStreak: 0 });
    expect(entered({ highStreak: 3, lowStreak: 0 }, 3)).toBe(true);
    expect(entered({ highStreak: 2, lowStreak: 0 }, 3)).toBe(false);
    expect(exited({ highStreak: 0, lowStreak: 2 }, 2)).toBe(true);
    expect(exited({ highStreak: 0, lowStreak: 1 }, 2)).toBe(false);
  });
});
