import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ENTRY_RULE, alertSeries, checkEntryRule } from './entryRule.js';

const run = (risks: (number | null)[], cycles = 1): boolean[] =>
  alertSeries(risks, DEFAULT_ENTRY_RULE, cycles);

describe('the healer entry rule (high 0.8 for 3 cycles, low 0.5 for 3 cycles)', () => {
  it.each<[string, (number | null)[], boolean[]]>([
    ['enters on the third consecutive high cycle', [0.9, 0.9, 0.9], [false, false, true]],
    ['a dip breaks the streak', [0.9, 0.9, 0.7, 0.9, 0.9], [false, false, false, false, false]],
    ['exactly at high counts', [0.8, 0.8, 0.8], [false, false, true]],
    [
      'holds between low and high, leaves after three lows',
      [0.9, 0.9, 0.9, 0.6, 0.4, 0.4, 0.4],
      [false, false, true, true, true, true, false],
    ],
    [
      'an inconclusive cycle breaks the streak and holds the state',
      [0.9, 0.9, null, 0.9, 0.9],
      [false, false, false, false, false],
    ],
    [
      'inconclusive while at risk stays at risk',
      [0.9, 0.9, 0.9, null, 0.1, 0.1],
      [false, false, true, true, true, true],
    ],
    ['NaN is inconclusive', [0.9, 0.9, NaN, 0.9], [false, false, false, false]],
  ])('%s', (_n, risks, want) => {
    expect(run(risks)).toEqual(want);
  });

  it('counts an observation for several cycles (1-minute data at a 30 s cadence)', () => {
    expect(run([0.9, 0.9], 2)).toEqual([false, true]);
    expect(run([0.9, 0.9, 0.9, 0.1, 0.1], 2)).toEqual([false, true, true, true, false]);
  });

  it.each([
    [{ ...DEFAULT_ENTRY_RULE, high: 1.2 }, /high must be in \[0, 1\]/],
    [{ ...DEFAULT_ENTRY_RULE, low: 0.9 }, /low \(0\.9\) must be ≤ high \(0\.8\)/],
    [{ ...DEFAULT_ENTRY_RULE, enterCycles: 0 }, /enterCycles must be an integer ≥ 1/],
  ])('refuses a bad rule %#', (rule, message) => {
    expect(() => checkEntryRule(rule)).toThrow(message);
  });
});
