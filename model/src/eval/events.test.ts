import { describe, expect, it } from '@jest/globals';
import { median, scoreEvents } from './events.js';

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
});
