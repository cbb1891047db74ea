import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer } from './api/server.js';
import { guardStep } from './guardStep.js';
import { openWatches } from './api/watch.js';
import { ManualClock, ScaledClock, type Clock } from './clock.js';
import type { ActiveFault, FaultEngine, FaultRequest } from './faults/engine.js';
import { writeKubeconfig } from './kubeconfig.js';
import { collectMetrics } from './metrics/collect.js';
import { DemoScenario } from './scenario.js';
import { Simulation } from './simulator.js';
import { SAMPLE_WORKLOADS, type WorkloadSpec } from './workloads.js';

export { ManualClock, ScaledClock, type Clock } from './clock.js';
export { SAMPLE_WORKLOADS, defaultWorkload, type WorkloadSpec } from './workloads.js';
export { FAULT_MODELS, FAULT_KINDS, combineEffects } from './faults/index.js';
export type {
  FaultKind,
  FaultModel,
  SignalEffect,
  Remediation,
  FaultScope,
  FaultContext,
} from './faults/index.js';
export type { ActiveFault, FaultRequest } from './faults/engine.js';
export {
  podSignals,
  latencyCdf,
  diurnalFactor,
  LATENCY_BUCKETS,
  type PodSignals,
} from './metrics/podSignals.js';
export { Simulation } from './simulator.js';
export { kubeconfigYaml } from './kubeconfig.js';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  seed?: number;
  /** Default: wall clock. Pass a `ManualClock` and drive time with `tick(ms)`. */
  clock?: Clock;
  /** Default: `SAMPLE_WORKLOADS`. `[]` for an empty cluster. */
  workloads?: WorkloadSpec[];
  /** Where to write the kubeconfig; default a temp file removed on stop. */
  kubeconfigPath?: string;
  /** Real-time mode: how often (wall ms) to catch the simulation up with the clock. Default 250. */
  tickMs?: number;
  /** `demo` injects a rotating fault every `scenarioIntervalMs` of simulated time. Default `none`. */
  scenario?: 'demo' | 'none';
  scenarioIntervalMs?: number;
  /** Where scenario lines go (default: nowhere). */
  log?: (line: string) => void;
}

export interface RunningSimulator {
  /** `http://host:port`. */
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly sim: Simulation;
  readonly clock: Clock;
  readonly faults: Pick<FaultEngine, 'list' | 'remove' | 'clearCache'> & {
    inject(req: FaultRequest): ActiveFault;
  };
  /** Advances virtual time by `ms` (manual clock) and runs every step up to now. */
  tick(ms?: number): void;
  stop(): Promise<void>;
}

/** Starts the fake cluster: Kubernetes API subset, `/metrics`, `/sim/*`, and its kubeconfig. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const clock = opts.clock ?? new ScaledClock(1);
  const sim = new Simulation(clock, opts.seed ?? 1);
  for (const w of opts.workloads ?? SAMPLE_WORKLOADS) sim.addWorkload(w);
  sim.reconcile();
  const host = opts.host ?? '127.0.0.1';
  const ctx = { sim, serverAddress: '', metrics: () => collectMetrics(sim) };
  const server = createApiServer(ctx);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  ctx.serverAddress = `${host}:${port}`;
  const url = `http://${host}:${port}`;
  const tempDir = opts.kubeconfigPath ? undefined : await mkdtemp(join(tmpdir(), 'aiops-sim-'));
  const kubeconfigPath = opts.kubeconfigPath ?? join(tempDir!, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, url);
  const scenario =
    opts.scenario === 'demo' ? new DemoScenario(sim, opts.scenarioIntervalMs, opts.log) : undefined;
  const advance = (): void => {
    sim.advanceTo(clock.now());
    scenario?.poll();
  };
  // In real time a step runs from a timer: a bug there must be reported, not kill the cluster.
  const safeAdvance = guardStep(advance, 'simulator', opts.log ?? console.error);
  const manual = clock instanceof ManualClock;
  const timer = manual ? undefined : setInterval(safeAdvance, opts.tickMs ?? 250);
  timer?.unref();
  return {
    url,
    kubeconfigPath,
    sim,
    clock,
    faults: {
      list: () => sim.faults.list(),
      remove: (id) => sim.faults.remove(id),
      clearCache: (ns, pod) => sim.faults.clearCache(ns, pod),
      inject: (req) => {
        const f = sim.faults.inject(req);
        sim.reconcile();
        return f;
      },
    },
    tick(ms = 1_000) {
      if (clock instanceof ManualClock) clock.advance(ms);
      advance();
    },
    async stop() {
      if (timer) clearInterval(timer);
      for (const w of openWatches) w.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}
