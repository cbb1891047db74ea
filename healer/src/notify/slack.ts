/**
 * Slack through `@slack/webhook`. A message that fails (5xx, timeout, network) goes to a bounded
 * retry queue and is retried with exponential backoff on `flush()`; when the queue is full the
 * oldest message is dropped and counted. Duplicate messages (same `dedupKey`) are sent once.
 * The webhook URL is a secret: it is never logged or put in an error message.
 */
import { IncomingWebhook } from '@slack/webhook';
import { backoffDelay } from '../retry.js';
import { slackPayload } from './blocks.js';
import type { NotifyMessage, NotifyResult, RetryingNotifier } from './types.js';

export interface SlackNotifierOptions {
  webhookUrl: string;
  timeoutMs: number;
  /** Attempts after the first, spread by backoff over later flushes. */
  retries: number;
  queueSize: number;
  now: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  /** Keys remembered for deduplication. */
  dedupSize?: number;
  /** Observability hooks (metrics): a failed attempt, a message given up on. */
  onAttemptFailed?: (message: NotifyMessage, error: string) => void;
  onDropped?: (message: NotifyMessage, why: 'queue_full' | 'retries_exhausted') => void;
  onDelivered?: (message: NotifyMessage, attempts: number) => void;
}

interface Queued {
  message: NotifyMessage;
  attempts: number;
  nextAt: number;
}

/** A send failure, with the URL kept out of the message. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; original?: { message?: string } };
  const raw = e?.original?.message ?? e?.message ?? String(err);
  return `${e?.code ? `${e.code}: ` : ''}${raw.replace(/https?:\/\/\S+/g, '<webhook>')}`.slice(
    0,
    300,
  );
}

export class SlackNotifier implements RetryingNotifier {
  private readonly hook: IncomingWebhook;
  private readonly queue: Queued[] = [];
  private readonly sent = new Set<string>();
  private flushing: Promise<void> | undefined;
  readonly stats = { delivered: 0, failedAttempts: 0, dropped: 0, duplicates: 0 };

  constructor(private readonly opts: SlackNotifierOptions) {
    this.hook = new IncomingWebhook(opts.webhookUrl, {
      timeout: opts.timeoutMs,
      retryConfig: { retries: 0 },
    });
  }

  async post(message: NotifyMessage): Promise<NotifyResult> {
    if (
      this.sent.has(message.dedupKey) ||
      this.queue.some((q) => q.message.dedupKey === message.dedupKey)
    ) {
      this.stats.duplicates++;
      return { delivered: false, duplicate: true };
    }
    const error = await this.send(message);
    if (error === undefined) {
      this.opts.onDelivered?.(message, 1);
      return { delivered: true };
    }
    this.enqueue({ message, attempts: 1, nextAt: this.nextAt(1) });
    return { delivered: false, queued: true, error };
  }

  async flush(): Promise<void> {
    // One flush at a time, so a message is never sent twice by overlapping flushes.
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  pending(): number {
    return this.queue.length;
  }

  private async flushOnce(): Promise<void> {
    const now = this.opts.now();
    const due = this.queue.filter((q) => q.nextAt <= now);
    for (const q of due) {
      const error = await this.send(q.message);
      const i = this.queue.indexOf(q);
      if (error === undefined) {
        if (i >= 0) this.queue.splice(i, 1);
        this.opts.onDelivered?.(q.message, q.attempts + 1);
        continue;
      }
      q.attempts++;
      if (q.attempts > this.opts.retries) {
        if (i >= 0) this.queue.splice(i, 1);
        this.stats.dropped++;
        this.opts.onDropped?.(q.message, 'retries_exhausted');
      } else {
        q.nextAt = this.nextAt(q.attempts);
      }
    }
  }

  private nextAt(attempts: number): number {
    return (
      this.opts.now() +
      backoffDelay(
        attempts,
        this.opts.baseDelayMs ?? 5_000,
        this.opts.maxDelayMs ?? 300_000,
        this.opts.random ?? Math.random,
      )
    );
  }

  private enqueue(q: Queued): void {
    if (this.opts.retries <= 0) {
      this.stats.dropped++;
      this.opts.onDropped?.(q.message, 'retries_exhausted');
      return;
    }
    this.queue.push(q);
    while (this.queue.length > this.opts.queueSize) {
      const dropped = this.queue.shift();
      this.stats.dropped++;
      if (dropped) this.opts.onDropped?.(dropped.message, 'queue_full');
    }
  }

  /** undefined when delivered, else the reason. */
  private async send(message: NotifyMessage): Promise<string | undefined> {
    try {
      await this.hook.send(slackPayload(message));
      this.remember(message.dedupKey);
      this.stats.delivered++;
      return undefined;
    } catch (err) {
      const error = describe(err);
      this.stats.failedAttempts++;
      this.opts.onAttemptFailed?.(message, error);
      return error;
    }
  }

  private remember(key: string): void {
    this.sent.add(key);
    const max = this.opts.dedupSize ?? 2_000;
    if (this.sent.size > max) {
      const first = this.sent.values().next().value;
      if (first !== undefined) this.sent.delete(first);
    }
  }
}
