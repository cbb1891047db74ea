/**
 * Types of the escalation policy: what it reads (an assessment, the rules, the remembered state)
 * and what it returns (a decision and the next state). Plain data only: the state is persisted in
 * a deployment annotation as JSON.
 */
import type { Contribution, FeatureName, RiskLevel } from '@aiops/model';
import type { HealAction } from '../api/types.js';

/** The ladder, in order. */
export const HEAL_ACTIONS = [
  'restart_scale',
  'cache_clear_restart',
  'rollback',
  'page',
] as const satisfies readonly HealAction[];

/**
 * What the cluster says about a deployment this cycle (from the list the loop already has: no
 * extra API call): its rollout progress, whether a human holds it, and its release.
 */
export interface WorkloadView {
  generation: number;
  observedGeneration: number;
  /** `spec.replicas`. */
  desired: number;
  updated: number;
  available: number;
  /** Every pod of every ReplicaSet (`status.replicas`): old pods still running count here. */
  total: number;
  /** `Progressing=False` with reason `ProgressDeadlineExceeded`. */
  deadlineExceeded: boolean;
  progressDeadlineSeconds: number;
  /** `spec.paused` (`kubectl rollout pause`); for a Rollout also its strategy's pause steps. */
  paused: boolean;
  /** Who paused it and how, for people (the gate's message); absent: `spec.paused=true`. */
  pausedBy?: string;
  /**
   * Why the rollout is not done although the counts are (a Rollout whose new release is not
   * promoted to stable yet, a restart still replacing pods); absent when nothing says so.
   */
  unfinished?: string;
  /** `metadata.deletionTimestamp` is set. */
  deleting: boolean;
  /** Fingerprint of the pod template without restarts (see `releaseOf`); absent when not computed. */
  release?: string;
  /** `deployment.kubernetes.io/revision` (`rollout.argoproj.io/revision` for a Rollout). */
  revision: number;
}

/** One cycle's verdict on one deployment. Inconclusive means "no usable data": never act on it. */
export type Assessment =
  | {
      kind: 'scored';
      risk: number;
      level: RiskLevel;
      explanation: Contribution[];
      features: Partial<Record<FeatureName, number>>;
      /** Optional features the backend imputed because they were missing. */
      imputed: FeatureName[];
      /**
       * Why, when a deterministic layer set the risk rather than the model: `slo: …` or
       * `own-normal: …` with the values. Messages say it instead of the model's top signals.
       */
      cause?: string;
      /** When the features were read (ms); an old assessment is not acted on. */
      at?: number;
      workload?: WorkloadView;
    }
  | {
      kind: 'inconclusive';
      reason: string;
      /**
       * Not without data but without all of it yet: the source's bounded warm-up after a start
       * (part of the deployment's own-normal context unread). Held like inconclusive, but it
       * neither starts the inconclusive alert's clock nor alerts.
       */
      warming?: true;
      at?: number;
      workload?: WorkloadView;
    };

/** The rules for one deployment: config defaults with its annotation overrides applied. */
export interface HealRules {
  high: number;
  low: number;
  /** N: consecutive cycles ≥ high before acting; also the cycles that judge a step. */
  enterCycles: number;
  /** M: consecutive cycles < low before "recovered". */
  exitCycles: number;
  /** Settle time after a step's rollout completed, before it is judged. */
  stabilisationMs: number;
  inconclusiveAlertMs: number;
  /** The rungs, in order; `page` should be last. */
  ladder: HealAction[];
  dryRun: boolean;
  /**
   * Two assessments closer than this count as one cycle for every streak (so extra
   * `POST /api/check` calls cannot hurry an action). Default: half the schedule's interval.
   */
  minSampleIntervalMs: number;
  /** Consecutive failed or refused attempts on one rung before holding and paging. */
  actionErrorLimit: number;
  /** Back-off before retrying a rung whose action failed; doubles per error up to the max. */
  actionRetryBaseMs: number;
  actionRetryMaxMs: number;
  /** How long `recovering` may last (risk < high but not yet M cycles < low) before closing. */
  recoveryTimeoutMs: number;
}

export type HealPhase =
  /** Nothing going on (or a high streak building below N). */
  | 'healthy'
  /** A step was taken (or is being retried): its rollout, settle time and judgement. */
  | 'stabilising'
  /** A step cured it (risk < high after the window); waiting for M cycles < low to reset. */
  | 'recovering'
  /** The ladder is exhausted or an action kept failing: a human was paged; no further actions. */
  | 'needs_attention';

