import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSlackReceiver, type RunningSlackReceiver } from '@aiops/simulator/slack/receiver';
import { slackPayload } from './blocks.js';
import { retryAfterMs, SlackNotifier } from './slack.js';
import type { NotifyMessage } from './types.js';

const MESSAGE: NotifyMessage = {
  kind: 'action',
  namespace: 'shop',
  name: 'cart',
  title: 'Restarted shop/cart',
  detail:
    'risk 0.93 ≥ 0.80 for 3/3 cycles; top http_5xx_error_rate=0.31 (+0.42) → restart + scale up (attempt 1/3)',
  risk: 0.93,
  level: 'critical',
  top: [
    { feature: 'http_5xx_error_rate', value: 0.31, contribution: 0.42 },
    { feature: 'cpu_usage_pct', value: 97, contribution: 0.1 },
  ],
  action: 'restart_scale',
  step: 1,
  attempt: 1,
  attempts: 3,
  links: { dashboard: 'http://dash.example', grafana: 'http://grafana.example/d/x' },
  dedupKey: 'shop/cart:action:1',
};

describe('SlackNotifier against a local webhook receiver', () => {
  let rx: RunningSlackReceiver;
  let now = 0;
  const make = (over: Partial<ConstructorParameters<typeof SlackNotifier>[0]> = {}) =>
    new SlackNotifier({
      webhookUrl: rx.webhookUrl,
      timeoutMs: 500,
      retries: 3,
      queueSize: 2,
      now: () => now,
      baseDelayMs: 1_000,
      random: () => 0.999,
      sleep: async () => undefined,
      ...over,
    });

  beforeEach(async () => {
    now = 1_000_000;
    rx = await startSlackReceiver();
  });
  afterEach(async () => {
    await rx.stop();
  });

  it('posts Block Kit with deployment, namespace, risk, level, top features, step and links', async () => {
    const res = await make().post(MESSAGE);
    expect(res).toMatchObject({ delivered: false, queued: true });
    expect(await res.delivery).toBe(true);
    const [msg] = rx.messages();
    expect(msg?.text).toContain('Restarted shop/cart');
    const json = JSON.stringify(msg?.blocks);
    for (const s of [
      '*Deployment*\\ncart',
      '*Namespace*\\nshop',
      '*Risk*\\n0.93',
      '*Level*\\ncritical',
      '`http_5xx_error_rate` = 0.31 ratio 0–1 (+0.42)',
      'attempt 1/3',
      'http://grafana.example/d/x',
      'http://dash.example/#/d/shop/cart',
    ]) {
      expect(json).toContain(s);
    }
    expect(msg?.blocks?.[0]).toMatchObject({ type: 'header' });
  });

  it.each<[string, Partial<NotifyMessage>, string]>([
    [
      'the recovered message names the curing step',
      { kind: 'recovered', action: 'rollback', step: 3, attempt: undefined },
      '*Step*\n3 – rollback',
    ],
    [
      'no step known: the action alone, never "?"',
      { kind: 'recovered', action: 'rollback', step: undefined, attempt: undefined },
      '*Step*\nrollback',
    ],
  ])('%s', (_n, over, text) => {
    const block = slackPayload({ ...MESSAGE, ...over }).blocks[1] as unknown;
    const fields = (block as { fields: { text: string }[] }).fields;
    expect(fields.map((f) => f.text)).toContain(text);
    expect(JSON.stringify(fields)).not.toContain('?');
  });

  it('never waits for Slack: post() returns while the webhook hangs', async () => {
    rx.failNext(1, 'timeout');
    const n = make({ timeoutMs: 2_000 });
    const t0 = Date.now();
    const res = await n.post(MESSAGE);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(res).toMatchObject({ queued: true });
    expect(n.pending()).toBe(1);
    await n.flush(); // the hung attempt times out; a retry is due after its backoff
    now += 10_000;
    await n.flush();
    expect(await res.delivery).toBe(true);
  });

  it('sends one message per paceMs, in order', async () => {
    const slept: number[] = [];
    const n = make({ queueSize: 10, paceMs: 1_000, sleep: async (ms) => void slept.push(ms) });
    for (const k of ['a', 'b', 'c']) await n.post({ ...MESSAGE, title: k, dedupKey: k });
    await n.flush();
    expect(rx.messages().map((m) => m.text?.split(' ')[1])).toEqual(['a:', 'b:', 'c:']);
    expect(slept).toEqual([1_000, 1_000]);
  });

  it('sends a message with the same dedup key once', async () => {
    const n = make();
    await n.post(MESSAGE);
    expect(await n.post(MESSAGE)).toEqual({ delivered: false, duplicate: true });
    await n.post({ ...MESSAGE, dedupKey: 'shop/cart:action:2', attempt: 2 });
    await n.flush();
    expect(rx.messages()).toHaveLength(2);
    expect(await n.post(MESSAGE)).toEqual({ delivered: false, duplicate: true });
  });

  it('retries after a 500 with backoff and delivers exactly once', async () => {
    const failures: string[] = [];
    const n = make({ onAttemptFailed: (_m, e) => failures.push(e) });
    rx.failNext(2, 500);
    const res = await n.post(MESSAGE);
    await n.flush();
    expect(failures).toHaveLength(1);
    expect(failures[0]).not.toContain(rx.webhookUrl);
    expect(n.pending()).toBe(1);
    await n.flush(); // backoff not over yet: nothing sent
    expect(failures).toHaveLength(1);
    now += 1_000;
    await n.flush(); // 2nd attempt fails
    expect(failures).toHaveLength(2);
    now += 2_000;
    await n.flush();
    expect(n.pending()).toBe(0);
    expect(await res.delivery).toBe(true);
    expect(rx.messages()).toHaveLength(1);
    expect(n.stats).toMatchObject({ delivered: 1, failedAttempts: 2, dropped: 0 });
  });

  it('retries after a timeout', async () => {
    const n = make();
    rx.failNext(1, 'timeout');
    await n.post(MESSAGE);
    await n.flush();
    now += 10_000;
    await n.flush();
    expect(rx.messages()).toHaveLength(1);
  });

  it('bounds the queue: drops the least important, never an action behind denials', async () => {
    const dropped: string[] = [];
    const n = make({ onDropped: (m, why) => dropped.push(`${m.dedupKey}:${why}`) });
    rx.failNext(10, 500);
    await n.post({ ...MESSAGE, kind: 'budget_denied', dedupKey: 'd1' });
    await n.post({ ...MESSAGE, kind: 'budget_denied', dedupKey: 'd2' });
    await n.flush();
    const action = await n.post({ ...MESSAGE, kind: 'action', dedupKey: 'a1' });
    expect(dropped).toEqual(['d1:queue_full']);
    const page = await n.post({ ...MESSAGE, kind: 'needs_attention', dedupKey: 'p1' });
    expect(dropped).toEqual(['d1:queue_full', 'd2:queue_full']);
    // a denial that arrives when the queue holds more important messages is the one dropped
    const late = await n.post({ ...MESSAGE, kind: 'budget_denied', dedupKey: 'd3' });
    expect(late).toMatchObject({ error: 'queue full' });
    expect(dropped.at(-1)).toBe('d3:queue_full');
    rx.failNext(0);
    now += 60_000;
    await n.flush();
    expect(await action.delivery).toBe(true);
    expect(await page.delivery).toBe(true);
  });

  it('gives up after its retries and counts the message as undelivered', async () => {
    const dropped: string[] = [];
    const n = make({ retries: 1, onDropped: (_m, why) => dropped.push(why) });
    rx.failNext(5, 500);
    const res = await n.post(MESSAGE);
    await n.flush();
    now += 10_000;
    await n.flush();
    expect(n.pending()).toBe(0);
    expect(dropped).toEqual(['retries_exhausted']);
    expect(n.stats.dropped).toBe(1);
    expect(await res.delivery).toBe(false);
  });

  it('drain() sends what is queued, ignoring backoff (SIGTERM)', async () => {
    const n = make({ queueSize: 10 });
    rx.failNext(1, 500);
    await n.post({ ...MESSAGE, dedupKey: 'x' });
    await n.post({ ...MESSAGE, dedupKey: 'y' });
    await n.flush(); // x failed and waits for its backoff; y went out
    expect(n.pending()).toBe(1);
    await n.drain(5_000);
    expect(n.pending()).toBe(0);
    expect(rx.messages()).toHaveLength(2);
  });
});

