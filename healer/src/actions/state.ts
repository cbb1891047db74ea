/**
 * The heal state persisted on the heal target itself (Deployment or Rollout) (`aiops.io/heal-state` JSON and
 * `aiops.io/heal-attempt`), written with the read resourceVersion so that two writers never
 * overwrite each other (409 → re-read and retry), and a restarted healer resumes where it was.
 */
import type { HealAction } from '../api/types.js';
import type { WorkloadClient, WorkloadObject } from '../kinds/types.js';
import { LostLeadershipError } from '../leader/errors.js';
import { MAX_BAD_RELEASES } from '../policy/decide.js';
import { HEAL_ACTIONS, INITIAL_MEMORY, type HealMemory, type HealPhase } from '../policy/types.js';
import { ANNOTATIONS } from '../policy/rules.js';
import { withRetry, type Sleep } from '../retry.js';
import { ActionError, describeError, isConflict, isTransient } from './kube.js';

/** The part of {@link HealMemory} that survives a restart (streak counters are per process). */
export interface PersistedHealState {
  phase: HealPhase;
  step: number;
  attempt: number;
  episodeStartedAt?: string;
  stepStartedAt?: string;
  riskBefore?: number;
  stepJudged?: boolean;
  /** The rung's action failed and is to be retried at `retryAt`. */
  pendingAction?: boolean;
  actionErrors?: number;
  retryAt?: string;
  lastError?: string;
  rolloutDoneAt?: string;
  judgeHigh?: number;
  judgeLow?: number;
  /** Release fingerprint the episode is bound to. */
  release?: string;
  /** Releases rolled back from: never rolled back to. Kept across episodes. */
  badReleases?: string[];
  curedBy?: HealAction;
  curedStep?: number;
  recoveringSince?: string;
  lastRisk?: number;
  /** An HPA whose minReplicas the healer raised: restored on recovery. */
  hpa?: { name: string; originalMinReplicas: number };
  /** Replicas before and after the healer's scale-ups this episode: returned on recovery. */
  scaled?: { from: number; to: number };
  /** `leaseTransitions` of the leader that wrote it: an older leader's write is refused. */
  term?: number;
}

/** What the heal state records beside the policy memory (what the actions changed, who wrote). */
export interface StateExtras {
  hpa?: PersistedHealState['hpa'];
  scaled?: PersistedHealState['scaled'];
  term?: number;
}

const PHASES: readonly HealPhase[] = ['healthy', 'stabilising', 'recovering', 'needs_attention'];
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();
const ms = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
};

export function toPersisted(m: HealMemory, extras: StateExtras = {}): PersistedHealState {
  const p: PersistedHealState = { phase: m.phase, step: m.step, attempt: m.attempt };
  if (m.episodeStartedAt !== undefined) p.episodeStartedAt = iso(m.episodeStartedAt);
  if (m.stepStartedAt !== undefined) p.stepStartedAt = iso(m.stepStartedAt);
  if (m.riskBefore !== undefined) p.riskBefore = m.riskBefore;
  if (m.stepJudged) p.stepJudged = true;
  if (m.pendingAction) p.pendingAction = true;
  if (m.actionErrors) p.actionErrors = m.actionErrors;
  if (m.retryAt !== undefined) p.retryAt = iso(m.retryAt);
  if (m.lastError) p.lastError = m.lastError;
  if (m.rolloutDoneAt !== undefined) p.rolloutDoneAt = iso(m.rolloutDoneAt);
  if (m.judgeHigh) p.judgeHigh = m.judgeHigh;
  if (m.judgeLow) p.judgeLow = m.judgeLow;
  if (m.release) p.release = m.release;
  if (m.badReleases?.length) p.badReleases = [...m.badReleases];
  if (m.curedBy) p.curedBy = m.curedBy;
  if (m.curedStep) p.curedStep = m.curedStep;
  if (m.recoveringSince !== undefined) p.recoveringSince = iso(m.recoveringSince);
  if (m.lastRisk !== undefined) p.lastRisk = m.lastRisk;
  if (extras.hpa) p.hpa = extras.hpa;
  if (extras.scaled) p.scaled = extras.scaled;
  if (extras.term !== undefined) p.term = extras.term;
  return p;
}

export interface ReadState {
  state: PersistedHealState | undefined;
  /** Why the annotation was ignored, when it was unreadable. */
  problem?: string;
}

const int = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const str = (v: unknown): v is string => typeof v === 'string';

