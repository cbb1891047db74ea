import { describe, expect, it } from '@jest/globals';
import { chanceDetections, median, scoreEvents } from './events.js';

const faults = [
  { t: 1000, deployment: 'a', type: 'cpu' },
  { t: 2000, deployment: 'b', type: 'cpu' },
  { t: 3000, deployment: 'c', type: 'delay' },
];

describe('event-level scoring', () => {
  it('counts a fault detected by an alert within [t, t + window], with its lag; the culprit when the alert is its own', () => {
    const s = scoreEvents({
      faults,
      alerts: [
        { t: 990, deployment: 'a' }, // before the injection: not this fault's
        { t: 1060, deployment: 'x' },
        { t: 1120, deployment: 'a' },
        { t: 2241, deployment: 'b' }, // after the window
        { t: 3240, deployment: 'c' }, // exactly at the end of the window
      ],
      faultFree: { from: 5000, to: 8600 },
      windowSeconds: 240,
      perDeployment: true,
    });
    expect(s.detected).toBe(2);
    expect(s.culpritDetected).toBe(2);
    expect(s.lagsSeconds).toEqual([60, 240]);
    expect(s.medianLagSeconds).toBe(150);
    expect(s.byType).toEqual({ cpu: [1, 2], delay: [1, 1] });
    expect(s.perFault.map((p) => p.detected)).toEqual([true, false, true]);
  });

  it('counts distinct alerting minutes in the fault-free period, per hour', () => {
    const s = scoreEvents({
      faults: [],
      alerts: [{ t: 5000 }, { t: 5010 }, { t: 5070 }, { t: 9000 }, { t: 4000 }],
      faultFree: { from: 4980, to: 4980 + 7200 },
      windowSeconds: 240,
      perDeployment: false,
    });
    expect(s.falseAlarmMinutes).toBe(3);
    expect(s.faultFreeHours).toBe(2);
    expect(s.falseAlarmMinutesPerHour).toBe(1.5);
    expect(s.culpritDetected).toBeNull();
  });

  it('median of nothing is null', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
  });

  it.each<[string, number, number, number, number]>([
    // 5 one-minute rows in [t, t + 240 s]
    ['no false alarms: nothing by chance', 10, 0, 240, 0],
    ['alarming every minute: every fault', 10, 60, 240, 10],
    ['more than every minute is capped', 10, 90, 240, 10],
    ['half the minutes: 1 − 0.5⁵ of them', 32, 30, 240, 31],
    ['1 minute per hour over 5 minutes', 60, 1, 240, 60 * (1 - (59 / 60) ** 5)],
    ['a zero window is one row', 10, 30, 0, 5],
    ['no false-alarm rate (no fault-free hours)', 10, NaN, 240, NaN],
    ['no faults', 0, 30, 240, 0],
  ])('chance detections: %s', (_name, faults, fa, window, expected) => {
    const got = chanceDetections(faults, fa, window);
    if (Number.isNaN(expected)) expect(got).toBeNaN();
    else expect(got).toBeCloseTo(expected, 9);
  });

  it('reports the chance detections at its own false-alarm rate', () => {
    const s = scoreEvents({
      faults,
      alerts: [{ t: 5000 }, { t: 5070 }],
      faultFree: { from: 4980, to: 4980 + 3600 },
      windowSeconds: 240,
      perDeployment: false,
    });
    expect(s.chanceDetected).toBeCloseTo(3 * (1 - (58 / 60) ** 5), 9);
  });
});
