/**
 * Approval gates: a rung whose gate is `approve` waits for a human (Slack button, dashboard or API
 * button, or `kubectl annotate deploy/X aiops.io/approve=<episode-id>`), bounded by a timeout.
 * Plain data: the status API serves these records as they are.
 */
import type { Contribution } from '@aiops/model';
import type { HealAction } from '../api/types.js';
import type { EventSubject } from '../report/types.js';
import type { GateConfig } from './gates.js';

export type ApprovalState =
  /** Waiting for a human. */
  | 'pending'
  /** Granted: acted on at the next cycle that re-checks it (still high, same release). */
  | 'approved'
  | 'rejected'
  /** Not decided in time: paged. */
  | 'expired'
  /** The healer stopped asking (risk fell, the episode ended) before anyone decided. */
  | 'withdrawn'
  /** Approved and carried out. */
  | 'done'
  /** Approved, but the re-check failed: not acted on. */
  | 'stale';

/** Who decided, and through what. */
export type ApprovalChannel = 'api' | 'slack' | 'annotation';

export interface Approval {
  /** The episode id (`<name>-<episode start, base 36>`): what `aiops.io/approve` names. */
  id: string;
  namespace: string;
  name: string;
  action: Exclude<HealAction, 'page'>;
  /** ms: the episode's start (its Slack thread). */
  episodeStartedAt: number;
  /** Rung (1-based) and attempt the approval is for. */
  step: number;
  attempt: number;
  /** The release (template fingerprint) the request was made on. */
  release?: string;
  /** Evidence: risk, the threshold, the decision's reason (top signals and rule). */
  risk: number;
  high: number;
  reason: string;
  /** The top contributing signals when requested. */
  top?: Contribution[];
  /** ISO times. */
  requestedAt: string;
  expiresAt: string;
  /** Last cycle that still wanted the rung (ms). */
  lastAskedAt: number;
  state: ApprovalState;
  decidedBy?: string;
  via?: ApprovalChannel;
  decidedAt?: string;
  /** Why it ended as it did (re-check failure, rejection note). */
  note?: string;
}

/** An approval as stored (`approvalStore.ts`), with the target its Events name. */
export interface StoredApproval extends Approval {
  subject?: EventSubject;
}

/** A rung asking to run, as the loop sees it this cycle. */
export interface ApprovalAsk {
  namespace: string;
  name: string;
  uid?: string;
  /** The target's kind and apiVersion when not a Deployment (an Argo Rollout): its Events name it. */
  kind?: string;
  apiVersion?: string;
  action: Exclude<HealAction, 'page'>;
  step: number;
  attempt: number;
  /** ms; names the episode. */
  episodeStartedAt: number;
  release?: string;
  risk: number;
  high: number;
  reason: string;
  top?: Contribution[];
  /** The gates that apply (a HealPolicy's over the config's); default: the config's. */
  gates?: GateConfig;
  /** The deployment's annotations (for `aiops.io/approve`). */
  annotations?: Readonly<Record<string, string>>;
}

export type Admission =
  | { go: true; approval?: Approval }
  | { go: false; state: ApprovalState | 'off'; message: string; approval?: Approval };

/** Raised for an approve/reject of an unknown or already decided approval. */
export class ApprovalError extends Error {
  override readonly name = 'ApprovalError';
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}