/** Reads the annotation; a missing or broken one means "nothing in progress" (and says so). */
export function readPersisted(dep: WorkloadObject): ReadState {
  const raw = dep.metadata?.annotations?.[ANNOTATIONS.healState];
  if (raw === undefined || raw === '') return { state: undefined };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { state: undefined, problem: `${ANNOTATIONS.healState} is not JSON; ignored` };
  }
  const o = v as Partial<Record<keyof PersistedHealState, unknown>> | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    !PHASES.includes(o.phase as HealPhase) ||
    !int(o.step) ||
    !int(o.attempt)
  ) {
    return {
      state: undefined,
      problem: `${ANNOTATIONS.healState} needs phase, step ≥ 0 and attempt ≥ 0; ignored`,
    };
  }
  const state: PersistedHealState = {
    phase: o.phase as HealPhase,
    step: o.step,
    attempt: o.attempt,
  };
  if (str(o.episodeStartedAt)) state.episodeStartedAt = o.episodeStartedAt;
  if (str(o.stepStartedAt)) state.stepStartedAt = o.stepStartedAt;
  if (typeof o.riskBefore === 'number') state.riskBefore = o.riskBefore;
  if (o.stepJudged === true) state.stepJudged = true;
  if (o.pendingAction === true) state.pendingAction = true;
  if (int(o.actionErrors) && o.actionErrors > 0) state.actionErrors = o.actionErrors;
  if (str(o.retryAt)) state.retryAt = o.retryAt;
  if (str(o.lastError)) state.lastError = o.lastError.slice(0, 300);
  if (str(o.rolloutDoneAt)) state.rolloutDoneAt = o.rolloutDoneAt;
  if (int(o.judgeHigh) && o.judgeHigh > 0) state.judgeHigh = o.judgeHigh;
  if (int(o.judgeLow) && o.judgeLow > 0) state.judgeLow = o.judgeLow;
  if (str(o.release)) state.release = o.release;
  if (Array.isArray(o.badReleases) && o.badReleases.every(str) && o.badReleases.length > 0)
    state.badReleases = o.badReleases.slice(-MAX_BAD_RELEASES);
  if ((HEAL_ACTIONS as readonly string[]).includes(o.curedBy as string))
    state.curedBy = o.curedBy as HealAction;
  if (int(o.curedStep) && o.curedStep > 0) state.curedStep = o.curedStep;
  if (str(o.recoveringSince)) state.recoveringSince = o.recoveringSince;
  if (typeof o.lastRisk === 'number') state.lastRisk = o.lastRisk;
  const hpa = o.hpa as { name?: unknown; originalMinReplicas?: unknown } | undefined;
  if (typeof hpa === 'object' && hpa !== null && str(hpa.name) && int(hpa.originalMinReplicas)) {
    state.hpa = { name: hpa.name, originalMinReplicas: hpa.originalMinReplicas };
  }
  const scaled = o.scaled as { from?: unknown; to?: unknown } | undefined;
  if (typeof scaled === 'object' && scaled !== null && int(scaled.from) && int(scaled.to)) {
    state.scaled = { from: scaled.from, to: scaled.to };
  }
  if (int(o.term)) state.term = o.term;
  return { state };
}

/** The fields of the memory kept only by this process (streaks, inconclusive streak). */
const LOCAL_FIELDS = [
  'highStreak',
  'lowStreak',
  'lastSampleAt',
  'lastRisk',
  'lastAssessedAt',
  'inconclusiveSince',
  'inconclusiveNotified',
] as const;

/** The policy memory: persisted fields from the annotation, streak counters from this process. */
export function memoryFrom(
  persisted: PersistedHealState | undefined,
  local: HealMemory | undefined,
): HealMemory {
  const base: HealMemory = { ...INITIAL_MEMORY };
  for (const k of LOCAL_FIELDS) {
    const v = local?.[k];
    if (v !== undefined) (base as unknown as Record<string, unknown>)[k] = v;
  }
  // Nothing persisted: either healthy, or reset by someone (annotation removed) — trust that.
  if (!persisted) return base;
  const m: HealMemory = {
    ...base,
    phase: persisted.phase,
    step: persisted.step,
    attempt: persisted.attempt,
    episodeStartedAt: ms(persisted.episodeStartedAt),
    stepStartedAt: ms(persisted.stepStartedAt),
    riskBefore: persisted.riskBefore,
    stepJudged: persisted.stepJudged,
    pendingAction: persisted.pendingAction,
    actionErrors: persisted.actionErrors,
    retryAt: ms(persisted.retryAt),
    lastError: persisted.lastError,
    rolloutDoneAt: ms(persisted.rolloutDoneAt),
    judgeHigh: persisted.judgeHigh,
    judgeLow: persisted.judgeLow,
    release: persisted.release,
    badReleases: persisted.badReleases,
    curedBy: persisted.curedBy,
    curedStep: persisted.curedStep,
    recoveringSince: ms(persisted.recoveringSince),
    lastRisk: base.lastRisk ?? persisted.lastRisk,
  };
  for (const k of Object.keys(m) as (keyof HealMemory)[]) if (m[k] === undefined) delete m[k];
  return m;
}

/** A heal state that records nothing (no annotation needed). */
function trivial(p: PersistedHealState | undefined): boolean {
  return (
    !p ||
    (p.phase === 'healthy' && p.attempt === 0 && !p.hpa && !p.scaled && !p.badReleases?.length)
  );
}

