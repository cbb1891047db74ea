import { describe, expect, it, jest } from '@jest/globals';
import { ManualClock } from './clock.js';
import { DEMO_ROTATION, demoStep } from './scenario.js';
import { startSimulator } from './index.js';

// Virtual hours and real kubectl processes: more than jest's 5 s default per test.
jest.setTimeout(60_000);

describe('demo scenario', () => {
  it('demoStep rotates kinds and deployments; nothing to do without deployments', () => {
    const deps = [
      { namespace: 'a', name: 'x' },
      { namespace: 'b', name: 'y' },
    ];
    const steps = Array.from({ length: DEMO_ROTATION.length }, (_, n) => demoStep(n, deps)!);
    expect(new Set(steps.map((s) => s.kind)).size).toBe(DEMO_ROTATION.length);
    expect(new Set(steps.map((s) => s.deployment)).size).toBe(2);
    expect(demoStep(0, [])).toBeUndefined();
  });

  it('injects the first fault after ten seconds, then one per interval, on watched deployments only', async () => {
    const lines: string[] = [];
    const sim = await startSimulator({
      clock: new ManualClock(),
      seed: 1,
      scenario: 'demo',
      scenarioIntervalMs: 120_000,
      log: (l) => lines.push(l),
    });
    try {
      sim.tick(9_000);
      expect(sim.faults.list()).toHaveLength(0);
      sim.tick(1_000);
      expect(sim.faults.list()).toHaveLength(1);
      sim.tick(120_000);
      const faults = sim.faults.list();
      expect(faults.map((f) => f.kind)).toEqual(DEMO_ROTATION.slice(0, 2));
      expect(faults.every((f) => `${f.namespace}/${f.deployment}` !== 'dev/batch-report')).toBe(
        true,
      );
      expect(faults.every((f) => f.params.durationSec === 240)).toBe(true);
      expect(lines[0]).toMatch(/^demo: injected crash_loop \(f1\) into \w+\/[\w-]+; cure: /);
    } finally {
      await sim.stop();
    }
  });
});
