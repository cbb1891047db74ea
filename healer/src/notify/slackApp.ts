/**
 * Slack as an app (a bot token, `@slack/web-api`): one thread per episode of a deployment (from
 * its first message until `recovered` or `episode_ended`) — the first message opens it and is updated (`chat.update`) as the episode moves, every later message is a reply
 * (`thread_ts`) — and a pending approval carries Approve / Reject / Silence 1 h buttons, answered on
 * `/slack/interactions` (`src/api/humans.ts`). Messages without an episode (healer-wide warnings)
 * are posted on their own. Like the webhook notifier, `post()` never rejects and never waits on a
 * slow Slack for more than `timeoutMs` per call; duplicates (same `dedupKey`) are sent once.
 */
import { slackPayload, type SlackBlock } from './blocks.js';
import { lazily } from './lazy.js';
import type { NotifyMessage, NotifyResult, Notifier } from './types.js';

export interface SlackAppOptions {
  token: string;
  channel: string;
  /** Slack's Web API base (a stand-in in tests). */
  apiUrl?: string;
  timeoutMs: number;
  retries: number;
  /** Threads remembered (oldest forgotten first). */
  keep?: number;
  onFailed?: (m: NotifyMessage, error: string) => void;
}

/** Button `action_id`s; their `value` is the approval id. */
export const SLACK_ACTIONS = {
  approve: 'aiops_approve',
  reject: 'aiops_reject',
  silence: 'aiops_silence_1h',
} as const;

export function approvalButtons(approvalId: string): SlackBlock {
  const button = (text: string, action_id: string, style?: 'primary' | 'danger') => ({
    type: 'button',
    text: { type: 'plain_text', text },
    action_id,
    value: approvalId,
    ...(style ? { style } : {}),
  });
  return {
    type: 'actions',
    block_id: `approval:${approvalId}`,
    elements: [
      button('Approve', SLACK_ACTIONS.approve, 'primary'),
      button('Reject', SLACK_ACTIONS.reject, 'danger'),
      button('Silence 1 h', SLACK_ACTIONS.silence),
    ],
  };
}

/** Messages that close an episode's thread. */
const ENDS_EPISODE = new Set<NotifyMessage['kind']>(['recovered', 'episode_ended']);

export class SlackAppNotifier implements Notifier {
  private readonly threads = new Map<string, { ts: string; channel: string }>();
  private readonly sent = new Set<string>();

  constructor(private readonly o: SlackAppOptions) {}

  /** The Web API client, loaded with the first message (`lazily`). */
  private readonly client = lazily(() =>
    import('@slack/web-api').then(
      ({ WebClient }) =>
        new WebClient(this.o.token, {
          ...(this.o.apiUrl ? { slackApiUrl: this.o.apiUrl } : {}),
          timeout: this.o.timeoutMs,
          retryConfig: { retries: this.o.retries, factor: 2, minTimeout: 200, maxTimeout: 5_000 },
          // The Web API client logs through its own logger: keep it quiet (the token is never logged).
          logLevel: undefined,
        }),
    ),
  );

  async post(m: NotifyMessage): Promise<NotifyResult> {
    if (this.sent.has(m.dedupKey)) return { delivered: false, duplicate: true };
    const p = slackPayload(m);
    const blocks = m.approvalId ? [...p.blocks, approvalButtons(m.approvalId)] : p.blocks;
    try {
      const client = await this.client();
      const key = m.namespace && m.name ? `${m.namespace}/${m.name}` : undefined;
      const thread = key ? this.threads.get(key) : undefined;
      if (!thread) {
        const r = await client.chat.postMessage({
          channel: this.o.channel,
          text: p.text,
          blocks,
        });
        if (key && r.ts && !ENDS_EPISODE.has(m.kind))
          this.remember(key, { ts: r.ts, channel: r.channel ?? this.o.channel });
      } else {
        await client.chat.postMessage({
          channel: thread.channel,
          thread_ts: thread.ts,
          text: p.text,
          blocks,
        });
        // The first message shows where the episode stands now.
        await client.chat.update({
          channel: thread.channel,
          ts: thread.ts,
          text: p.text,
          blocks: p.blocks,
        });
        // The episode is over: the next message about this deployment opens a new thread.
        if (ENDS_EPISODE.has(m.kind)) this.threads.delete(key!);
      }
      this.sent.add(m.dedupKey);
      if (this.sent.size > 5_000) this.sent.delete(this.sent.values().next().value!);
      return { delivered: true };
    } catch (err) {
      const error = describe(err);
      this.o.onFailed?.(m, error);
      return { delivered: false, error };
    }
  }

  /** The open thread of a deployment's episode (`namespace/name`), if any. */
  thread(key: string): { ts: string; channel: string } | undefined {
    return this.threads.get(key);
  }

  private remember(episode: string, t: { ts: string; channel: string }): void {
    this.threads.set(episode, t);
    if (this.threads.size > (this.o.keep ?? 1_000))
      this.threads.delete(this.threads.keys().next().value!);
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; message?: string };
  return `${e.code ?? 'error'}: ${e.data?.error ?? e.message ?? String(err)}`
    .replace(/xox[a-z]-[\w-]+/g, '<token>')
    .slice(0, 300);
}
