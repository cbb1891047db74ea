/**
 * Where the policy's memory lives between cycles: the heal state on the deployment itself
 * (`aiops.io/heal-state`, so a restarted or newly elected healer resumes) and, in this process,
 * the streak counters (and, for dry-run deployments, the whole ladder state: dry-run writes
 * nothing to the cluster).
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeError, type KubeClients } from '../actions/kube.js';
import {
  memoryFrom,
  patchDeploymentVersioned,
  persistedChanged,
  readPersisted,
  stateAnnotations,
  toPersisted,
  type PersistedHealState,
} from '../actions/state.js';
import type { HealerMetrics } from '../metrics.js';
import { INITIAL_MEMORY, type HealMemory } from '../policy/types.js';
import type { Sleep } from '../retry.js';

/** The memory one cycle starts from. */
export interface LoadedMemory {
  memory: HealMemory;
  /** The heal state as read from the deployment (undefined for dry-run). */
  persisted: PersistedHealState | undefined;
  /** Why the heal-state annotation was ignored, when it was unreadable. */
  problem?: string;
}

/** What the cycle ends with, to be remembered. */
export interface MemoryWrite {
  key: string;
  namespace: string;
  name: string;
  dryRun: boolean;
  next: HealMemory;
  persistedBefore: PersistedHealState | undefined;
  hpa: PersistedHealState['hpa'];
  /** The action already wrote the heal state in its own patch. */
  stateWritten: boolean;
}

export interface MemoryStoreDeps {
  kube: KubeClients;
  metrics: HealerMetrics;
  logger: Logger;
  sleep?: Sleep;
}

export class HealMemoryStore {
  /** Streak counters for every deployment; the full memory for dry-run deployments. */
  private readonly local = new Map<string, HealMemory>();

  constructor(private readonly deps: MemoryStoreDeps) {}

  load(key: string, dep: V1Deployment, dryRun: boolean): LoadedMemory {
    const read = readPersisted(dep);
    const local = this.local.get(key);
    return {
      memory: dryRun ? { ...INITIAL_MEMORY, ...local } : memoryFrom(read.state, local),
      persisted: dryRun ? undefined : read.state,
      ...(read.problem ? { problem: read.problem } : {}),
    };
  }

  /** This replica's memory: streaks always; the whole ladder state only for dry-run. */
  rememberLocally(w: Pick<MemoryWrite, 'key' | 'dryRun' | 'next'>): void {
    const next = w.next;
    if (w.dryRun) {
      this.local.set(w.key, next);
      return;
    }
    this.local.set(w.key, {
      ...INITIAL_MEMORY,
      highStreak: next.highStreak,
      lowStreak: next.lowStreak,
      lastRisk: next.lastRisk,
      lastAssessedAt: next.lastAssessedAt,
      inconclusiveSince: next.inconclusiveSince,
      inconclusiveNotified: next.inconclusiveNotified,
    });
  }

  /**
   * Keeps the streak counters in memory and the heal state on the deployment (dry-run: all in
   * memory). A failed state write is reported, and the next cycle decides from what is stored.
   */
  async remember(w: MemoryWrite): Promise<void> {
    this.rememberLocally(w);
    if (w.dryRun) return;
    const after = toPersisted(w.next, w.hpa);
    if (w.stateWritten || !persistedChanged(w.persistedBefore, after)) return;
    await patchDeploymentVersioned(
      this.deps.kube,
      w.namespace,
      w.name,
      () => ({ metadata: { annotations: stateAnnotations(after) } }),
      { sleep: this.deps.sleep },
    ).catch((err: unknown) => {
      this.deps.metrics.reportFailures.inc({ channel: 'heal_state' });
      this.deps.logger.warn(
        { namespace: w.namespace, deployment: w.name, err: describeError(err) },
        'writing heal state failed',
      );
    });
  }

  /**
   * Clears a deployment's heal state on the deployment and in memory; returns the HPA record it
   * held (to restore).
   */
  async reset(key: string, namespace: string, name: string): Promise<PersistedHealState['hpa']> {
    this.local.delete(key);
    let hpa: PersistedHealState['hpa'];
    await patchDeploymentVersioned(this.deps.kube, namespace, name, (dep) => {
      hpa = readPersisted(dep).state?.hpa;
      return { metadata: { annotations: stateAnnotations(toPersisted(INITIAL_MEMORY)) } };
    });
    return hpa;
  }

  /** Drops the memory of deployments no longer watched. */
  retain(keys: ReadonlySet<string> | ReadonlyMap<string, unknown>): void {
    for (const key of [...this.local.keys()]) if (!keys.has(key)) this.local.delete(key);
  }
}