/** What the policy remembers between cycles (most of it persisted in `aiops.io/heal-state`). */
export interface HealMemory {
  phase: HealPhase;
  /** Consecutive conclusive cycles with risk ≥ high. */
  highStreak: number;
  /** Consecutive conclusive cycles with risk < low. */
  lowStreak: number;
  /** When the last sample that counted for the streaks was taken (ms). */
  lastSampleAt?: number;
  /** Index + 1 into the ladder of the last step taken (0: none this episode). */
  step: number;
  /** Actions taken this episode (the `aiops.io/heal-attempt` annotation). */
  attempt: number;
  /** ms since epoch. */
  episodeStartedAt?: number;
  stepStartedAt?: number;
  /** Risk when the current step was taken. */
  riskBefore?: number;
  /**
   * The current step's outcome was already reported (its escalation was held back, e.g. by a
   * budget): do not report it again each cycle.
   */
  stepJudged?: boolean;
  /** The current rung's action has not been carried out yet (it failed; a retry is due). */
  pendingAction?: boolean;
  /** Consecutive failed or refused attempts on the current rung. */
  actionErrors?: number;
  /** Earliest time of the next retry (ms). */
  retryAt?: number;
  /** The last action error, for people. */
  lastError?: string;
  /** When the step's rollout was first seen complete (ms): the settle time counts from here. */
  rolloutDoneAt?: number;
  /** Consecutive judging cycles (after the settle time) ≥ high / < high. */
  judgeHigh?: number;
  judgeLow?: number;
  /** The release (template fingerprint) this episode is bound to. */
  release?: string;
  /** Releases the healer rolled back from: never rolled back to (kept across episodes). */
  badReleases?: string[];
  lastRisk?: number;
  lastAssessedAt?: number;
  inconclusiveSince?: number;
  inconclusiveNotified?: boolean;
  /** The step that brought risk below `high` (for the recovery message). */
  curedBy?: HealAction;
  curedStep?: number;
  /** When `recovering` started (ms). */
  recoveringSince?: number;
}

export const INITIAL_MEMORY: HealMemory = Object.freeze({
  phase: 'healthy',
  highStreak: 0,
  lowStreak: 0,
  step: 0,
  attempt: 0,
}) as HealMemory;

/** How a step ended, once judged. */
export interface StepOutcome {
  step: number;
  action: HealAction;
  attempt: number;
  riskBefore: number;
  riskAfter: number;
  cured: boolean;
  /** Why it was judged not cured without a risk verdict (e.g. its rollout failed). */
  failure?: string;
}

export type Decision =
  | { kind: 'none'; reason: string; outcome?: StepOutcome }
  | { kind: 'wait'; reason: string; remainingMs?: number }
  | {
      kind: 'act';
      action: Exclude<HealAction, 'page'>;
      step: number;
      attempt: number;
      /** Rung > 1: the previous step did not cure it. */
      escalated: boolean;
      /** A retry of this rung after an action error (the error count so far). */
      retry?: number;
      reason: string;
      outcome?: StepOutcome;
    }
  | { kind: 'page'; step: number; attempt: number; reason: string; outcome?: StepOutcome }
  | {
      kind: 'recovered';
      curedBy?: HealAction;
      curedStep?: number;
      durationMs: number;
      attempts: number;
      reason: string;
    }
  | {
      kind: 'inconclusive';
      reason: string;
      sinceMs: number;
      alert: boolean;
      /** The source's warm-up (never alerts; see `Assessment`). */
      warming?: true;
    }
  /** Someone else rolled out a new release: the episode ends and counting starts afresh. */
  | { kind: 'superseded'; reason: string; step: number; attempt: number };

export interface PolicyResult {
  decision: Decision;
  nextState: HealMemory;
}

/** What the loop asks the budget before acting. */
export interface BudgetRequest {
  namespace: string;
  name: string;
  action: HealAction;
}

export type BudgetVerdict =
  | { allowed: true }
  | {
      allowed: false;
      /** The rule that stopped it, e.g. `cooldown`. */
      rule: string;
      /** Names the rule and the values. */
      message: string;
      /** Same rule as the previous check of this deployment: announce only once. */
      repeated?: boolean;
    };

/**
 * A circuit breaker consulted before every action (implemented in `src/budget/`). `record` is
 * called for every attempt that reached the cluster, done or failed: budgets count attempts.
 */
export interface BudgetGate {
  check(request: BudgetRequest, now: Date): BudgetVerdict;
  record(request: BudgetRequest, now: Date, outcome?: { failed: boolean }): void;
  /** Loads what the gate needs before the first acting cycle (the ledger); never rejects. */
  ready?(): Promise<void>;
  forget?(namespace: string, name: string): void;
}

/** The gate used until a real budget is configured: every action allowed. */
export const ALLOW_ALL_BUDGET: BudgetGate = {
  check: () => ({ allowed: true }),
  record: () => undefined,
};
