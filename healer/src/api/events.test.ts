import { afterEach, describe, expect, it } from '@jest/globals';
import { get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createStatusApp } from './server.js';
import { StatusStore } from './store.js';
import type { DeploymentStatus } from './types.js';
import { deploymentStatus } from './fixtures.js';

/** One parsed SSE frame: a message (event/id/data) or a comment. */
interface Frame {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** A real HTTP client reading the stream and parsing frames as EventSource does. */
class SseReader {
  readonly frames: Frame[] = [];
  private buf = '';
  private waiters: Array<() => void> = [];
  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n\n')) >= 0) {
        const block = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        for (const f of parse(block)) this.frames.push(f);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }
  /** Resolves once `pred` holds for the frames read so far (event-driven, no sleeps). */
  async until(pred: (frames: Frame[]) => boolean): Promise<Frame[]> {
    while (!pred(this.frames)) await new Promise<void>((r) => this.waiters.push(r));
    return this.frames;
  }
  messages(): Frame[] {
    return this.frames.filter((f) => f.event !== undefined);
  }
}

function parse(block: string): Frame[] {
  const out: Frame[] = [];
  const msg: Frame = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) out.push({ comment: line.slice(1).trim() });
    else if (line.startsWith('event: ')) msg.event = line.slice(7);
    else if (line.startsWith('id: ')) msg.id = line.slice(4);
    else if (line.startsWith('data: ')) msg.data = line.slice(6);
  }
  if (msg.event !== undefined || msg.data !== undefined) out.push(msg);
  return out;
}

function status(name: string, risk: number): DeploymentStatus {
  return deploymentStatus({ name, risk });
}

const servers: Server[] = [];
const responses: IncomingMessage[] = [];
afterEach(async () => {
  for (const r of responses.splice(0)) r.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function start(
  store: StatusStore,
  heartbeatMs = 60_000,
  over: Partial<Parameters<typeof createStatusApp>[0]> = {},
): Promise<string> {
  const app = createStatusApp({
    store,
    registry: new Registry(),
    runCheck: async () => ({}),
    resetDeployment: async () => undefined,
    readiness: () => ({ ready: true, role: 'leader', checks: {} }),
    shadow: () => [],
    heartbeatMs,
    ...over,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    get(`${url}/api/events`, { headers: { Accept: 'text/event-stream', ...headers } }, resolve).on(
      'error',
      reject,
    );
  });
  responses.push(res);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
  const reader = new SseReader(res);
  await reader.until((f) => f.some((x) => x.comment === 'connected'));
  return reader;
}

describe('GET /api/events (Server-Sent Events)', () => {
  it('pushes every assessment, action and notification, named by type, with increasing ids', async () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    const reader = await open(await start(store));
    store.assessment(status('cart', 0.2));
    store.action('shop', 'cart', {
      at: '2026-11-21T12:00:00.000Z',
      step: 1,
      action: 'restart_scale',
      attempt: 1,
      dryRun: true,
      riskBefore: 0.9,
      outcome: 'pending',
      message: 'would restart',
    });
    store.notification('shop', 'cart', {
      at: '2026-11-21T12:00:01.000Z',
      kind: 'action',
      text: 'x',
      delivered: false,
    });
    const msgs = (await reader.until((f) => f.filter((x) => x.event).length >= 3)).filter(
      (x) => x.event,
    );
    expect(msgs.map((m) => m.event)).toEqual(['assessment', 'action', 'notification']);
    expect(msgs.map((m) => Number(m.id))).toEqual([1, 2, 3]);
    const first = JSON.parse(msgs[0]!.data!);
    expect(first).toMatchObject({ type: 'assessment', deployment: { name: 'cart', risk: 0.2 } });
    expect(JSON.parse(msgs[1]!.data!)).toMatchObject({ type: 'action', action: { dryRun: true } });
  });

  it('sends heartbeat comments', async () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    const reader = await open(await start(store, 10));
    await reader.until((f) => f.filter((x) => x.comment === 'heartbeat').length >= 2);
  });

  it('replays what a client missed after Last-Event-ID', async () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    const url = await start(store);
    for (let i = 0; i < 5; i++) store.assessment(status(`d${i}`, i / 10));
    const reader = await open(url, { 'Last-Event-ID': '3' });
    const msgs = await reader.until((f) => f.filter((x) => x.event).length >= 2);
    expect(msgs.filter((x) => x.event).map((m) => m.id)).toEqual(['4', '5']);
    store.assessment(status('d5', 0.5));
    await reader.until((f) => f.some((x) => x.id === '6'));
  });

  it.each([
    ['garbage', 'abc'],
    ['an id from a previous healer process', '999999'],
    ['an id older than the replay buffer', '1'],
  ])('tolerates %s as Last-Event-ID: sends resync, then streams live', async (_t, lastId) => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 }, replayMessages: 2 });
    const url = await start(store);
    for (let i = 0; i < 5; i++) store.assessment(status(`d${i}`, 0.1));
    const reader = await open(url, { 'Last-Event-ID': lastId });
    const [resync] = await reader.until((f) => f.some((x) => x.event === 'resync'));
    expect(reader.messages()[0]).toMatchObject({ event: 'resync', id: '5' });
    expect(resync).toBeDefined();
    store.assessment(status('live', 0.1));
    const msgs = await reader.until((f) => f.some((x) => x.id === '6'));
    expect(msgs.filter((x) => x.event === 'assessment')).toHaveLength(1);
  });

  it('unsubscribes a client that disconnected', async () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    const reader = await open(await start(store));
    expect(store.subscriberCount()).toBe(1);
    reader.res.destroy();
    // The server sees the close after a few I/O turns; bounded so a leak fails the test.
    for (let i = 0; i < 1000 && store.subscriberCount() > 0; i++) {
      await new Promise((r) => setImmediate(r));
    }
    expect(store.subscriberCount()).toBe(0);
    store.assessment(status('after', 0.1));
  });

  it('caps concurrent streams: one more gets 503 too_many_streams, a freed slot is reusable', async () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    const url = await start(store, 60_000, { maxStreams: 2 });
    const a = await open(url);
    await open(url);
    const refused = await new Promise<IncomingMessage>((resolve, reject) => {
      get(`${url}/api/events`, resolve).on('error', reject);
    });
    responses.push(refused);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('10');
    const body = await new Promise<string>((r) => {
      let b = '';
      refused.on('data', (c: Buffer) => (b += c.toString()));
      refused.on('end', () => r(b));
    });
    expect(JSON.parse(body)).toMatchObject({
      error: '2 event streams open ≥ maxStreams 2; retry later',
      details: { code: 'too_many_streams' },
    });
    a.res.destroy();
    for (let i = 0; i < 1000 && store.subscriberCount() > 1; i++) {
      await new Promise((r) => setImmediate(r));
    }
    await open(url); // the slot came back
  });
});
