/**
 * Notifications: one method, like Flagger's notifier. The loop sends one message per state change
 * (at risk, action taken, cured, escalated, needs attention, inconclusive for long), never one per
 * cycle.
 */
import type { Contribution, RiskLevel } from '@aiops/model';
import type { HealAction } from '../api/types.js';

export type NotifyKind =
  | 'action'
  | 'escalated'
  | 'cured'
  | 'recovered'
  | 'needs_attention'
  | 'inconclusive'
  | 'budget_denied'
  | 'dry_run'
  | 'warning';

export interface NotifyMessage {
  kind: NotifyKind;
  /** Absent for healer-wide warnings (Prometheus down, …). */
  namespace?: string;
  name?: string;
  /** One line for people; also Slack's `text` fallback. */
  title: string;
  /** Names the rule and the values. */
  detail: string;
  risk?: number;
  level?: RiskLevel;
  top?: Contribution[];
  action?: HealAction;
  step?: number;
  attempt?: number;
  /** Rungs before the page (the "3" of "attempt 1/3"). */
  attempts?: number;
  dryRun?: boolean;
  links?: { dashboard?: string; grafana?: string };
  /** Same key, same message: sent once. */
  dedupKey: string;
}

export interface NotifyResult {
  delivered: boolean;
  /** Dropped as a duplicate of a message already sent. */
  duplicate?: boolean;
  /** Failed now and waiting in the retry queue. */
  queued?: boolean;
  error?: string;
}

export interface Notifier {
  /** Never rejects: a failed notification must not block or undo an action. */
  post(message: NotifyMessage): Promise<NotifyResult>;
}

/** A notifier that keeps failed messages and retries them later. */
export interface RetryingNotifier extends Notifier {
  /** Retries queued messages whose backoff has passed. */
  flush(): Promise<void>;
  /** Messages waiting in the retry queue. */
  pending(): number;
}
