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
    }
  | { kind: 'inconclusive'; reason: string };

/** The rules for one deployment: config defaults with its annotation overrides applied. */
export interface HealRules {
  high: number;
  low: number;
  /** N: consecutive cycles ≥ high before acting. */
  enterCycles: number;
  /** M: consecutive cycles < low before "recovered". */
  exitCycles: number;
  stabilisationMs: number;
  inconclusiveAlertMs: number;
  /** The rungs, in order; `page` should be last. */
  ladder: HealAction[];
  dryRun: boolean;
}

export type HealPhase =
  /** Nothing going on (or a high streak building below N). */
  | 'healthy'
  /** A step was taken; waiting for the stabilisation window to end. */
  | 'stabilising'
  /** A step cured it (risk < high after the window); waiting for M cycles < low to reset. */
  | 'recovering'
  /** The ladder is exhausted: a human was paged; no further actions until recovery or reset. */
  | 'needs_attention';

/** What the policy remembers between cycles (persisted in `aiops.io/heal-state`). */
export interface HealMemory {
  phase: HealPhase;
  /** Consecutive conclusive cycles with risk ≥ high. */
  highStreak: number;
  /** Consecutive conclusive cycles with risk < low. */
  lowStreak: number;
  /** Index + 1 into the ladder of the last step taken (0: none this episode). */
  step: number;
  /** Actions taken this episode (the `aiops.io/heal-attempt` annotation). */
  attempt: number;
  /** ms since epoch. */
  episodeStartedAt?: number;
  stepStartedAt?: number;
  /** Risk when the current step was taken. */
  riskBefore?: number;
  /** The step's action failed or was refused: escalate without waiting for the window. */
  stepFailed?: boolean;
  /**
   * The current step's outcome was already reported (its escalation was held back, e.g. by a
   * budget): do not report it again each cycle.
   */
  stepJudged?: boolean;
  lastRisk?: number;
  lastAssessedAt?: number;
  inconclusiveSince?: number;
  inconclusiveNotified?: boolean;
  /** The step that brought risk below `high` (for the recovery message). */
  curedBy?: HealAction;
}

export const INITIAL_MEMORY: HealMemory = Object.freeze({
  phase: 'healthy',
  highStreak: 0,
  lowStreak: 0,
  step: 0,
  attempt: 0,
}) as HealMemory;

/** How a step ended, once its stabilisation window passed. */
export interface StepOutcome {
  step: number;
  action: HealAction;
  attempt: number;
  riskBefore: number;
  riskAfter: number;
  cured: boolean;
}

export type Decision =
  | { kind: 'none'; reason: string; outcome?: StepOutcome }
  | { kind: 'wait'; reason: string; remainingMs: number }
  | {
      kind: 'act';
      action: Exclude<HealAction, 'page'>;
      step: number;
      attempt: number;
      /** Rung > 1: the previous step did not cure it. */
      escalated: boolean;
      reason: string;
      outcome?: StepOutcome;
    }
  | { kind: 'page'; step: number; attempt: number; reason: string; outcome?: StepOutcome }
  | {
      kind: 'recovered';
      curedBy?: HealAction;
      durationMs: number;
      attempts: number;
      reason: string;
    }
  | { kind: 'inconclusive'; reason: string; sinceMs: number; alert: boolean };

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
 * called once the action was carried out (or, in dry-run, planned).
 */
export interface BudgetGate {
  check(request: BudgetRequest, now: Date): BudgetVerdict;
  record(request: BudgetRequest, now: Date): void;
}

/** The gate used until a real budget is configured: every action allowed. */
export const ALLOW_ALL_BUDGET: BudgetGate = {
  check: () => ({ allowed: true }),
  record: () => undefined,
};
