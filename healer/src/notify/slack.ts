/**
 * Slack through `@slack/webhook`, off the control loop: `post()` only enqueues (it never waits for
 * Slack), and one sender drains the queue in order, at most one message per `paceMs` (Slack allows
 * about one a second per webhook). A 429 pauses the whole queue for its `Retry-After`; a failure
 * (5xx, timeout, network) is retried with exponential backoff, up to `retries`. When the queue is
 * full the least important message is dropped and counted — an action, escalation, page or cure
 * is never dropped behind budget denials, dry-run notes or inconclusive alerts. `drain()` (on
 * SIGTERM) sends what is queued before the process exits. Duplicate messages (same `dedupKey`) are
 * sent once. The webhook URL is a secret: it is never logged or put in an error message.
 */
import { backoffDelay, realSleep, type Sleep } from '../retry.js';
import { slackPayload } from './blocks.js';
import type { NotifyKind, NotifyMessage, NotifyResult, RetryingNotifier } from './types.js';
import { lazily } from './lazy.js';

export interface SlackNotifierOptions {
  webhookUrl: string;
  timeoutMs: number;
  /** Attempts after the first, spread by backoff. */
  retries: number;
  queueSize: number;
  now: () => number;
  /** At most one message per this many ms. Default 1,000. */
  paceMs?: number;
  /** Waits between two sends (injected so tests never sleep). */
  sleep?: Sleep;
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
  seq: number;
  /** Settles the `delivery` promise handed to the caller. */
  settle: (delivered: boolean) => void;
}

/**
 * Which message goes first when the queue is full (lower is kept longer): a page and the actions
 * a human must know about outrank notes that can be lost without harm.
 */
export const KIND_PRIORITY: Record<NotifyKind, number> = {
  needs_attention: 0,
  approval: 0,
  action: 1,
  escalated: 1,
  fleet_hold: 1,
  cured: 2,
  recovered: 2,
  episode_ended: 2,
  warning: 3,
  inconclusive: 4,
  budget_denied: 5,
  dry_run: 6,
};

