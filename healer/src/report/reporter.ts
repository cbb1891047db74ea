/**
 * The one reporting funnel: a log line, a Kubernetes Event on the deployment, a notification and a
 * status update, together. Each channel fails on its own: a failed Event or Slack message is
 * logged and counted, never thrown, so it can neither block nor undo an action.
 */
import type { Logger } from 'pino';
import type { ActionRecord } from '../api/types.js';
import type { HealerMetrics } from '../metrics.js';
import type { Notifier, NotifyMessage } from '../notify/types.js';
import type { EventReason, EventRecorder, EventSubject, StatusSink } from './types.js';

export interface ReportInput {
  subject: EventSubject;
  /** Log level; Warning Events are logged at `warn`. */
  level: 'debug' | 'info' | 'warn';
  /** The log line and the Event message: names the rule and the values. */
  message: string;
  event?: { type: 'Normal' | 'Warning'; reason: EventReason };
  notify?: NotifyMessage;
  action?: ActionRecord;
  /** Dry-run changes nothing in the cluster: no Event is written. */
  dryRun?: boolean;
  /** Extra structured log fields. */
  fields?: Record<string, unknown>;
}

export interface ReporterDeps {
  logger: Logger;
  /** Absent when there is no cluster to write Events to. */
  events?: EventRecorder;
  notifier: Notifier;
  sink: StatusSink;
  metrics?: HealerMetrics;
  now: () => number;
}

export class Reporter {
  constructor(private readonly deps: ReporterDeps) {}

  async report(r: ReportInput): Promise<void> {
    const { namespace, name } = r.subject;
    const at = new Date(this.deps.now()).toISOString();
    this.deps.logger[r.level](
      {
        namespace,
        deployment: name,
        reason: r.event?.reason,
        dryRun: r.dryRun || undefined,
        ...r.fields,
      },
      r.message,
    );
    if (r.action) this.safely('status', () => this.deps.sink.action(namespace, name, r.action!));
    const tasks: Promise<void>[] = [];
    if (r.event && !r.dryRun)
      tasks.push(this.event(r.subject, r.event.type, r.event.reason, r.message, at));
    if (r.notify) tasks.push(this.notify(r.notify, namespace, name, at));
    await Promise.all(tasks);
  }

  /** A healer-wide warning (Prometheus or /predict down): log + notification, no Event. */
  async warning(message: NotifyMessage): Promise<void> {
    this.deps.logger.warn({ notification: message.kind }, `${message.title}: ${message.detail}`);
    await this.notify(
      message,
      message.namespace ?? '',
      message.name ?? '',
      new Date(this.deps.now()).toISOString(),
    );
  }

  private async event(
    subject: EventSubject,
    type: 'Normal' | 'Warning',
    reason: EventReason,
    message: string,
    at: string,
  ): Promise<void> {
    const { namespace, name } = subject;
    if (this.deps.events) {
      try {
        await this.deps.events.record(subject, type, reason, message);
      } catch (err) {
        this.deps.metrics?.reportFailures.inc({ channel: 'kube_event' });
        this.deps.logger.warn(
          { namespace, deployment: name, reason, err: String(err) },
          'writing the Event failed',
        );
        return;
      }
    }
    this.safely('status', () =>
      this.deps.sink.kubeEvent(namespace, name, { at, type, reason, message }),
    );
  }

  private async notify(
    m: NotifyMessage,
    namespace: string,
    name: string,
    at: string,
  ): Promise<void> {
    let delivered = false;
    let result = 'failed';
    try {
      const res = await this.deps.notifier.post(m);
      delivered = res.delivered;
      result = res.delivered
        ? 'delivered'
        : res.duplicate
          ? 'duplicate'
          : res.queued
            ? 'queued'
            : 'failed';
      if (res.duplicate) return;
    } catch (err) {
      // Notifier.post must not reject; if one does anyway, the action still stands.
      this.deps.logger.warn({ err: String(err) }, 'notifier threw');
    } finally {
      this.deps.metrics?.notifications.inc({ kind: m.kind, result });
    }
    if (namespace && name) {
      this.safely('status', () =>
        this.deps.sink.notification(namespace, name, {
          at,
          kind: m.kind,
          text: `${m.title}: ${m.detail}`,
          delivered,
        }),
      );
    }
  }

  private safely(channel: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.metrics?.reportFailures.inc({ channel });
      this.deps.logger.warn({ err: String(err), channel }, 'status sink failed');
    }
  }
}
