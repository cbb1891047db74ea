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
  | 'warning'
  /** The fleet guard holds actions: one grouped message for every deployment it holds. */
  | 'fleet_hold'
  /** Someone else rolled out a new release during an episode: the episode ended. */
  | 'episode_ended'
  /** A gated rung waits for a human's approval (Slack buttons in app mode). */
  | 'approval';

export interface NotifyMessage {
  kind: NotifyKind;
  /** Absent for healer-wide and grouped messages (Prometheus down, fleet hold, …). */
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
  /** A pending approval: Approve / Reject / Silence 1 h buttons in app mode. */
  approvalId?: string;
}

export interface NotifyResult {
  delivered: boolean;
  /** Dropped as a duplicate of a message already sent. */
  duplicate?: boolean;
  /** Waiting in the queue (sent off the control loop). */
  queued?: boolean;
  /** For a queued message: resolves true once delivered, false when given up on. */
  delivery?: Promise<boolean>;
  error?: string;
}

export interface Notifier {
  /** Never rejects: a failed notification must not block or undo an action. */
  post(message: NotifyMessage): Promise<NotifyResult>;
}

/** A notifier that queues messages and sends them off the control loop. */
export interface RetryingNotifier extends Notifier {
  /** Sends the queued messages that are due (backoff passed); resolves when the sender idles. */
  flush(): Promise<void>;
  /** Sends everything queued, within `timeoutMs` (SIGTERM). */
  drain(timeoutMs: number): Promise<void>;
  /** Messages waiting in the queue. */
  pending(): number;
}
