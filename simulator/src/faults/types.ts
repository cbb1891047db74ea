import type { Deployment } from '../cluster/types.js';

/** The fault kinds the simulator can inject. */
export const FAULT_KINDS = [
  'crash_loop',
  'memory_leak',
  'cpu_saturation',
  'error_burst',
  'latency_regression',
  'bad_release',
  'poisoned_cache',
  'traffic_spike',
  'node_loss',
  'incurable',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The healer's remediations, as the simulator recognises them through the API. */
export type Remediation = 'restart' | 'scale_up' | 'cache_clear' | 'rollback';

/**
 * Which pods a fault touches, which decides what cures it:
 * - `pods`: the pods that existed at injection; replacing them (a restart) cures it.
 * - `deployment`: every pod of the deployment, for as long as the fault is injected.
 * - `image`: pods running the fault's image; only a rollback to another image cures it.
 * - `cache`: every pod, until the shared cache is cleared through any pod.
 * - `node`: pods on one node that went NotReady; rescheduling elsewhere cures them.
 */
export type FaultScope = 'pods' | 'deployment' | 'image' | 'cache' | 'node';

/** What a fault does to one pod's signals at one moment. All fields optional, neutral when absent. */
export interface SignalEffect {
  /** Multiplies the deployment's incoming request rate. */
  loadMultiplier?: number;
  /** Multiplies CPU demand per request (a bad regex, a costlier code path). */
  cpuDemandMultiplier?: number;
  /** Extra CPU demand regardless of traffic, as a fraction of the container's CPU limit (a spinning thread). */
  cpuBurnFraction?: number;
  /** Extra working-set bytes on top of the workload's normal memory. */
  memoryExtraBytes?: number;
  /** Added fraction of requests answered with 5xx (0..1). */
  errorRateAdd?: number;
  /** Multiplies request latency. */
  latencyMultiplier?: number;
  /** Adds seconds to every request. */
  latencyAddSeconds?: number;
  /** The container exits shortly after starting (CrashLoopBackOff). */
  crash?: boolean;
  /** The pod cannot pass readiness (its node is gone). */
  notReady?: boolean;
}

/** What a fault model may look at: all plain numbers, so it runs anywhere (training data too). */
export interface FaultContext {
  /** Seconds since the fault was injected. */
  elapsedSec: number;
  /** Seconds since this pod's container (re)started. */
  containerAgeSec: number;
  /** Requests per second arriving at this pod before the fault's own load change. */
  podRps: number;
}

/** A fault model: pure, given params + time + load → effect on one pod's signals. */
export interface FaultModel<P extends Record<string, number> = Record<string, number>> {
  kind: FaultKind;
  scope: FaultScope;
  /** One line for people. */
  description: string;
  /** The remediations that cure it (empty: nothing does). */
  cures: Remediation[];
  /** How the cure works in the simulator, for the README and `GET /sim/faults`. */
  cureNote: string;
  defaults: P;
  effect(params: P, ctx: FaultContext): SignalEffect;
}

/**
 * How the fault engine changes the cluster (everything else it only reads): the simulator writes
 * its own store (`StoreFaultActuator`); the node agent on a real control plane patches the
 * apiserver and stops a lost node's heartbeats (`agent/apiFaultActuator.ts`).
 */
export interface FaultActuator {
  /** Rolls out `image` on the deployment's first container, recording `changeCause`. */
  release(deployment: Deployment, image: string, changeCause: string): void;
  /** Takes a node down (its kubelet stops reporting) or brings it back. */
  setNodeReady(node: string, ready: boolean): void;
}
