import { describe, expect, it } from '@jest/globals';
import { leaveOneDayOut, utility } from './tuning.js';

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
});