describe('SlackNotifier and Slack rate limits (429 Retry-After)', () => {
  let server: Server;
  let url: string;
  let answers: { status: number; retryAfter?: string }[];
  let received: string[];
  beforeEach(async () => {
    answers = [];
    received = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const a = answers.shift() ?? { status: 200 };
        if (a.status === 200) received.push((JSON.parse(body) as { text: string }).text);
        res.writeHead(a.status, a.retryAfter ? { 'retry-after': a.retryAfter } : {});
        res.end(a.status === 200 ? 'ok' : 'rate_limited');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T/B/x`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("pauses the whole queue for Retry-After, without spending the message's retries", async () => {
    let now = 1_000_000;
    const n = new SlackNotifier({
      webhookUrl: url,
      timeoutMs: 500,
      retries: 0,
      queueSize: 10,
      now: () => now,
      sleep: async () => undefined,
    });
    answers.push({ status: 429, retryAfter: '7' });
    const a = await n.post({ ...MESSAGE, dedupKey: 'a' });
    const b = await n.post({ ...MESSAGE, dedupKey: 'b' });
    await n.flush();
    expect(received).toEqual([]);
    expect(n.stats).toMatchObject({ rateLimited: 1, failedAttempts: 0, dropped: 0 });
    now += 6_999;
    await n.flush();
    expect(received).toEqual([]);
    now += 1;
    await n.flush();
    expect(received).toHaveLength(2);
    expect([await a.delivery, await b.delivery]).toEqual([true, true]);
  });

  it.each([
    ['7', 7_000],
    ['0', 0],
    [new Date(1_000_000 + 5_000).toUTCString(), 5_000],
    ['soon', undefined],
    [null, undefined],
  ])('Retry-After %s → %s ms', (h, ms) => {
    expect(retryAfterMs(h, 1_000_000)).toBe(ms);
  });
});
