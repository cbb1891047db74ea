/**
 * A local stand-in for Slack as an app, for the demo and the tests: answers the Web API methods the
 * healer calls (`chat.postMessage`, `chat.update`, `auth.test`) like Slack (`{ ok, ts, channel }`,
 * `not_authed`, `invalid_auth`, `channel_not_found`, `thread_not_found`), keeps what it was sent,
 * and clicks buttons: it posts `block_actions` interactions to the app's request URL signed as
 * Slack signs them (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret).
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface AppMessage {
  seq: number;
  method: 'chat.postMessage' | 'chat.update';
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: Array<Record<string, unknown>>;
}

export interface ClickOptions {
  /** Seconds since epoch the request claims (default: now). */
  timestamp?: number;
  /** Sign with this secret instead (a forged request); `false` sends no signature. */
  secret?: string | false;
  user?: string;
}

export interface RunningSlackApp {
  /** Web API base for the healer (`slack.apiUrl`), ending in `/api/`. */
  readonly apiUrl: string;
  readonly token: string;
  readonly signingSecret: string;
  /** Everything posted or updated, oldest first. */
  calls(): AppMessage[];
  /** First messages of threads, as they stand now (after updates). */
  threads(): AppMessage[];
  /** Replies in one thread. */
  replies(threadTs: string): AppMessage[];
  /** Finds the button with `actionId` in the messages and posts its interaction to `url`. */
  click(
    url: string,
    actionId: string,
    value: string,
    o?: ClickOptions,
  ): Promise<{
    status: number;
    body: string;
    raw: { body: string; headers: Record<string, string> };
  }>;
  /** Re-sends a request exactly as it was (a replay). */
  resend(url: string, raw: { body: string; headers: Record<string, string> }): Promise<number>;
  stop(): Promise<void>;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      s += c;
      if (s.length > 1 << 20) req.destroy();
    });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function params(body: string, type: string | undefined): Record<string, unknown> {
  if (type?.includes('application/json'))
    return JSON.parse(body || '{}') as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    out[k] = k === 'blocks' || k === 'attachments' ? (JSON.parse(v) as unknown) : v;
  }
  return out;
}

export function signSlack(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function startSlackApp(
  o: { token?: string; signingSecret?: string; channel?: string; now?: () => number } = {},
): Promise<RunningSlackApp> {
  const token = o.token ?? 'xoxb-stand-in-token';
  const signingSecret = o.signingSecret ?? 'stand-in-signing-secret';
  const now = o.now ?? Date.now;
  const calls: AppMessage[] = [];
  const first = new Map<string, AppMessage>();
  let seq = 0;
  let clock = 1_700_000_000;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      const reply = (x: Record<string, unknown>): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(x));
      };
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
      const auth = req.headers.authorization;
      const p = params(body, req.headers['content-type']);
      const given = auth?.replace(/^Bearer /, '') ?? (p.token as string | undefined);
      if (!given) return reply({ ok: false, error: 'not_authed' });
      if (given !== token) return reply({ ok: false, error: 'invalid_auth' });
      if (method === 'auth.test') return reply({ ok: true, user_id: 'U0HEALER', team: 'T0' });
      const channel = String(p.channel ?? '');
      if (!channel) return reply({ ok: false, error: 'channel_not_found' });
      const text = typeof p.text === 'string' ? p.text : undefined;
      const blocks = p.blocks as AppMessage['blocks'];
      if (method === 'chat.postMessage') {
        const threadTs = typeof p.thread_ts === 'string' ? p.thread_ts : undefined;
        if (threadTs && !first.has(threadTs))
          return reply({ ok: false, error: 'thread_not_found' });
        const ts = `${++clock}.000100`;
        const m: AppMessage = {
          seq: ++seq,
          method,
          channel,
          ts,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(text !== undefined ? { text } : {}),
          ...(blocks ? { blocks } : {}),
        };
        calls.push(m);
        if (!threadTs) first.set(ts, { ...m });
        return reply({ ok: true, channel, ts, message: { text } });
      }
      if (method === 'chat.update') {
        const ts = String(p.ts ?? '');
        const m = first.get(ts);
        if (!m) return reply({ ok: false, error: 'message_not_found' });
        const u: AppMessage = {
          seq: ++seq,
          method,
          channel,
          ts,
          ...(text !== undefined ? { text } : {}),
          ...(blocks ? { blocks } : {}),
        };
        calls.push(u);
        first.set(ts, {
          ...m,
          ...(text !== undefined ? { text } : {}),
          ...(blocks ? { blocks } : {}),
        });
        return reply({ ok: true, channel, ts });
      }
      return reply({ ok: false, error: 'unknown_method' });
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const post = async (url: string, body: string, headers: Record<string, string>) => {
    const r = await fetch(url, { method: 'POST', body, headers });
    return { status: r.status, body: await r.text() };
  };
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    token,
    signingSecret,
    calls: () => calls.map((c) => ({ ...c })),
    threads: () => [...first.values()],
    replies: (ts) => calls.filter((c) => c.thread_ts === ts),
    async click(url, actionId, value, c = {}) {
      const holder = [...first.values()]
        .reverse()
        .find((m) => JSON.stringify(m.blocks ?? []).includes(`"${actionId}"`));
      const payload = {
        type: 'block_actions',
        user: { id: 'U0HUMAN', username: c.user ?? 'alice', name: c.user ?? 'alice' },
        team: { id: 'T0' },
        channel: { id: holder?.channel ?? o.channel ?? 'C0' },
        message: holder ? { ts: holder.ts, text: holder.text } : undefined,
        container: holder ? { type: 'message', message_ts: holder.ts } : undefined,
        actions: [{ type: 'button', action_id: actionId, value, action_ts: String(now() / 1000) }],
      };
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      const timestamp = c.timestamp ?? Math.floor(now() / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
      };
      if (c.secret !== false)
        headers['x-slack-signature'] = signSlack(c.secret ?? signingSecret, timestamp, body);
      const r = await post(url, body, headers);
      return { ...r, raw: { body, headers } };
    },
    async resend(url, raw) {
      return (await post(url, raw.body, raw.headers)).status;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
