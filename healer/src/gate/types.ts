/**
 * The gate: the one place between "decide" and "act" that may hold a decided action back. Today
 * it holds for a human's hold on the workload, the fleet guard, a stale assessment and the
 * budgets; per-rung approvals, silences and a kill switch belong here too.
 */
import type { HealAction } from '../api/types.js';
import type { BudgetRule } from '../budget/types.js';
import type { WorkloadView } from '../policy/types.js';
import type { FleetVerdict } from './fleet.js';

export interface GateRequest {
  namespace: string;
  name: string;
  action: HealAction;
  /** The workload as listed this cycle. */
  workload?: WorkloadView;
  /** When the assessment that led to the action was taken (ms). */
  assessedAt?: number;
  /** The deployment's labels and annotations (silences by selector, `aiops.io/paused-until`). */
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
}

export type GateRule =
  /** `spec.paused`: a human is working on it. */
  | 'paused'
  /** `metadata.deletionTimestamp`. */
  | 'deleting'
  /** The fleet guard (blast radius, degraded dependency). */
  | 'fleet'
  /** The assessment is older than `maxAssessmentAgeMs`. */
  | 'stale_assessment'
  /** The cluster-wide kill switch (a ConfigMap key). */
  | 'kill_switch'
  /** A silence or `aiops.io/paused-until` covers the deployment. */
  | 'silenced'
  | BudgetRule;

export type GateVerdict =
  | { allowed: true }
  | {
      allowed: false;
      rule: GateRule;
      /** Names the rule and the values. */
      message: string;
      /** Same rule as this deployment's previous check: announce only once. */
      repeated: boolean;
      /** A human holds the workload: page once (then stay quiet while the hold lasts). */
      page?: boolean;
      /** Part of a fleet-wide hold: reported in one grouped message. */
      grouped?: boolean;
      /** A human asked for quiet (silence, kill switch): an Event once, no message. */
      quiet?: boolean;
    };

/** This cycle's context for every check. */
export interface GateContext {
  now: Date;
  fleet: FleetVerdict;
}

export interface ActionGate {
  check(request: GateRequest, ctx: GateContext): GateVerdict;
  /** An attempt was made (`failed`: the cluster refused or failed it): budgets count attempts. */
  record(request: GateRequest, now: Date, outcome: { failed: boolean }): void;
  /** Completes before the first acting cycle (the budget ledger load); never rejects. */
  ready?(): Promise<void>;
  /**
   * A follower's (or a dry run's) cycle: re-reads what it shows (silences, the kill switch)
   * without holding, paging or writing anything; never rejects.
   */
  observe?(): Promise<void>;
  /** Drops what is kept about a deployment no longer watched. */
  forget?(namespace: string, name: string): void;
}
