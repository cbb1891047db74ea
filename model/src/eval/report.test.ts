import { describe, expect, it } from '@jest/globals';
import { episodeSignals, realDataVerdict, tuningSection } from './report.js';
import { leaveOneDayOut, type DayScore } from './tuning.js';

describe('report', () => {
  const summary = { days: 3, beatsBothLiteral: 0, beatsBothAtBudget: 2 };

  it.each([
    ['a record without the per-baseline counts', summary, /on 0 of 3 days, and detects/, false],
    [
      'per-baseline counts',
      { ...summary, beatsEntry3Sigma: 2, beatsSloDistance: 0, baselineDetectsAll: [] },
      /\(the 3σ detector on 2, the SLO-distance rule on 0\)/,
      false,
    ],
    [
      'a day where a baseline detects every fault',
      { ...summary, beatsEntry3Sigma: 2, beatsSloDistance: 0, baselineDetectsAll: ['tt_30'] },
      /On tt_30 a baseline detects every fault .* cannot be met on that day/,
      true,
    ],
  ])('real-data verdict: %s', (_name, s, text, ceiling) => {
    const line = realDataVerdict(s);
    expect(line).toMatch(text);
    expect(line.includes('cannot be met')).toBe(ceiling);
  });

  it.each<[string, Parameters<typeof episodeSignals>[0], string]>([
    ['no signal', { topFeatures: [] }, '–'],
    [
      'the top signal read against its normal, the others named',
      {
        topFeatures: ['http_p95_latency_seconds', 'cpu_usage_pct'],
        evidence: { feature: 'http_p95_latency_seconds', peak: 2.4, typical: 0.04, typicalRows: 9 },
      },
      'http_p95_latency_seconds 2.4 against 0.04 typical over 9 fault-free rows (60×), cpu_usage_pct',
    ],
    ['no evidence: the names alone', { topFeatures: ['cpu_usage_pct'] }, 'cpu_usage_pct'],
  ])('false-alarm episode signals: %s', (_name, e, text) => {
    expect(episodeSignals(e)).toBe(text);
  });

  it('tuning: the held-out tables of both objectives, with the baselines beaten', () => {
    const vs = (day: string, detected: number, fa: number): DayScore => ({
      day,
      detected,
      faults: 10,
      falseAlarmMinutesPerHour: fa,
      baselines: [{ name: '3σ', detected: 5, falseAlarmMinutesPerHour: 0.5 }],
    });
    const scores = {
      a: ['d1', 'd2', 'd3'].map((d) => vs(d, 9, 0.6)),
      b: ['d1', 'd2', 'd3'].map((d) => vs(d, 6, 0.4)),
    };
    const bar = leaveOneDayOut(scores, 'bar');
    const byUtility = leaveOneDayOut(scores, 'utility');
    const md = tuningSection({
      method: 'test',
      variants: { a: {}, b: {} },
      scores,
      ...bar,
      byUtility: { heldOut: byUtility.heldOut, chosen: byUtility.chosen },
    }).join('\n');
    expect(md).toContain('Chosen: `b`');
    expect(md).toContain('| d1 | b | 6/10, 0.40 FA min/h; beats 1 of 2 baselines |');
    expect(md).toContain('Chosen by the utility alone instead');
    expect(md).toContain('| d1 | a | 9/10, 0.60 FA min/h; beats 0 of 2 baselines |');
  });

  it('tuning: a record from before the bar objective renders without the new columns', () => {
    const md = tuningSection({
      method: 'old',
      variants: { a: {} },
      scores: { a: [{ day: 'd1', detected: 1, faults: 2, falseAlarmMinutesPerHour: 0 }] },
      heldOut: [
        {
          day: 'd1',
          picked: 'a',
          detected: 1,
          faults: 2,
          falseAlarmMinutesPerHour: 0,
          utility: 0.5,
        },
      ],
      chosen: 'a',
      meanUtility: { a: 0.5 },
    }).join('\n');
    expect(md).toContain('| d1 | a | 1/2, 0.00 FA min/h |');
    expect(md).not.toContain('utility alone');
  });
});
