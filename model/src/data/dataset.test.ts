import { describe, expect, it } from '@jest/globals';
import { datasetDigest, generateRuns, runsToDataset } from './dataset.js';
import { SCENARIOS } from './scenarios.js';
import { RECORD_MINUTES, STEP_SECONDS } from './simulate.js';
import { FEATURES, LABEL_HORIZON_MINUTES } from '../schema.js';

describe('training data generator', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = runsToDataset(generateRuns({ seed: 5, variant: 'train', runsPerScenario: 2 }));
    const b = runsToDataset(generateRuns({ seed: 5, variant: 'train', runsPerScenario: 2 }));
    const c = runsToDataset(generateRuns({ seed: 6, variant: 'train', runsPerScenario: 2 }));
    expect(datasetDigest(a)).toBe(datasetDigest(b));
    expect(datasetDigest(a)).not.toBe(datasetDigest(c));
  });

  it('produces every scenario with in-range feature values', () => {
    const runs = generateRuns({ seed: 3, variant: 'heldout', runsPerScenario: 3 });
    expect(new Set(runs.map((r) => r.scenario))).toEqual(new Set(SCENARIOS));
    for (const run of runs) {
      expect(run.samples).toHaveLength((RECORD_MINUTES * 60) / STEP_SECONDS);
      const bad = run.samples.flatMap((s) =>
        s.features.flatMap((v, i) => {
          const f = FEATURES[i]!;
          return Number.isFinite(v) && v >= f.min && v <= f.max ? [] : [`${f.name}=${v}`];
        }),
      );
      expect(bad).toEqual([]);
    }
  });

  it('labels a sample positive iff the SLO is breached within the horizon', () => {
    const runs = generateRuns({ seed: 11, variant: 'train', runsPerScenario: 2 });
    const horizon = (LABEL_HORIZON_MINUTES * 60) / STEP_SECONDS;
    for (const run of runs) {
      run.samples.forEach((s, i) => {
        const ahead = run.samples.slice(i, i + horizon + 1);
        // The last samples' horizon extends past the recording, into simulated look-ahead.
        if (ahead.length === horizon + 1) expect(s.label).toBe(ahead.some((x) => x.breach) ? 1 : 0);
        if (s.breach) expect(s.label).toBe(1);
      });
    }
  });

  it('never breaches in healthy idle runs, and learns precursors: faults with a ramp are labelled before they breach', () => {
    const runs = generateRuns({ seed: 2, variant: 'train', runsPerScenario: 4 });
    for (const r of runs.filter((x) => x.scenario === 'healthy_idle'))
      expect(r.firstBreachMinute).toBeNull();
    const leak = runs.filter((r) => r.scenario === 'memory_leak' && r.firstBreachMinute !== null);
    expect(leak.length).toBeGreaterThan(0);
    for (const r of leak) {
      const firstLabel = r.samples.find((s) => s.label === 1 && s.forecastable)!;
      expect(firstLabel.minute).toBeGreaterThanOrEqual(r.faultMinute!);
      expect(firstLabel.minute).toBeLessThan(r.firstBreachMinute!);
    }
  });

  it('imputes optional features with their defaults in the requested share of rows', () => {
    const runs = generateRuns({ seed: 4, variant: 'train', runsPerScenario: 1 });
    const d = runsToDataset(runs, 1);
    const n = FEATURES.length;
    FEATURES.forEach((f, i) => {
      if (!f.required) for (let r = 0; r < d.rows; r++) expect(d.x[r * n + i]).toBe(f.default);
    });
  });
});
