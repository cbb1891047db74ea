/**
 * A small in-memory {@link StatusSink}: the CLI and the tests use it; the service uses the status
 * API's store.
 */
import type {
  ActionRecord,
  DeploymentStatus,
  KubeEventSummary,
  NotificationRecord,
} from '../api/types.js';
import type { StatusSink } from './types.js';

export class MemoryStatusSink implements StatusSink {
  readonly statuses = new Map<string, DeploymentStatus>();
  readonly actions: (ActionRecord & { namespace: string; name: string })[] = [];
  readonly notifications: (NotificationRecord & { namespace: string; name: string })[] = [];
  readonly events: (KubeEventSummary & { namespace: string; name: string })[] = [];

  constructor(private readonly limit = 1_000) {}

  private readonly trends = new Map<string, DeploymentStatus['trend']>();

  /** Keeps the status with the last 30 risks as its trend (as the status store does). */
  assessment(status: DeploymentStatus): void {
    const key = `${status.namespace}/${status.name}`;
    const trend = [...(this.trends.get(key) ?? [])];
    if (status.risk !== null) trend.push({ t: status.updatedAt, risk: status.risk });
    if (trend.length > 30) trend.shift();
    this.trends.set(key, trend);
    this.statuses.set(key, { ...status, trend });
  }
  action(namespace: string, name: string, action: ActionRecord): void {
    const i = this.actions.findIndex(
      (a) =>
        a.namespace === namespace &&
        a.name === name &&
        a.at === action.at &&
        a.step === action.step &&
        a.action === action.action,
    );
    if (i >= 0) this.actions[i] = { ...action, namespace, name };
    else this.push(this.actions, { ...action, namespace, name });
  }
  notification(namespace: string, name: string, notification: NotificationRecord): void {
    this.push(this.notifications, { ...notification, namespace, name });
  }
  kubeEvent(namespace: string, name: string, event: KubeEventSummary): void {
    this.push(this.events, { ...event, namespace, name });
  }
  forget(namespace: string, name: string): void {
    this.statuses.delete(`${namespace}/${name}`);
    this.trends.delete(`${namespace}/${name}`);
  }
  private push<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.limit) list.shift();
  }
}
