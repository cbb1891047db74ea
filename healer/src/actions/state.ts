/**
 * The heal state persisted on the deployment itself (`aiops.io/heal-state` JSON and
 * `aiops.io/heal-attempt`), written with the read resourceVersion so that two writers never
 * overwrite each other (409 → re-read and retry), and a restarted healer resumes where it was.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { HealAction } from '../api/types.js';
import { HEAL_ACTIONS, INITIAL_MEMORY, type HealMemory, type HealPhase } from '../policy/types.js';
import { ANNOTATIONS } from '../policy/rules.js';
import { withRetry, type Sleep } from '../retry.js';
import {
  ActionError,
  describeError,
  isConflict,
  isTransient,
  MERGE_PATCH,
  type KubeClients,
} from './kube.js';

/** The part of {@link HealMemory} that survives a restart (streak counters are per process). */
export interface PersistedHealState {
  phase: HealPhase;
  step: number;
  attempt: number;
  episodeStartedAt?: string;
  stepStartedAt?: string;
  riskBefore?: number;
  stepFailed?: boolean;
  stepJudged?: boolean;
  curedBy?: HealAction;
  lastRisk?: number;
  /** An HPA whose minReplicas the healer raised: restored on recovery. */
  hpa?: { name: string; originalMinReplicas: number };
}

const PHASES: readonly HealPhase[] = ['healthy', 'stabilising', 'recovering', 'needs_attention'];
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();
const ms = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
};

export function toPersisted(m: HealMemory, hpa?: PersistedHealState['hpa']): PersistedHealState {
  const p: PersistedHealState = { phase: m.phase, step: m.step, attempt: m.attempt };
  if (m.episodeStartedAt !== undefined) p.episodeStartedAt = iso(m.episodeStartedAt);
  if (m.stepStartedAt !== undefined) p.stepStartedAt = iso(m.stepStartedAt);
  if (m.riskBefore !== undefined) p.riskBefore = m.riskBefore;
  if (m.stepFailed) p.stepFailed = true;
  if (m.stepJudged) p.stepJudged = true;
  if (m.curedBy) p.curedBy = m.curedBy;
  if (m.lastRisk !== undefined) p.lastRisk = m.lastRisk;
  if (hpa) p.hpa = hpa;
  return p;
}

export interface ReadState {
  state: PersistedHealState | undefined;
  /** Why the annotation was ignored, when it was unreadable. */
  problem?: string;
}

/** Reads the annotation; a missing or broken one means "nothing in progress" (and says so). */
export function readPersisted(dep: V1Deployment): ReadState {
  const raw = dep.metadata?.annotations?.[ANNOTATIONS.healState];
  if (raw === undefined || raw === '') return { state: undefined };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { state: undefined, problem: `${ANNOTATIONS.healState} is not JSON; ignored` };
  }
  const o = v as Partial<PersistedHealState> | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    !PHASES.includes(o.phase as HealPhase) ||
    !Number.isInteger(o.step) ||
    !Number.isInteger(o.attempt) ||
    (o.step as number) < 0 ||
    (o.attempt as number) < 0
  ) {
    return {
      state: undefined,
      problem: `${ANNOTATIONS.healState} needs phase, step ≥ 0 and attempt ≥ 0; ignored`,
    };
  }
  const state: PersistedHealState = { phase: o.phase!, step: o.step!, attempt: o.attempt! };
  if (typeof o.episodeStartedAt === 'string') state.episodeStartedAt = o.episodeStartedAt;
  if (typeof o.stepStartedAt === 'string') state.stepStartedAt = o.stepStartedAt;
  if (typeof o.riskBefore === 'number') state.riskBefore = o.riskBefore;
  if (o.stepFailed === true) state.stepFailed = true;
  if (o.stepJudged === true) state.stepJudged = true;
  if ((HEAL_ACTIONS as readonly string[]).includes(o.curedBy as string)) state.curedBy = o.curedBy;
  if (typeof o.lastRisk === 'number') state.lastRisk = o.lastRisk;
  if (
    typeof o.hpa === 'object' &&
    o.hpa !== null &&
    typeof o.hpa.name === 'string' &&
    Number.isInteger(o.hpa.originalMinReplicas)
  ) {
    state.hpa = { name: o.hpa.name, originalMinReplicas: o.hpa.originalMinReplicas };
  }
  return { state };
}

