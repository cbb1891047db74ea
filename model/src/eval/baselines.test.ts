import { describe, expect, it } from '@jest/globals';
import { alertsAt, entrySigmaScores, matchBudget, sloDistance } from './baselines.js';
import { FEATURE_NAMES, type FeatureName } from '../schema.js';

const row = (values: Partial<Record<FeatureName, number>>): Float64Array =>
  Float64Array.from(FEATURE_NAMES, (n) => values[n] ?? NaN);

describe('rule baselines', () => {
  it.each<[string, Partial<Record<FeatureName, number>>, number]>([
    ['nothing known', {}, 0],
    ['5xx at the SLO', { http_5xx_error_rate: 0.05 }, 1],
    ['p95 over 1 s', { http_p95_latency_seconds: 2.5 }, 2.5],
    ['half the pods unready', { ready_replica_ratio: 0.5 }, 1],
    [
      'memory projected 5 minutes ahead',
      { memory_limit_ratio: 0.8, memory_growth_ratio_per_min: 0.05 },
      1.05,
    ],
    ['throttling', { cpu_throttle_ratio: 0.3 }, 0.5],
  ])('SLO distance: %s', (_n, v, want) => {
    expect(sloDistance(row(v))).toBeCloseTo(want, 12);
  });

  it('3σ on the entry service: harmful direction only; σ = 0 makes any harmful change infinite', () => {
    const fit = Array.from({ length: 10 }, (_, i) => ({
      t: i,
      successRate: 100,
      p90: i % 2 ? 0.4 : 0.6,
    }));
    const { scores, fit: f } = entrySigmaScores(
      [
        ...fit,
        { t: 20, successRate: 99, p90: 0.5 },
        { t: 21, successRate: 100, p90: 0.9 },
        { t: 22, successRate: 100, p90: 0.1 },
      ],
      { from: 0, to: 9 },
      true,
    );
    expect(f.p90.mean).toBeCloseTo(0.5, 12);
    expect(f.p90.std).toBeCloseTo(0.1, 12);
    expect(scores.at(-3)!.score).toBe(Infinity);
    expect(scores.at(-2)!.score).toBeCloseTo(4, 9);
    expect(scores.at(-1)!.score).toBe(0);
    expect(alertsAt(scores, 3).map((a) => a.t)).toEqual([20, 21]);
    // Without a usable success rate only the latency counts.
    expect(
      entrySigmaScores(
        [
          { t: 0, successRate: 0, p90: 0.5 },
          { t: 1, successRate: 0, p90: 0.5 },
        ],
        { from: 0, to: 1 },
        false,
      ).scores[0]!.score,
    ).toBe(0);
  });

  it('matches a false-alarm budget: the most sensitive threshold with no more alerting minutes', () => {
    const scores = [
      { t: 60, score: 5 },
      { t: 65, score: 9 }, // same minute
      { t: 120, score: 4 },
      { t: 180, score: 3 },
      { t: 240, score: 1 },
    ];
    const ff = { from: 0, to: 1000 };
    expect(alertsAt(scores, matchBudget(scores, ff, 1)).map((a) => a.t)).toEqual([60, 65]);
    expect(alertsAt(scores, matchBudget(scores, ff, 2)).map((a) => a.t)).toEqual([60, 65, 120]);
    expect(alertsAt(scores, matchBudget(scores, ff, 0))).toEqual([]);
  });
});
