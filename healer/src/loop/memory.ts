/**
 * Where the policy's memory lives between cycles: the heal state on the deployment itself
 * (`aiops.io/heal-state`, so a restarted or newly elected healer resumes) and, in this process,
 * the streak counters keyed by the deployment's UID (a deployment deleted and re-created under the
 * same name starts from zero). Dry-run deployments keep their whole ladder state here: dry-run
 * writes nothing to the cluster.
 */
import type { Logger } from 'pino';
import { describeError, isLostLeadership } from '../actions/kube.js';
import type { WorkloadClient, WorkloadObject } from '../kinds/types.js';
import {
  HealStateConflictError,
  memoryFrom,
  patchVersioned,
  persistedChanged,
  readPersisted,
  recordsNothing,
  stateAnnotations,
  storesNothing,
  toPersisted,
  type PersistedHealState,
  type StateExtras,
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
  /** The memory key (the target's UID). */
  key: string;
  /** The target's kind client: where the heal state is written. */
  target: Pick<WorkloadClient, 'read' | 'patch'>;
  namespace: string;
  name: string;
  dryRun: boolean;
  next: HealMemory;
  /** What is stored on the deployment now: read at the cycle's start, or written by the action. */
  stored: PersistedHealState | undefined;
  extras: StateExtras;
}

export interface MemoryStoreDeps {
  metrics: HealerMetrics;
  logger: Logger;
  sleep?: Sleep;
  /** Right before every write: throws when this replica lost the Lease. */
  beforeWrite?: () => void;
}

/** Fields only this process keeps (streaks): the rest is the heal state on the deployment. */
function localPart(m: HealMemory): HealMemory {
  // Assigned one by one, not spread: this runs for every deployment every cycle.
  const out: HealMemory = { ...INITIAL_MEMORY };
  out.highStreak = m.highStreak;
  out.lowStreak = m.lowStreak;
  if (m.lastSampleAt !== undefined) out.lastSampleAt = m.lastSampleAt;
  if (m.lastRisk !== undefined) out.lastRisk = m.lastRisk;
  if (m.lastAssessedAt !== undefined) out.lastAssessedAt = m.lastAssessedAt;
  if (m.inconclusiveSince !== undefined) out.inconclusiveSince = m.inconclusiveSince;
  if (m.inconclusiveNotified) out.inconclusiveNotified = true;
  return out;
}

export class HealMemoryStore {
  private readonly local = new Map<string, HealMemory>();

  constructor(private readonly deps: MemoryStoreDeps) {}

  load(key: string, dep: WorkloadObject, dryRun: boolean): LoadedMemory {
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
    this.local.set(w.key, w.dryRun ? w.next : localPart(w.next));
  }

  /**
   * Keeps the streak counters in memory and writes the heal state on the deployment when it
   * changed. The write is built from the object just read and fenced: if the stored heal state
   * is no longer what this cycle started from (another healer, a newer leader, a reset), nothing
   * is overwritten and the next cycle decides from what is stored.
   */
  async remember(w: MemoryWrite, term?: number): Promise<void> {
    this.rememberLocally(w);
    if (w.dryRun) return;
    // Nothing stored and nothing to store (a healthy deployment): no state to build or compare.
    if (storesNothing(w.stored) && recordsNothing(w.next, w.extras)) return;
    const after = toPersisted(w.next, { ...w.extras, ...(term !== undefined ? { term } : {}) });
    if (!persistedChanged(w.stored, after)) return;
    await patchVersioned(
      w.target,
      w.namespace,
      w.name,
      () => ({ metadata: { annotations: stateAnnotations(after) } }),
      {
        ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
        fence: {
          expected: w.stored ?? null,
          ...(term !== undefined ? { term } : {}),
          ...(this.deps.beforeWrite ? { beforeWrite: this.deps.beforeWrite } : {}),
        },
      },
    ).catch((err: unknown) => {
      if (isLostLeadership(err)) throw err;
      if (err instanceof HealStateConflictError) {
        this.deps.logger.info({ namespace: w.namespace, deployment: w.name }, err.message);
        return;
      }
      this.deps.metrics.reportFailures.inc({ channel: 'heal_state' });
      this.deps.logger.warn(
        { namespace: w.namespace, deployment: w.name, err: describeError(err) },
        'writing heal state failed',
      );
    });
  }

  /**
   * Clears a deployment's heal state on the deployment and in memory (a human's request);
   * returns what it recorded so the caller can give back an HPA minReplicas and replicas.
   */
  async reset(
    key: string,
    target: Pick<WorkloadClient, 'read' | 'patch'>,
    namespace: string,
    name: string,
  ): Promise<PersistedHealState | undefined> {
    this.local.delete(key);
    let before: PersistedHealState | undefined;
    await patchVersioned(
      target,
      namespace,
      name,
      (dep) => {
        before = readPersisted(dep).state;
        return { metadata: { annotations: stateAnnotations(toPersisted(INITIAL_MEMORY)) } };
      },
      { ...(this.deps.beforeWrite ? { fence: { beforeWrite: this.deps.beforeWrite } } : {}) },
    );
    return before;
  }

  /** Drops the memory of a deployment no longer watched. */
  forget(key: string): void {
    this.local.delete(key);
  }
}