/**
 * The memory and extras record nothing (`toPersisted` would give a trivial state), decided
 * without building it: the common case of a healthy deployment, every cycle.
 */
export function recordsNothing(m: HealMemory, extras: StateExtras): boolean {
  return (
    m.phase === 'healthy' &&
    m.attempt === 0 &&
    !extras.hpa &&
    !extras.scaled &&
    !m.badReleases?.length
  );
}

/** No heal state stored (absent or recording nothing). */
export function storesNothing(p: PersistedHealState | undefined): boolean {
  return trivial(p);
}

/** Compares two heal states as stored, ignoring the last risk (not worth a write) and the term. */
function comparable(p: PersistedHealState | undefined): string {
  if (trivial(p)) return '';
  return JSON.stringify({ ...p, lastRisk: undefined, term: undefined });
}

/** True when the persisted fields differ (so an annotation write is needed). */
export function persistedChanged(
  a: PersistedHealState | undefined,
  b: PersistedHealState | undefined,
): boolean {
  return comparable(a) !== comparable(b);
}

/** The metadata part of a merge patch that writes the state (or clears it when it records nothing). */
export function stateAnnotations(p: PersistedHealState): Record<string, string | null> {
  if (trivial(p)) {
    return { [ANNOTATIONS.healState]: null, [ANNOTATIONS.healAttempt]: null };
  }
  return {
    [ANNOTATIONS.healState]: JSON.stringify(p),
    [ANNOTATIONS.healAttempt]: String(p.attempt),
  };
}

/**
 * The heal state on the deployment changed since the caller read it: another writer (a healer
 * that took the step, a newer leader, a reset) got there first. Nothing was written.
 */
export class HealStateConflictError extends Error {
  override readonly name = 'HealStateConflictError';
  constructor(
    readonly target: string,
    message: string,
  ) {
    super(`heal state of ${target} ${message}; not overwritten`);
  }
}

/**
 * Fencing for a write: the heal state the writer last read (`expected`, `null` for none), the
 * writer's leadership term, and a check run right before the request (throws when leadership
 * was lost).
 */
export interface WriteFence {
  expected?: PersistedHealState | null;
  term?: number;
  beforeWrite?: () => void;
}

/** Throws {@link HealStateConflictError} unless `current` is what the fence expects. */
export function checkFence(
  target: string,
  current: PersistedHealState | undefined,
  f: WriteFence,
): void {
  if (f.term !== undefined && current?.term !== undefined && current.term > f.term) {
    throw new HealStateConflictError(
      target,
      `was written by a newer leader (term ${current.term} > our term ${f.term})`,
    );
  }
  if (f.expected === undefined) return;
  if (persistedChanged(f.expected ?? undefined, current)) {
    throw new HealStateConflictError(
      target,
      `changed since it was read (attempt ${f.expected?.attempt ?? 0}, phase ${f.expected?.phase ?? 'healthy'} → attempt ${current?.attempt ?? 0}, phase ${current?.phase ?? 'healthy'})`,
    );
  }
}

export interface VersionedPatchOptions {
  /** Conflict retries (each re-reads the deployment). */
  conflictRetries?: number;
  /** Checked on every fresh read, before building the patch. */
  fence?: WriteFence;
  /** Retries for 5xx/timeouts. */
  retries?: number;
  sleep?: Sleep;
}

/**
 * Read-modify-write of a heal target with optimistic concurrency: `build` gets the freshly read
 * object and returns the merge patch (its `metadata.resourceVersion` is set here), or `undefined`
 * to stop (e.g. another healer already took this step). A 409 re-reads and rebuilds.
 */
export async function patchVersioned(
  target: Pick<WorkloadClient, 'read' | 'patch'>,
  namespace: string,
  name: string,
  build: (
    obj: WorkloadObject,
  ) => Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined,
  opts: VersionedPatchOptions = {},
): Promise<WorkloadObject | undefined> {
  const conflictRetries = opts.conflictRetries ?? 5;
  const retry = {
    retries: opts.retries ?? 3,
    retryable: isTransient,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  };
  for (let i = 0; ; i++) {
    const obj = await withRetry(() => target.read(namespace, name), retry);
    // The state written is built from the object just read, never from an older one.
    if (opts.fence) checkFence(`${namespace}/${name}`, readPersisted(obj).state, opts.fence);
    const patch = await build(obj);
    if (patch === undefined) return undefined;
    const meta = (patch.metadata ?? {}) as Record<string, unknown>;
    const body = {
      ...patch,
      metadata: { ...meta, resourceVersion: obj.metadata?.resourceVersion },
    };
    try {
      return await withRetry(() => {
        opts.fence?.beforeWrite?.();
        return target.patch(namespace, name, body);
      }, retry);
    } catch (err) {
      if (err instanceof LostLeadershipError) throw err;
      if (isConflict(err) && i < conflictRetries) continue;
      throw new ActionError('patch', `${namespace}/${name}`, describeError(err), { cause: err });
    }
  }
}
