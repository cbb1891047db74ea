/**
 * Budgets: the healer's circuit breaker. Before every cluster action the loop asks a
 * {@link BudgetGate}; a denial names the rule and the values so it can go into the Event, the Slack
 * message and the `budget denials` metric unchanged.
 */
import type { HealAction } from '../api/types.js';
import type { BudgetGate as PolicyBudgetGate, BudgetRequest } from '../policy/types.js';

/** What the loop is about to do (defined with the gate's interface in `policy/types.ts`). */
export type { BudgetRequest };

export type BudgetRule =
  /** The ledger of past actions could not be loaded: no action until it is (fail closed). */
  | 'ledger_unavailable'
  | 'cooldown'
  | 'max_actions_per_hour'
  | 'max_concurrent_heals'
  | 'max_rollbacks_per_hour'
  | 'max_scale_ups_per_hour';

export type BudgetVerdict =
  | { allowed: true }
  | {
      allowed: false;
      rule: BudgetRule;
      /** e.g. `cooldown: last action 40 s ago < cooldown 300 s (shop/cart)`. */
      message: string;
      /**
       * True when the previous check for this deployment was denied by the same rule: the loop
       * notifies (Slack) only when this is false, so a budget that holds for an hour is announced
       * once, not once per cycle.
       */
      repeated: boolean;
    };

export interface BudgetLimits {
  perDeployment: {
    /** Actions on one deployment in any sliding hour. */
    maxActionsPerHour: number;
    /** Minimum time between two actions on one deployment. */
    cooldownSeconds: number;
  };
  global: {
    /** Deployments being healed at once (an action within `concurrencyWindowSeconds`). */
    maxConcurrentHeals: number;
    maxRollbacksPerHour: number;
    /** `restart_scale` raises replicas, so each one counts as a scale-up. */
    maxScaleUpsPerHour: number;
    /**
     * How long after its last action a deployment still counts as "being healed". Defaults to
     * 600 s: longer than the policy's stabilisation window (120 s), so a heal waiting to be
     * re-checked keeps its slot.
     */
    concurrencyWindowSeconds: number;
  };
}

export const DEFAULT_BUDGET_LIMITS: BudgetLimits = {
  perDeployment: { maxActionsPerHour: 4, cooldownSeconds: 120 },
  global: {
    maxConcurrentHeals: 3,
    maxRollbacksPerHour: 2,
    maxScaleUpsPerHour: 10,
    concurrencyWindowSeconds: 600,
  },
};

/** One action taken (or, for a dry-run gate, planned), as the ledger remembers it. */
export interface LedgerEntry {
  namespace: string;
  name: string;
  action: HealAction;
  /** Epoch milliseconds. */
  at: number;
  /**
   * The attempt failed or was refused by the cluster. It counts against the hourly limits (budgets
   * count attempts) but not the cooldown: it changed nothing, and its retry is paced by the
   * action back-off instead.
   */
  failed?: boolean;
}

/** The loop's `BudgetGate` (`policy/types.ts`), with the rule typed and `repeated` always set. */
export interface BudgetGate extends PolicyBudgetGate {
  check(request: BudgetRequest, now: Date): BudgetVerdict;
}
