import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { ScaledClock, startSimulator, type RunningSimulator } from '@aiops/simulator';
import { repoPath } from '../src/paths.js';

/** Runs deploy/drills/drill.sh against the simulator with the real kubectl (async: the simulator
 * runs in this process and must keep answering). */
function drill(
  sim: RunningSimulator,
  ns: string,
  deployment: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [repoPath('deploy/drills/drill.sh'), ns, deployment], {
      env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The drill waits on real (scaled) time; give it more than jest's default. */
const DRILL_TEST_TIMEOUT_MS = 120_000;

describe('DR drill (deploy/drills/drill.sh) against the simulator', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    // 10 simulated seconds per real second: pods start and become ready quickly.
    sim = await startSimulator({ clock: new ScaledClock(10), tickMs: 100 });
  });

  afterAll(async () => {
    await sim.stop();
  });

  it(
    'pod kill: the deployment gets back to all replicas and never drops below n-1',
    async () => {
      const r = await drill(sim, 'prod', 'checkout', {
        DRILL_SKIP_DRAIN: 'true',
        DRILL_TIMEOUT_SECONDS: '60',
      });
      expect(r.output).toMatch(/pod-kill: recovered in \d+s \(desired 3, fewest available [23]\)/);
      expect(r.code).toBe(0);
    },
    DRILL_TEST_TIMEOUT_MS,
  );

  it(
    'fails, naming the step, when the deployment cannot become available',
    async () => {
      sim.faults.inject({ namespace: 'dev', deployment: 'api', kind: 'crash_loop' });
      const r = await drill(sim, 'dev', 'api', {
        DRILL_SKIP_DRAIN: 'true',
        DRILL_TIMEOUT_SECONDS: '3',
      });
      expect(r.output).toMatch(/(baseline|pod-kill): NOT recovered after 3s/);
      expect(r.code).not.toBe(0);
    },
    DRILL_TEST_TIMEOUT_MS,
  );

  it(
    'fails with kubectl’s message for a deployment that does not exist',
    async () => {
      const r = await drill(sim, 'prod', 'no-such-deployment', { DRILL_TIMEOUT_SECONDS: '3' });
      expect(r.output).toMatch(/not found/);
      expect(r.code).not.toBe(0);
    },
    DRILL_TEST_TIMEOUT_MS,
  );
});
