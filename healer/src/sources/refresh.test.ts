import { describe, expect, it } from '@jest/globals';
import { pickContextRefreshes, type ContextColumnState } from './refresh.js';

const MIN = 60_000;
const T = 1_000 * MIN;
/** A column of a 5-minute group that evaluated at T, read at `cachedAt`. */
const slow = (cachedAt?: number): ContextColumnState => ({
  ...(cachedAt === undefined ? {} : { cachedAt }),
  groupAt: T,
  intervalMs: 5 * MIN,
});

describe('pickContextRefreshes', () => {
  it.each<[string, ContextColumnState[], number, number[]]>([
    ['no columns', [], 3, []],
    ['all up to date: nothing to read', [slow(T), slow(T)], 3, []],
    ['never read: read whatever the budget', [slow(), slow(), slow()], 1, [0, 1, 2]],
    ['NaN cached time counts as never read', [slow(Number.NaN)], 0, [0]],
    ['one evaluation behind: within the budget', [slow(T - 5 * MIN), slow(T - 5 * MIN)], 1, [0]],
    [
      'oldest values first, ties in index order',
      [slow(T - 4 * MIN), slow(T - 5 * MIN), slow(T - 5 * MIN), slow(T)],
      2,
      [1, 2],
    ],
    [
      'two evaluations behind: read over the budget',
      [slow(T - 5 * MIN), slow(T - 10 * MIN), slow(T - 10 * MIN)],
      1,
      [1, 2],
    ],
    [
      'the jitter of an evaluation time is still one evaluation behind',
      [slow(T - 5 * MIN - 2_000)],
      0,
      [],
    ],
    [
      'forced reads use up the budget before the due ones',
      [slow(), slow(T - 5 * MIN), slow(T - 5 * MIN)],
      2,
      [0, 1],
    ],
    [
      'unknown interval (the global group): read when it evaluated',
      [{ cachedAt: T - 1, groupAt: T, intervalMs: 0 }],
      0,
      [0],
    ],
    [
      'Infinity: every column whose group evaluated since (no spread)',
      [slow(T - 5 * MIN), slow(T), slow(T - 1)],
      Infinity,
      [0, 2],
    ],
    ['a cache newer than the group (a group restarted): kept', [slow(T + MIN)], 3, []],
  ])('%s', (_, columns, budget, expected) => {
    expect([...pickContextRefreshes(columns, budget)].sort((a, b) => a - b)).toEqual(expected);
  });

  it('a budget spreads a whole evaluation over the cycles, each column read once', () => {
    // 52 columns of the 5-minute groups evaluated at T, read at T - 5 min, 24 per cycle
    const cached: (number | undefined)[] = Array.from({ length: 52 }, () => T - 5 * MIN);
    const perCycle: number[] = [];
    for (let cycle = 0; cycle < 4; cycle++) {
      const read = pickContextRefreshes(
        cached.map((c) => slow(c)),
        24,
      );
      perCycle.push(read.size);
      for (const i of read) cached[i] = T;
    }
    expect(perCycle).toEqual([24, 24, 4, 0]);
  });
});
