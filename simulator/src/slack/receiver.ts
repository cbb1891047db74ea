import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** A message received on the fake Slack incoming webhook. */
export interface ReceivedMessage {
  /** Monotonic sequence number, from 1. */
  seq: number;
  receivedAt: string;
  path: string;
  text?: string;
  blocks?: unknown[];
  /** The whole JSON payload, as sent. */
  payload: Record<string, unknown>;
}

export interface SlackReceiverOptions {
  port?: number;
  host?: string;
  /** Called for each accepted message (the demo prints it to the terminal). */
  onMessage?: (msg: ReceivedMessage) => void;
}

export interface RunningSlackReceiver {
  /** Webhook URL to give the healer, e.g. http://127.0.0.1:8082/services/T000/B000/XXXX */
  readonly webhookUrl: string;
  readonly url: string;
  messages(): ReceivedMessage[];
  /** The next `count` webhook calls fail with `status` (500 by default), or hang (`'timeout'`). */
  failNext(count: number, mode?: number | 'timeout'): void;
  stop(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const KEEP = 1000;

/**
 * A Slack-compatible incoming-webhook receiver for the demo and the tests: answers like Slack
 * (`200 ok`, `400 invalid_payload`, `400 no_text`), keeps the last messages for `GET /messages`,
 * and can be told to fail, so retry paths are tested against a real HTTP peer.
 */
export async function startSlackReceiver(
  opts: SlackReceiverOptions = {},
): Promise<RunningSlackReceiver> {
  const received: ReceivedMessage[] = [];
  let seq = 0;
  let failures: { count: number; mode: number | 'timeout' } = { count: 0, mode: 500 };
  const hanging = new Set<ServerResponse>();

  const reply = (res: ServerResponse, status: number, body: string, type = 'text/plain'): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/messages') {
      reply(res, 200, JSON.stringify(received), 'application/json');
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      reply(res, 200, 'ok');
      return;
    }
    if (req.method !== 'POST' || !path.startsWith('/services/')) {
      reply(res, 404, 'no_service');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        reply(res, 413, 'request_too_large');
        return;
      }
      chunks.push(chunk as Buffer);
    }
    if (failures.count > 0) {
      failures.count -= 1;
      if (failures.mode === 'timeout') {
        hanging.add(res);
        return;
      }
      reply(res, failures.mode, 'internal_error');
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      reply(res, 400, 'invalid_payload');
      return;
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      reply(res, 400, 'invalid_payload');
      return;
    }
    const p = payload as Record<string, unknown>;
    const text = typeof p.text === 'string' ? p.text : undefined;
    const blocks = Array.isArray(p.blocks) ? p.blocks : undefined;
    if (!text && !blocks?.length) {
      reply(res, 400, 'no_text');
      return;
    }
    seq += 1;
    const msg: ReceivedMessage = {
      seq,
      receivedAt: new Date().toISOString(),
      path,
      ...(text !== undefined ? { text } : {}),
      ...(blocks !== undefined ? { blocks } : {}),
      payload: p,
    };
    received.push(msg);
    if (received.length > KEEP) received.shift();
    opts.onMessage?.(msg);
    reply(res, 200, 'ok');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, 'internal_error');
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('slack receiver: no address');
  const url = `http://${host}:${addr.port}`;
  return {
    url,
    webhookUrl: `${url}/services/T00000000/B00000000/demo`,
    messages: () => [...received],
    failNext(count, mode = 500) {
      failures = { count, mode };
    },
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every text inside a Block Kit message, in order (header, sections, fields, context). */
export function blockTexts(msg: ReceivedMessage): string[] {
  const parts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o.text === 'string') parts.push(o.text);
      else visit(o.text);
      visit(o.fields);
      visit(o.elements);
    }
  };
  visit(msg.blocks ?? []);
  return parts;
}

/** A one-line terminal rendering of a Block Kit message: its blocks' text, else its text. */
export function renderForTerminal(msg: ReceivedMessage): string {
  const parts = blockTexts(msg);
  const body = parts.length ? parts.join(' | ') : (msg.text ?? '');
  return body.replace(/\s+/g, ' ').trim();
}
