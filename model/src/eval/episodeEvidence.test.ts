import { describe, expect, it } from '@jest/globals';
import { FEATURE_NAMES, type FeatureName } from '../schema.js';
import { describeEvidence, episodeEvidence, type EpisodeEvidence } from './episodeEvidence.js';

const P95: FeatureName = 'http_p95_latency_seconds';
const N = FEATURE_NAMES.length;

/** A table of [t, deployment, p95] rows, every other feature missing. */
function table(rows: [number, string, number][]) {
  const names = [...new Set(rows.map((r) => r[1]))];
  const values = new Float64Array(rows.length * N).fill(NaN);
  rows.forEach(([, , v], r) => (values[r * N + FEATURE_NAMES.indexOf(P95)] = v));
  return {
    t: Float64Array.from(rows.map((r) => r[0])),
    seriesOf: Int32Array.from(rows.map((r) => names.indexOf(r[1]))),
    series: names.map((deployment) => ({ namespace: 'ns', deployment })),
    values,
    rows: rows.length,
  };
}

const day = table([
  [0, 'ad', 0.04], // before the fault-free stretch: not its normal
  [60, 'ad', 0.05],
  [120, 'ad', 0.03],
  [180, 'ad', 2.2], // the episode
  [240, 'ad', 2.4],
  [300, 'ad', NaN], // missing: skipped
  [360, 'ad', 0.04],
  [120, 'cart', 9], // another deployment: never mixed in
  [200, 'cart', 9],
]);

describe('the evidence behind a false-alarm episode', () => {
  it.each<
    [
      string,
      Parameters<typeof episodeEvidence>[1],
      { from: number; to: number },
      EpisodeEvidence | undefined,
    ]
  >([
    [
      "the extreme during the episode against the median of the deployment's other fault-free rows",
      { deployment: 'ad', start: 180, end: 300, feature: P95 },
      { from: 60, to: 400 },
      { feature: P95, peak: 2.4, typical: 0.04, typicalRows: 3 },
    ],
    [
      'a drop is the extreme when it is further from normal',
      { deployment: 'ad', start: 60, end: 120, feature: P95 },
      { from: 60, to: 400 },
      { feature: P95, peak: 0.03, typical: 2.2, typicalRows: 3 },
    ],
    [
      'no row of the feature in the episode: nothing to show',
      { deployment: 'ad', start: 300, end: 300, feature: P95 },
      { from: 60, to: 400 },
      undefined,
    ],
    [
      'no other fault-free row: nothing to compare with',
      { deployment: 'cart', start: 100, end: 200, feature: P95 },
      { from: 60, to: 400 },
      undefined,
    ],
    [
      'a feature the file does not carry',
      { deployment: 'ad', start: 180, end: 300, feature: 'cpu_usage_pct' },
      { from: 60, to: 400 },
      undefined,
    ],
  ])('%s', (_, episode, faultFree, expected) => {
    expect(episodeEvidence(day, episode, faultFree)).toEqual(expected);
  });

  it.each<[EpisodeEvidence, string]>([
    [
      { feature: P95, peak: 2.3722, typical: 0.04, typicalRows: 950 },
      'http_p95_latency_seconds 2.37 against 0.04 typical over 950 fault-free rows (59.3×)',
    ],
    [
      { feature: P95, peak: 0.01, typical: 0.5, typicalRows: 9 },
      'http_p95_latency_seconds 0.01 against 0.5 typical over 9 fault-free rows (1/50)',
    ],
    [
      { feature: 'cpu_usage_pct', peak: 80, typical: 0, typicalRows: 9 },
      'cpu_usage_pct 80 against 0 typical over 9 fault-free rows',
    ],
  ])('reads %j as a sentence', (e, text) => {
    expect(describeEvidence(e)).toBe(text);
  });
});
