/**
 * The reporting funnel's parts. Like Flagger's `recordEventWarningf`, one call writes the log line,
 * the Kubernetes Event, the notification and the status update together.
 */
import type {
  ActionRecord,
  DeploymentStatus,
  KubeEventSummary,
  NotificationRecord,
} from '../api/types.js';

/**
 * Where the loop reports what it saw and did (implemented by the status API's store,
 * `src/api/store.ts`). Must not throw and must not block.
 */
export interface StatusSink {
  /** This cycle's status; the sink fills `trend` from the risks it has been given. */
  assessment(status: DeploymentStatus): void;
  /** A new action, or an update of one already reported (same `at`, `step` and `action`). */
  action(namespace: string, name: string, action: ActionRecord): void;
  notification(namespace: string, name: string, notification: NotificationRecord): void;
  kubeEvent(namespace: string, name: string, event: KubeEventSummary): void;
  /** Drops a deployment that is no longer watched (deleted, or its opt-in label removed). */
  forget?(namespace: string, name: string): void;
}

/** The object an Event is about. */
export interface EventSubject {
  /** The involved object's kind and apiVersion; default a `apps/v1` Deployment. */
  kind?: string;
  apiVersion?: string;
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

/** Writes Kubernetes Events (core/v1) about deployments. */
export interface EventRecorder {
  record(
    subject: EventSubject,
    type: 'Normal' | 'Warning',
    reason: EventReason,
    message: string,
    /** The Event's `action` (the rung concerned), e.g. on `AutoHealActionFailed`. */
    action?: string,
  ): Promise<void>;
}

/** Every Event reason the healer writes; documented in healer/README.md. */
export const EVENT_REASONS = {
  restart_scale: 'AutoHealRestart',
  cache_clear_restart: 'AutoHealCacheClear',
  rollback: 'AutoHealRollback',
  page: 'AutoHealNeedsAttention',
  recovered: 'AutoHealRecovered',
  cured: 'AutoHealStepCured',
  notCured: 'AutoHealStepNotCured',
  inconclusive: 'AutoHealInconclusive',
  budgetDenied: 'AutoHealBudgetDenied',
  actionFailed: 'AutoHealActionFailed',
  badAnnotation: 'AutoHealBadAnnotation',
  /** A human holds the workload (paused, being deleted): no action, paged once. */
  held: 'AutoHealHeld',
  /** The fleet guard holds every action in this deployment's namespace or the cluster. */
  fleetHold: 'AutoHealFleetHold',
  /** Someone else rolled out a new release during an episode: it ended. */
  episodeEnded: 'AutoHealEpisodeEnded',
  /** Replicas or an HPA minReplicas the healer had raised were given back. */
  scaleReturned: 'AutoHealScaleReturned',
  /** The assessment was too old to act on. */
  staleAssessment: 'AutoHealStaleAssessment',
  /** A gated rung waits for a human (`src/approval/`). */
  approvalRequested: 'AutoHealApprovalRequested',
  approvalGranted: 'AutoHealApprovalGranted',
  approvalRejected: 'AutoHealApprovalRejected',
  /** Not approved in time: paged. */
  approvalExpired: 'AutoHealApprovalExpired',
  /** Approved, but the re-check failed (risk fell, another release): not acted on. */
  approvalStale: 'AutoHealApprovalStale',
  /** A silence or the kill switch held an action (`src/silence/`). */
  silenced: 'AutoHealSilenced',
} as const;

export type EventReason = (typeof EVENT_REASONS)[keyof typeof EVENT_REASONS];
