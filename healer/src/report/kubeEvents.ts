/**
 * Kubernetes Events on the deployment, as `kubectl describe deployment` shows them. An Event is
 * the audit record of an action and the budget ledger a new leader rebuilds, so a write that
 * times out or meets a 5xx/429 is retried with backoff under the same name: a 409 AlreadyExists
 * on a retry means the earlier attempt landed, not a failure.
 */
import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import { isTransient, statusOf } from '../actions/kube.js';
import { withRetry, type Sleep } from '../retry.js';
import type { EventReason, EventRecorder, EventSubject } from './types.js';

export interface KubeEventRecorderOptions {
  /** `source.component` / `reportingComponent`, e.g. `aiops-healer`. */
  component: string;
  /** `reportingInstance`, e.g. the pod name. */
  instance?: string;
  now: () => number;
  /** Extra attempts on a timeout, 5xx or 429 (default 3). */
  retries?: number;
  sleep?: Sleep;
}

export class KubeEventRecorder implements EventRecorder {
  private seq = 0;

  constructor(
    private readonly core: Pick<CoreV1Api, 'createNamespacedEvent'>,
    private readonly opts: KubeEventRecorderOptions,
  ) {}

  private readonly suffix = randomBytes(2).toString('hex');

  async record(
    subject: EventSubject,
    type: 'Normal' | 'Warning',
    reason: EventReason,
    message: string,
    action?: string,
  ): Promise<void> {
    const at = new Date(this.opts.now());
    // Like the API's own names (object name + hex time), unique per process, sortable; fixed
    // before the first attempt so a retry cannot write the Event twice.
    const eventName = `${subject.name}.${at.getTime().toString(16)}${(this.seq++ % 0x10000).toString(16).padStart(4, '0')}${this.suffix}`;
    const body = {
      metadata: { name: eventName, namespace: subject.namespace },
      involvedObject: {
        apiVersion: subject.apiVersion ?? 'apps/v1',
        kind: subject.kind ?? 'Deployment',
        namespace: subject.namespace,
        name: subject.name,
        ...(subject.uid ? { uid: subject.uid } : {}),
        ...(subject.resourceVersion ? { resourceVersion: subject.resourceVersion } : {}),
      },
      type,
      reason,
      ...(action ? { action } : {}),
      // The API server rejects Event messages over 1 KiB.
      message: message.slice(0, 1024),
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: this.opts.component },
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.instance ?? this.opts.component,
    };
    await withRetry(
      async (attempt) => {
        try {
          await this.core.createNamespacedEvent({ namespace: subject.namespace, body });
        } catch (err) {
          if (attempt > 0 && statusOf(err) === 409) return; // an earlier attempt landed
          throw err;
        }
      },
      {
        retries: this.opts.retries ?? 3,
        retryable: isTransient,
        ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
      },
    );
  }
}
