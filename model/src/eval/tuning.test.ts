import { describe, expect, it } from '@jest/globals';
import { baselinesBeaten, leaveOneDayOut, utility, type DayScore } from './tuning.js';

const day = (day: string, detected: number, fa: number) => ({
  day,
  detected,
  faults: 10,
  falseAlarmMinutesPerHour: fa,
});

describe('leave-one-day-out', () => {
  it('scores each day with the variant chosen on the other days', () => {
    const r = leaveOneDayOut({
      a: [day('d1', 8, 1), day('d2', 8, 1), day('d3', 2, 0)],
      b: [day('d1', 6, 0), day('d2', 6, 0), day('d3', 9, 0)],
    });
    // Without d3, a wins (0.7 + 0.7 > 0.6 + 0.6); without d1 or d2, b wins.
    expect(r.heldOut.map((h) => [h.day, h.picked])).toEqual([
      ['d1', 'b'],
      ['d2', 'b'],
      ['d3', 'a'],
    ]);
    expect(r.chosen).toBe('b');
    expect(r.heldOut[2]!.utility).toBeCloseTo(0.2, 12);
    expect(utility(day('x', 5, 2))).toBeCloseTo(0.3, 12);
  });

  // One baseline that detects 5 at 0.5 false-alarm minutes per hour on every day.
  const vs = (s: DayScore): DayScore => ({
    ...s,
    baselines: [{ name: '3σ', detected: 5, falseAlarmMinutesPerHour: 0.5 }],
  });

  it.each([
    { when: 'more detected, fewer false alarms', detected: 6, fa: 0.4, against: true, beaten: 1 },
    { when: 'more detected, as many false alarms', detected: 6, fa: 0.5, against: true, beaten: 1 },
    { when: 'as many detected, none false', detected: 5, fa: 0, against: true, beaten: 0 },
    { when: 'more detected, more false alarms', detected: 9, fa: 0.6, against: true, beaten: 0 },
    { when: 'no baselines recorded', detected: 9, fa: 0, against: false, beaten: 0 },
  ])('$when: beats $beaten', ({ detected, fa, against, beaten }) => {
    const s = day('d', detected, fa);
    expect(baselinesBeaten(against ? vs(s) : s)).toBe(beaten);
  });

  it('the bar objective picks the variant that beats more baselines, where utility would not', () => {
    // a: 9 detected at 0.6 FA/h (utility 0.84, beats nothing); b: 6 at 0.4 (0.56, beats 3σ).
    const scores = {
      a: ['d1', 'd2', 'd3'].map((d) => vs(day(d, 9, 0.6))),
      b: ['d1', 'd2', 'd3'].map((d) => vs(day(d, 6, 0.4))),
    };
    expect(leaveOneDayOut(scores).chosen).toBe('a');
    const r = leaveOneDayOut(scores, 'bar');
    expect(r.objective).toBe('bar');
    expect(r.chosen).toBe('b');
    expect(r.heldOut.map((h) => [h.picked, h.baselinesBeaten])).toEqual([
      ['b', 1],
      ['b', 1],
      ['b', 1],
    ]);
  });

  it('the bar objective breaks ties by utility', () => {
    const scores = {
      a: ['d1', 'd2'].map((d) => vs(day(d, 6, 0.4))),
      b: ['d1', 'd2'].map((d) => vs(day(d, 7, 0.4))),
    };
    expect(leaveOneDayOut(scores, 'bar').chosen).toBe('b');
  });
});
