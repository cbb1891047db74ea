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
      'earliest deadline first: the 1-minute column before the 5-minute one',
      [slow(T - 5 * MIN), { cachedAt: T - MIN, groupAt: T, intervalMs: MIN }],
      1,
      [1],
    ],
    [
      'same deadline: oldest values first, ties in index order',
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
    [
      'an SLO window before the baselines, whatever their deadline or age',
      [
        { cachedAt: T - MIN, groupAt: T, intervalMs: MIN },
        slow(T - 5 * MIN),
        { ...slow(T - 4 * MIN), first: true },
      ],
      1,
      [2],
    ],
  ])('%s', (_, columns, budget, expected) => {
    expect([...pickContextRefreshes(columns, budget)].sort((a, b) => a - b)).toEqual(expected);
  });

  /** A 5-minute column this process has not read yet (the cold start). */
  const cold = (first?: boolean): ContextColumnState => ({
    groupAt: T,
    intervalMs: 5 * MIN,
    warming: true,
    ...(first ? { first } : {}),
  });
  it.each<[string, ContextColumnState[], number, number, number[]]>([
    ['no columns', [], 3, 2, []],
    ['warming: at most the warm-up budget, in index order', [cold(), cold(), cold()], 9, 2, [0, 1]],
    ['warm-up budget 0: none yet', [cold(), cold()], 9, 0, []],
    ['Infinity: every warming column at once (no warm-up)', [cold(), cold()], 1, Infinity, [0, 1]],
    ['an SLO window (first) is read cold whatever the budget', [cold(), cold(true)], 9, 0, [1]],
    [
      'a column read before and lost (failed read, changed scope) is read at once, not warmed',
      [slow(), cold(), cold()],
      0,
      1,
      [0, 1],
    ],
    [
      'warm-up reads do not use up the refresh budget, nor it theirs',
      [cold(), cold(), slow(T - 5 * MIN), slow(T - 5 * MIN)],
      1,
      1,
      [0, 2],
    ],
    ['NaN cached time while warming: warming', [{ ...cold(), cachedAt: Number.NaN }], 9, 0, []],
    ['warming is ignored once cached', [{ ...slow(T), warming: true }], 0, 0, []],
  ])('warm-up: %s', (_, columns, budget, warmup, expected) => {
    expect([...pickContextRefreshes(columns, budget, warmup)].sort((a, b) => a - b)).toEqual(
      expected,
    );
  });

  it('warm-up ends after ⌈65 / budget⌉ cycles whatever else is due, the SLO windows on the first', () => {
    // 65 baseline columns and 10 SLO windows, none read; every group evaluated at T
    const cols: ContextColumnState[] = [
      ...Array.from({ length: 65 }, () => cold()),
      ...Array.from({ length: 10 }, () => cold(true)),
    ];
    const perCycle: number[] = [];
    for (let cycle = 0; cycle < 6; cycle++) {
      const read = pickContextRefreshes(cols, 20, 20);
      perCycle.push(read.size);
      for (const i of read) cols[i] = { ...cols[i]!, cachedAt: T };
    }
    expect(perCycle).toEqual([30, 20, 20, 5, 0, 0]);
    expect(cols.every((c) => c.cachedAt === T)).toBe(true);
  });

  it('16 a cycle keep up with the groups (21 columns every minute, 52 every 5) every 30 s, no burst', () => {
    // cycles every 30 s for 10 minutes; the 1-minute groups evaluate on the minute, the 5-minute
    // ones every 5 minutes, all at 0: each column read once cold
    const fast = Array.from({ length: 21 }, () => ({ intervalMs: MIN, cachedAt: 0 }));
    const slower = Array.from({ length: 52 }, () => ({ intervalMs: 5 * MIN, cachedAt: 0 }));
    const cols = [...fast, ...slower];
    const perCycle: number[] = [];
    let behind = 0;
    for (let t = 30_000; t <= 10 * MIN; t += 30_000) {
      const state = cols.map((c) => ({
        cachedAt: c.cachedAt,
        groupAt: Math.floor(t / c.intervalMs) * c.intervalMs,
        intervalMs: c.intervalMs,
      }));
      const read = pickContextRefreshes(state, 16);
      perCycle.push(read.size);
      for (const i of read) cols[i]!.cachedAt = state[i]!.groupAt;
      // no column ever more than one evaluation behind after the cycle
      state.forEach((s, i) => {
        if (cols[i]!.cachedAt < s.groupAt - s.intervalMs) behind++;
      });
    }
    expect(Math.max(...perCycle)).toBeLessThanOrEqual(16);
    expect(behind).toBe(0);
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
