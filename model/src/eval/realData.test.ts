import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Predictor } from '../predictor.js';
import { writeNezhaFixture } from '../nezha/fixture.js';
import { evaluateDay } from './realData.js';

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
    }
    expect(d.detectors.entry3Sigma.score.faults).toBe(2);
    expect(d.detectors.sloDistance.score.faults).toBe(2);
    expect(typeof d.verdict.beatsEntry3Sigma).toBe('boolean');
    expect(d.detectors.model.operatingPoint).toMatch(/risk ≥ 0\.8 for 3 cycles of 30 s/);
  });
});
