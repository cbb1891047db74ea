/** What a cycle is asked to do and what it reports (the CLI prints these). */
import type { ActionResult } from '../actions/types.js';

/** Per-run overrides (the CLI's flags). */
export interface CycleOptions {
  namespaces?: string[];
  labelSelector?: string;
  /** Forces dry-run for this cycle (it can only add dry-run, never remove it). */
  dryRun?: boolean;
  /**
   * Overrides N (consecutive cycles ≥ high before acting). The one-shot CLI uses 1: it sees one
   * cycle only; the persisted ladder state, stabilisation window and budgets still apply.
   */
  enterCycles?: number;
  /**
   * A follower's cycle: assess and publish status (so every replica serves the same picture),
   * but never act, notify, write Events or annotations. Followers run these; the leader acts.
   */
  observeOnly?: boolean;
}

/** One heal target's line in a cycle report (the CLI prints these). */
export interface CycleRow {
  /** `Deployment` or `Rollout`. */
  kind?: string;
  namespace: string;
  name: string;
  risk: number | null;
  level: string | null;
  top: string;
  /** none, wait, inconclusive, recovered, superseded, page, or the action taken. */
  decision: string;
  detail: string;
  dryRun: boolean;
  /** Risk at or above the high threshold, or a heal underway. */
  atRisk: boolean;
  inconclusive: boolean;
  /** Held by the source's warm-up after a start (inconclusive too, but no outage of data). */
  warmingUp?: boolean;
  actionStatus?:
    ActionResult['status'] | 'budget_denied' | 'held' | 'dry_run' | 'awaiting_approval';
}

export interface CycleReport {
  startedAt: string;
  durationMs: number;
  watched: number;
  rows: CycleRow[];
  /** Cycle-level failures (Kubernetes list, /predict, every Prometheus query). */
  errors: string[];
  /**
   * Wall time of each phase of the cycle, in ms (list, policies, targets, assess, decide, fleet,
   * handle, orphans, evidence, metrics): where a slow cycle spends its time.
   */
  phasesMs?: Record<string, number>;
  /** The fleet guard's reason when it held actions this cycle. */
  fleetHold?: string;
  /** What the cycle looked for (so "no targets" can say where it looked). */
  scope?: {
    namespaces: readonly string[];
    labelSelector: string;
    /** Each kind listed, and whether the cluster serves it at all (a missing CRD). */
    kinds: { kind: string; found: number; notServed?: boolean }[];
  };
}