/** A send failure, with the URL kept out of the message. */
function describe(err: unknown): string {
  const e = err as {
    code?: string;
    message?: string;
    statusCode?: number;
    original?: { message?: string };
  };
  const raw = e?.original?.message ?? e?.message ?? String(err);
  const status = e?.statusCode ? `HTTP ${e.statusCode} ` : '';
  return `${e?.code ? `${e.code}: ` : ''}${status}${raw.replace(/https?:\/\/\S+/g, '<webhook>')}`.slice(
    0,
    300,
  );
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; undefined when absent or bad. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(header);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

export class SlackNotifier implements RetryingNotifier {
  private readonly queue: Queued[] = [];
  private readonly sent = new Set<string>();
  private sending: Promise<void> | undefined;
  private seq = 0;
  /** Set by a 429: nothing is sent before this time. */
  private pausedUntil = 0;
  /** The last response's `Retry-After` (read by the fetch wrapper). */
  private lastRetryAfter: string | null = null;
  readonly stats = { delivered: 0, failedAttempts: 0, dropped: 0, duplicates: 0, rateLimited: 0 };

  constructor(private readonly opts: SlackNotifierOptions) {}

  /** The webhook client, loaded with the first message (`lazily`). */
  private readonly webhook = lazily(() =>
    import('@slack/webhook').then(
      ({ IncomingWebhook }) =>
        new IncomingWebhook(this.opts.webhookUrl, {
          timeout: this.opts.timeoutMs,
          retryConfig: { retries: 0 },
          fetch: async (url, init) => {
            const res = await globalThis.fetch(url, init);
            this.lastRetryAfter = res.status === 429 ? res.headers.get('retry-after') : null;
            return res;
          },
        }),
    ),
  );

  /** Enqueues the message and returns at once; the sender delivers it in order. */
  async post(message: NotifyMessage): Promise<NotifyResult> {
    if (
      this.sent.has(message.dedupKey) ||
      this.queue.some((q) => q.message.dedupKey === message.dedupKey)
    ) {
      this.stats.duplicates++;
      return { delivered: false, duplicate: true };
    }
    let settle: (delivered: boolean) => void = () => undefined;
    const delivery = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    const kept = this.enqueue({ message, attempts: 0, nextAt: 0, seq: this.seq++, settle });
    this.kick();
    return kept
      ? { delivered: false, queued: true, delivery }
      : { delivered: false, error: 'queue full' };
  }

  /** Sends what is due now (the cycle and a timer call it); resolves when the sender idles. */
  async flush(): Promise<void> {
    this.kick();
    await this.sending;
  }

  /**
   * Sends everything queued, ignoring backoff (but not a 429's pause), until the queue is empty
   * or `timeoutMs` passed. For SIGTERM: nothing already decided is silently lost.
   */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = this.opts.now() + timeoutMs;
    while (this.queue.length > 0 && this.opts.now() < deadline) {
      if (this.opts.now() < this.pausedUntil) {
        await (this.opts.sleep ?? realSleep)(
          Math.min(this.pausedUntil, deadline) - this.opts.now(),
        );
        continue;
      }
      for (const q of this.queue) q.nextAt = Math.min(q.nextAt, this.opts.now());
      await this.flush();
      if (this.queue.every((q) => q.nextAt > this.opts.now()) && this.queue.length > 0) {
        // everything left failed just now: one more round after a short pause
        await (this.opts.sleep ?? realSleep)(Math.min(this.opts.paceMs ?? 1_000, 1_000));
      }
    }
  }

  pending(): number {
    return this.queue.length;
  }

  private kick(): void {
    this.sending ??= this.run().finally(() => {
      this.sending = undefined;
    });
  }

  /** The sender: one due message at a time, in order, paced. */
  private async run(): Promise<void> {
    const pace = this.opts.paceMs ?? 1_000;
    const sleep = this.opts.sleep ?? realSleep;
    let first = true;
    for (;;) {
      const now = this.opts.now();
      if (now < this.pausedUntil) return;
      const q = this.queue.filter((x) => x.nextAt <= now).sort((a, b) => a.seq - b.seq)[0];
      if (!q) return;
      if (!first && pace > 0) await sleep(pace);
      first = false;
      const error = await this.send(q.message);
      const i = this.queue.indexOf(q);
      if (error === undefined) {
        if (i >= 0) this.queue.splice(i, 1);
        this.opts.onDelivered?.(q.message, q.attempts + 1);
        q.settle(true);
        continue;
      }
      const wait = retryAfterMs(this.lastRetryAfter, this.opts.now());
      if (error.rateLimited) {
        // Flow control, not a failure: the whole queue waits, the message keeps its retries.
        this.stats.rateLimited++;
        this.pausedUntil = this.opts.now() + (wait ?? 30_000);
        q.nextAt = this.pausedUntil;
        return;
      }
      q.attempts++;
      if (q.attempts > this.opts.retries) {
        if (i >= 0) this.queue.splice(i, 1);
        this.stats.dropped++;
        this.opts.onDropped?.(q.message, 'retries_exhausted');
        q.settle(false);
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

  /** Adds to the queue; when full, drops the least important (oldest first). False: `q` itself. */
  private enqueue(q: Queued): boolean {
    this.queue.push(q);
    while (this.queue.length > this.opts.queueSize) {
      const worst = this.queue.reduce((w, x) =>
        KIND_PRIORITY[x.message.kind] > KIND_PRIORITY[w.message.kind] ||
        (KIND_PRIORITY[x.message.kind] === KIND_PRIORITY[w.message.kind] && x.seq < w.seq)
          ? x
          : w,
      );
      this.queue.splice(this.queue.indexOf(worst), 1);
      this.stats.dropped++;
      this.opts.onDropped?.(worst.message, 'queue_full');
      worst.settle(false);
      if (worst === q) return false;
    }
    return true;
  }

  /** undefined when delivered, else why. */
  private async send(
    message: NotifyMessage,
  ): Promise<{ error: string; rateLimited: boolean } | undefined> {
    try {
      await (await this.webhook()).send(slackPayload(message));
      this.remember(message.dedupKey);
      this.stats.delivered++;
      return undefined;
    } catch (err) {
      const error = describe(err);
      const rateLimited = (err as { statusCode?: number }).statusCode === 429;
      if (!rateLimited) {
        this.stats.failedAttempts++;
        this.opts.onAttemptFailed?.(message, error);
      }
      return { error, rateLimited };
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