/** The policy memory: persisted fields from the annotation, streak counters from this process. */
export function memoryFrom(
  persisted: PersistedHealState | undefined,
  local: HealMemory | undefined,
): HealMemory {
  const base: HealMemory = { ...INITIAL_MEMORY, ...(local ?? {}) };
  if (!persisted) {
    // Nothing persisted: either healthy, or reset by someone (annotation removed) — trust that.
    return {
      ...base,
      phase: 'healthy',
      step: 0,
      attempt: 0,
      episodeStartedAt: undefined,
      stepStartedAt: undefined,
      riskBefore: undefined,
      stepFailed: undefined,
      stepJudged: undefined,
      curedBy: undefined,
    };
  }
  return {
    ...base,
    phase: persisted.phase,
    step: persisted.step,
    attempt: persisted.attempt,
    episodeStartedAt: ms(persisted.episodeStartedAt),
    stepStartedAt: ms(persisted.stepStartedAt),
    riskBefore: persisted.riskBefore,
    stepFailed: persisted.stepFailed,
    stepJudged: persisted.stepJudged,
    curedBy: persisted.curedBy,
    lastRisk: base.lastRisk ?? persisted.lastRisk,
  };
}

/** True when the persisted fields differ (so an annotation write is needed). */
export function persistedChanged(
  a: PersistedHealState | undefined,
  b: PersistedHealState,
): boolean {
  if (!a) return b.phase !== 'healthy' || b.attempt !== 0 || b.hpa !== undefined;
  const strip = (p: PersistedHealState): string => JSON.stringify({ ...p, lastRisk: undefined });
  return strip(a) !== strip(b);
}

/** The metadata part of a merge patch that writes the state (or clears it when healthy). */
export function stateAnnotations(p: PersistedHealState): Record<string, string | null> {
  if (p.phase === 'healthy' && p.attempt === 0 && !p.hpa) {
    return { [ANNOTATIONS.healState]: null, [ANNOTATIONS.healAttempt]: null };
  }
  return {
    [ANNOTATIONS.healState]: JSON.stringify(p),
    [ANNOTATIONS.healAttempt]: String(p.attempt),
  };
}

export interface VersionedPatchOptions {
  /** Conflict retries (each re-reads the deployment). */
  conflictRetries?: number;
  /** Retries for 5xx/timeouts. */
  retries?: number;
  sleep?: Sleep;
}

/**
 * Read-modify-write of a deployment with optimistic concurrency: `build` gets the freshly read
 * deployment and returns the merge patch (its `metadata.resourceVersion` is set here), or
 * `undefined` to stop (e.g. another healer already took this step). A 409 re-reads and rebuilds.
 */
export async function patchDeploymentVersioned(
  k: KubeClients,
  namespace: string,
  name: string,
  build: (
    dep: V1Deployment,
  ) => Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined,
  opts: VersionedPatchOptions = {},
): Promise<V1Deployment | undefined> {
  const conflictRetries = opts.conflictRetries ?? 5;
  const retry = {
    retries: opts.retries ?? 3,
    retryable: isTransient,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  };
  for (let i = 0; ; i++) {
    const dep = await withRetry(() => k.apps.readNamespacedDeployment({ name, namespace }), retry);
    const patch = await build(dep);
    if (patch === undefined) return undefined;
    const meta = (patch.metadata ?? {}) as Record<string, unknown>;
    const body = {
      ...patch,
      metadata: { ...meta, resourceVersion: dep.metadata?.resourceVersion },
    };
    try {
      return await withRetry(
        () => k.apps.patchNamespacedDeployment({ name, namespace, body }, MERGE_PATCH),
        retry,
      );
    } catch (err) {
      if (isConflict(err) && i < conflictRetries) continue;
      throw new ActionError('patch', `${namespace}/${name}`, describeError(err), { cause: err });
    }
  }
}
