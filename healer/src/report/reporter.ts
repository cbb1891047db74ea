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
  event?: { type: 'Normal' | 'Warning'; reason: EventReason; action?: string };
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
  /**
   * Asked right before every Event write (the leader check): a follower, or a leader that just
   * lost the Lease, writes no Event.
   */
  mayWrite?: () => boolean;
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
    if (r.event && !r.dryRun && (this.deps.mayWrite?.() ?? true))
      tasks.push(this.event(r.subject, r.event, r.message, at));
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
    e: NonNullable<ReportInput['event']>,
    message: string,
    at: string,
  ): Promise<void> {
    const { namespace, name } = subject;
    const { type, reason } = e;
    if (this.deps.events) {
      try {
        await this.deps.events.record(subject, type, reason, message, e.action);
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
    let res: Awaited<ReturnType<Notifier['post']>> | undefined;
    try {
      res = await this.deps.notifier.post(m);
    } catch (err) {
      // Notifier.post must not reject; if one does anyway, the action still stands.
      this.deps.logger.warn({ err: String(err) }, 'notifier threw');
    }
    if (res?.duplicate) {
      this.deps.metrics?.notifications.inc({ kind: m.kind, result: 'duplicate' });
      return;
    }
    const record = (delivered: boolean, result: string): void => {
      this.deps.metrics?.notifications.inc({ kind: m.kind, result });
      if (!namespace || !name) return;
      this.safely('status', () =>
        this.deps.sink.notification(namespace, name, {
          at,
          kind: m.kind,
          text: `${m.title}: ${m.detail}`,
          delivered,
        }),
      );
    };
    if (res?.delivery) {
      // Queued: recorded once the sender delivered it or gave up, never waited for here.
      void res.delivery.then((ok) => record(ok, ok ? 'delivered' : 'failed'));
      return;
    }
    record(
      res?.delivered ?? false,
      res?.delivered ? 'delivered' : res?.queued ? 'queued' : 'failed',
    );
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
