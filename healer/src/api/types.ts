/**
 * Wire types of the healer's status API (`/api/...`) and SSE stream. The dashboard imports these
 * type-only, so this file must stay free of runtime imports other than types.
 */
import type { Contribution, FeatureName, RiskLevel } from '@aiops/model';

/** Where a watched deployment stands in the heal ladder. */
export type HealState =
  'healthy' | 'watching' | 'healing' | 'rolled_back' | 'needs_attention' | 'inconclusive';

/** The ladder's rungs; `page` is "stop and page a human". */
export type HealAction = 'restart_scale' | 'cache_clear_restart' | 'rollback' | 'page';

export type ActionOutcome = 'pending' | 'cured' | 'not_cured' | 'failed' | 'skipped';

export interface RiskPoint {
  /** ISO 8601 time. */
  t: string;
  risk: number;
}

export interface ActionRecord {
  at: string;
  /** 1-based rung of the ladder. */
  step: number;
  action: HealAction;
  attempt: number;
  dryRun: boolean;
  riskBefore: number;
  riskAfter?: number;
  outcome: ActionOutcome;
  /** Names the rule and the values, as the Kubernetes Event does. */
  message: string;
}

export interface KubeEventSummary {
  at: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface NotificationRecord {
  at: string;
  kind: string;
  text: string;
  delivered: boolean;
}

/** One row of `GET /api/deployments`. */
export interface DeploymentStatus {
  namespace: string;
  name: string;
  /** null while no conclusive assessment exists. */
  risk: number | null;
  level: RiskLevel | null;
  state: HealState;
  /** Current rung (0 when not healing). */
  step: number;
  attempts: number;
  dryRun: boolean;
  lastAction?: ActionRecord;
  explanation: Contribution[];
  features: Partial<Record<FeatureName, number>>;
  /** Why the last assessment was inconclusive, when it was. */
  inconclusiveReason?: string;
  /**
   * The inconclusive assessment is the healer's warm-up after a start (part of the deployment's
   * own-normal context not read yet, a few cycles at most): held, not a data outage.
   */
  warmingUp?: true;
  /** Recent risk for sparklines (oldest first). */
  trend: RiskPoint[];
  updatedAt: string;
}

/** `GET /api/deployments/:ns/:name`. */
export interface DeploymentDetail extends DeploymentStatus {
  thresholds: { high: number; low: number };
  history: RiskPoint[];
  actions: ActionRecord[];
  events: KubeEventSummary[];
  notifications: NotificationRecord[];
}

/** Messages on `GET /api/events` (SSE, `event:` is the `type`). */
export type StreamMessage =
  | { type: 'assessment'; deployment: DeploymentStatus }
  | { type: 'action'; namespace: string; name: string; action: ActionRecord }
  | { type: 'notification'; namespace: string; name: string; notification: NotificationRecord };

/**
 * Sent on `GET /api/events` as `event: resync` when a client reconnects with a `Last-Event-ID`
 * the healer can no longer replay (too old, or from a previous healer process): reload
 * `GET /api/deployments`, then keep reading the stream.
 */
export interface StreamResync {
  type: 'resync';
  /** The newest message id at the time of the resync. */
  lastId: number;
}
