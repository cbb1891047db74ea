import { describe, expect, it } from '@jest/globals';
import { datasetDigest, generateRuns, runsToDataset } from './dataset.js';
import { HEALTHY_SCENARIOS, SCENARIOS } from './scenarios.js';
import { RECORD_MINUTES, STEP_SECONDS } from './simulate.js';
import { FEATURES, LABEL_HORIZON_MINUTES, type FeatureName } from '../schema.js';
import { DERIVED_INPUTS, N_INPUTS } from '../features/derive.js';

describe('training data generator', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const opts = {
      variant: 'train' as const,
      runsPerScenario: 1,
      scenarios: ['cpu_hog', 'healthy_idle'] as const,
    };
    const a = runsToDataset(generateRuns({ seed: 5, ...opts }));
    const b = runsToDataset(generateRuns({ seed: 5, ...opts }));
    const c = runsToDataset(generateRuns({ seed: 6, ...opts }));
    expect(datasetDigest(a)).toBe(datasetDigest(b));
    expect(datasetDigest(a)).not.toBe(datasetDigest(c));
  });

  it('produces every scenario with in-range feature values and baselines from an hour of history', () => {
    const runs = generateRuns({ seed: 3, variant: 'heldout', runsPerScenario: 1 });
    expect(new Set(runs.map((r) => r.scenario))).toEqual(new Set(SCENARIOS));
    let withBaseline = 0;
    for (const run of runs) {
      expect(run.samples).toHaveLength((RECORD_MINUTES * 60) / STEP_SECONDS);
      for (const s of run.samples) {
        for (const f of FEATURES) {
          const v = (s.row as Record<string, unknown>)[f.name] as number | undefined;
          if (v === undefined) {
            // No request in the window; the simulated cluster has no mesh (no callers' latency).
            expect(['http_p95_latency_seconds', 'http_caller_p95_latency_seconds']).toContain(
              f.name,
            );
            continue;
          }
          expect(Number.isFinite(v) && v >= f.min && v <= f.max).toBe(true);
        }
        if (s.row.baseline?.cpu_usage_pct?.p50 !== undefined) withBaseline++;
      }
    }
    expect(withBaseline / runs.reduce((a, r) => a + r.samples.length, 0)).toBeGreaterThan(0.6);
  });

  it('labels a sample positive iff its run SLO is breached within the horizon', () => {
    const runs = generateRuns({ seed: 11, variant: 'train', runsPerScenario: 1 });
    const horizon = (LABEL_HORIZON_MINUTES * 60) / STEP_SECONDS;
    for (const run of runs) {
      run.samples.forEach((s, i) => {
        const ahead = run.samples.slice(i, i + horizon + 1);
        if (ahead.length === horizon + 1) expect(s.label).toBe(ahead.some((x) => x.breach) ? 1 : 0);
        if (s.breach) expect(s.label).toBe(1);
      });
    }
  });

  it('healthy scenarios rarely breach, and a memory leak is labelled before its breach', () => {
    const runs = generateRuns({ seed: 2, variant: 'train', runsPerScenario: 3 });
    const healthy = runs.filter((r) => HEALTHY_SCENARIOS.includes(r.scenario));
    const breached = healthy.filter((r) => r.firstBreachMinute !== null).length;
    expect(breached / healthy.length).toBeLessThan(0.2);
    let leaks = 0;
    for (const r of runs.filter((x) => x.scenario === 'memory_leak')) {
      const onset = r.faultMinute!;
      const breach = r.samples.find((s) => s.breach && s.minute >= onset);
      if (!breach) continue;
      leaks++;
      // A one-pod deployment can breach before the leak (an unremarkable restart leaves it with
      // no ready pod); the leak's own breach is announced by the label 5 minutes ahead.
      const firstLabel = r.samples.find((s) => s.label === 1 && s.minute >= onset)!;
      expect(firstLabel.minute).toBeLessThan(breach.minute);
    }
    expect(leaks).toBeGreaterThan(0);
  });

  it('healthy runs stay within their own objectives, also at their normal peaks', () => {
    // The objectives sit above what the service does at its normal peaks (a busy service's p95
    // triples as it queues at its daily peak): a healthy run in breach would count its alerts as
    // false alarms. Only unremarkable restarts of a pod or two can still leave too few ready.
    const runs = generateRuns({ seed: 2, variant: 'train', runsPerScenario: 3 });
    const samples = runs
      .filter((r) => HEALTHY_SCENARIOS.includes(r.scenario))
      .flatMap((r) => r.samples);
    const breaching = samples.filter((s) => s.breach);
    expect(breaching.length / samples.length).toBeLessThan(0.01);
  });

  it('judges an error or latency objective only over ≥ 20 requests in 5 minutes', () => {
    // A failure among a handful of calls to an idle service is no breach (the SLO layer's rule),
    // and no measurement could show it: errors and latency of a quiet window say nothing.
    const runs = generateRuns({ seed: 2, variant: 'train', runsPerScenario: 3 });
    let quiet = 0;
    for (const r of runs.filter(
      (x) => x.scenario === 'error_burst' || x.scenario === 'latency_regression',
    )) {
      r.samples.forEach((s, i) => {
        const window = r.samples.slice(Math.max(0, i - 9), i + 1);
        const requests = window.reduce((a, x) => a + (x.row.http_requests_per_s ?? 0) * 30, 0);
        if (requests >= 5 || s.row.ready_replica_ratio < 0.5) return;
        quiet++;
        expect(s.breach).toBe(false);
      });
    }
    expect(quiet).toBeGreaterThan(50);
  });

  it('an OOM kill is a breach whatever the traffic (the export labels OOMKilled restarts so)', () => {
    const runs = generateRuns({ seed: 2, variant: 'train', runsPerScenario: 6 });
    let kills = 0;
    for (const r of runs.filter((x) => x.scenario === 'memory_leak')) {
      r.samples.forEach((s, i) => {
        const before = r.samples[i - 1];
        // An OOM kill: the working set falls from near its limit to a fresh pod's, with a restart.
        const killed =
          before !== undefined &&
          (before.row.memory_limit_ratio ?? 0) > 0.9 &&
          (s.row.memory_limit_ratio ?? 1) < (before.row.memory_limit_ratio ?? 0) - 0.2 &&
          s.row.restart_count_last_5m > before.row.restart_count_last_5m;
        if (!killed) return;
        expect(s.breach).toBe(true);
        kills++;
      });
    }
    expect(kills).toBeGreaterThan(5);
  });

  it('a pod in CrashLoopBackOff is a breach, also while its siblings serve every request (the export labels it so)', () => {
    const runs = generateRuns({ seed: 2, variant: 'train', runsPerScenario: 6 });
    let servedWell = 0;
    for (const r of runs.filter((x) => x.scenario === 'crash_loop')) {
      const onset = r.faultMinute as number;
      for (const s of r.samples) {
        // From the first crash on, the crashing pods wait out their back-off until the run ends.
        if (s.minute < onset + 0.5) continue;
        expect(s.breach).toBe(true);
        if (s.row.ready_replica_ratio >= r.slo.minReadyRatio && s.row.http_5xx_error_rate === 0)
          servedWell++;
      }
    }
    // Rows no other part of the SLO would call a breach.
    expect(servedWell).toBeGreaterThan(20);
  });

  it('augments: rows without any baseline, and rows pushed past an absolute SLO limit labelled 1', () => {
    const runs = generateRuns({
      seed: 4,
      variant: 'train',
      runsPerScenario: 1,
      scenarios: ['healthy_idle'],
    });
    const none = runsToDataset(runs, {
      imputeFraction: 0,
      dropFeatureFraction: 0,
      noContextFraction: 1,
      breachAugmentFraction: 0,
    });
    const z = DERIVED_INPUTS.findIndex((d) => d.name === 'cpu_z');
    for (let r = 0; r < none.rows; r++) expect(none.x[r * N_INPUTS + z]).toBe(0);
    const pushed = runsToDataset(runs, {
      imputeFraction: 0,
      dropFeatureFraction: 0,
      noContextFraction: 0,
      breachAugmentFraction: 1,
    });
    expect(Array.from(pushed.y).every((y) => y === 1)).toBe(true);
    expect(pushed.group!.every((g) => g === pushed.group![0] || g >= 0)).toBe(true);
  });
});

void (null as unknown as FeatureName);
