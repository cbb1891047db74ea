import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Predictor } from '../predictor.js';
import { writeNezhaFixture } from '../nezha/fixture.js';
import {
  evaluateDay,
  faultFreeStretch,
  NoFaultFreeStretchError,
  type FaultFreeStretch,
} from './realData.js';

let root: string;
let predictor: Predictor;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'nezha-eval-'));
  await writeNezhaFixture(root, {
    name: 'shop_2024-01-01',
    minutes: 200,
    faults: [
      { minute: 80, pod: 'cart-5c4d3b2a1-fghij', type: 'cpu_contention' },
      { minute: 95, pod: 'frontend-6d8f9c7b5-abcde', type: 'exception' },
    ],
  });
  predictor = await Predictor.load({ engine: 'cpu' });
});
afterAll(async () => {
  predictor.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('real-data evaluation of one day', () => {
  it('replays the day and scores the model beside both baselines, with a verdict', async () => {
    const d = await evaluateDay(predictor, path.join(root, 'shop_2024-01-01'));
    expect(d.faults).toBe(2);
    expect(d.deployments).toBe(3);
    expect(d.faultFree.hours).toBeGreaterThan(1.5);
    const m = d.detectors.model.score;
    expect(m.detected).toBe(2); // a CPU pinned at its limit, errors at the entry
    expect(m.culpritDetected).toBeGreaterThanOrEqual(1);
    // The model layer raises nothing in the fault-free hour and a half.
    expect(d.detectors.modelLayerOnly.score.falseAlarmMinutes).toBe(0);
    expect(m.falseAlarmMinutes).toBeLessThanOrEqual(5); // the SLO layer's 5-minute tail at most
    // Every false-alarm minute is listed with its episode: deployment, layer, signal.
    expect(d.falseAlarmEpisodes.length > 0).toBe(m.falseAlarmMinutes > 0);
    for (const e of d.falseAlarmEpisodes) {
      expect(e.end * 1000).toBeGreaterThanOrEqual(Date.parse(d.faultFree.from) - 1000);
      expect(['model', 'slo', 'own_normal']).toContain(e.layer);
      // What the data showed, when the signal has values in and outside the episode.
      if (e.evidence) expect(e.evidence.feature).toBe(e.topFeatures[0]);
    }
    expect(d.detectors.entry3Sigma.score.faults).toBe(2);
    expect(d.detectors.sloDistance.score.faults).toBe(2);
    expect(typeof d.verdict.beatsEntry3Sigma).toBe('boolean');
    expect(d.detectors.model.operatingPoint).toMatch(/risk ≥ 0\.8 for 3 cycles of 30 s/);
  });

  it('counts false alarms before the first injection when the data ends within the hour after the last', async () => {
    await writeNezhaFixture(root, {
      name: 'late_2024-01-02',
      minutes: 140,
      faults: [
        { minute: 110, pod: 'cart-5c4d3b2a1-fghij', type: 'cpu_contention' },
        { minute: 125, pod: 'frontend-6d8f9c7b5-abcde', type: 'exception' },
      ],
    });
    const d = await evaluateDay(predictor, path.join(root, 'late_2024-01-02'));
    expect(d.faultFree.basis).toBe('before');
    expect(d.faultFree.hours).toBeCloseTo(110 / 60, 1);
    const fa = d.detectors.model.score.falseAlarmMinutesPerHour;
    expect(Number.isFinite(fa)).toBe(true);
    expect(d.detectors.entry3Sigma.operatingPoint).toMatch(/p90 μ 0\.\d+ s/); // fitted, not NaN
    for (const e of d.falseAlarmEpisodes)
      expect(e.start * 1000).toBeLessThanOrEqual(Date.parse(d.faultFree.to));
  });
});

describe('the fault-free stretch', () => {
  const H = 3600;
  it.each<[string, number[], { from: number; to: number }, Omit<FaultFreeStretch, never>]>([
    [
      'the hours after the last injection',
      [H, 2 * H],
      { from: 0, to: 5 * H },
      { from: 2 * H + 600, to: 5 * H, basis: 'after' },
    ],
    [
      'an hour after, even with longer data before',
      [3 * H, 4 * H],
      { from: 0, to: 5 * H + 600 },
      { from: 4 * H + 600, to: 5 * H + 600, basis: 'after' },
    ],
    [
      'before the first when less than an hour is left after',
      [2 * H, 3 * H],
      { from: 0, to: 3 * H + 1800 },
      { from: 0, to: 2 * H, basis: 'before' },
    ],
    [
      'after, when neither is an hour but after is longer',
      [0.4 * H, H],
      { from: 0, to: 1.9 * H },
      { from: H + 600, to: 1.9 * H, basis: 'after' },
    ],
  ])('%s', (_n, faults, data, want) => {
    expect(faultFreeStretch(faults, data)).toEqual(want);
  });

  it('refuses a day with no half hour free of faults, saying how much there was', () => {
    expect(() => faultFreeStretch([600, 3000], { from: 0, to: 3900 })).toThrow(
      NoFaultFreeStretchError,
    );
    expect(() => faultFreeStretch([600, 3000], { from: 0, to: 3900 })).toThrow(
      'no fault-free stretch of 30 min: the data ends 15 min after the last listed injection and starts 10 min before the first, so false alarms cannot be counted',
    );
  });
});
