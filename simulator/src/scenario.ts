import { DEPLOYMENTS } from './cluster/cluster.js';
import type { Deployment } from './cluster/types.js';
import type { FaultKind } from './faults/types.js';
import type { Simulation } from './simulator.js';

/**
 * Simulated time from start to the first demo fault: `npm start` brings the healer up a few
 * seconds after the simulator, so the fault lands on its first cycles.
 */
export const FIRST_FAULT_AFTER_MS = 10_000;

/**
 * The demo's fault rotation: every kind, the "needs attention" one last. A crash loop first: the
 * healer sees it in a couple of 5 s cycles and a restart cures it for good, so a newcomer sees the
 * loop heal within a minute of `npm start`. The memory leak (the forecast: a restart before the OOM
 * kill) needs about 70 s from the fault to the heal, and grows back after it: it comes fourth.
 */
export const DEMO_ROTATION: FaultKind[] = [
  'crash_loop',
  'bad_release',
  'traffic_spike',
  'memory_leak',
  'poisoned_cache',
  'error_burst',
  'cpu_saturation',
  'latency_regression',
  'node_loss',
  'incurable',
];

/** The n-th scheduled demo fault: a different kind each time, on a rotating watched deployment. */
export function demoStep(
  n: number,
  deployments: { namespace: string; name: string }[],
): { namespace: string; deployment: string; kind: FaultKind } | undefined {
  if (deployments.length === 0) return undefined;
  const d = deployments[n % deployments.length]!;
  return {
    namespace: d.namespace,
    deployment: d.name,
    kind: DEMO_ROTATION[n % DEMO_ROTATION.length]!,
  };
}

/**
 * `SCENARIO=demo`: injects the next fault every `intervalMs` of simulated time on watched
 * (`aiops.io/autoheal=enabled`) deployments; each lasts at most `2 × interval` unless cured first.
 */
export class DemoScenario {
  private n = 0;
  private next: number;

  constructor(
    private readonly sim: Simulation,
    private readonly intervalMs = 180_000,
    private readonly log: (line: string) => void = () => {},
  ) {
    // The first fault comes early so a newcomer sees a heal within a minute of `npm start`.
    this.next = sim.clock.now() + Math.min(FIRST_FAULT_AFTER_MS, intervalMs);
  }

  poll(): void {
    const now = this.sim.clock.now();
    if (now < this.next) return;
    this.next = now + this.intervalMs;
    const watched = this.sim.cluster
      .list(DEPLOYMENTS, undefined, { labelSelector: 'aiops.io/autoheal=enabled' })
      .map((o) => ({ namespace: o.metadata.namespace!, name: (o as Deployment).metadata.name }));
    const step = demoStep(this.n++, watched);
    if (!step) return;
    try {
      const f = this.sim.faults.inject({
        ...step,
        params: { durationSec: (2 * this.intervalMs) / 1000 },
      });
      this.sim.reconcile();
      this.log(
        `demo: injected ${f.kind} (${f.id}) into ${f.namespace}/${f.deployment}; cure: ${f.cureNote}`,
      );
    } catch (err) {
      this.log(
        `demo: could not inject ${step.kind} into ${step.namespace}/${step.deployment}: ${(err as Error).message}`,
      );
    }
  }
}
