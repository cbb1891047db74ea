import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startSlackReceiver, type RunningSlackReceiver } from '@aiops/simulator/slack/receiver';
import { SlackNotifier } from './slack.js';
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
    expect(res).toEqual({ delivered: true });
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

  it('sends a message with the same dedup key once', async () => {
    const n = make();
    await n.post(MESSAGE);
    expect(await n.post(MESSAGE)).toEqual({ delivered: false, duplicate: true });
    await n.post({ ...MESSAGE, dedupKey: 'shop/cart:action:2', attempt: 2 });
    expect(rx.messages()).toHaveLength(2);
  });

  it('retries after a 500 with backoff and delivers exactly once', async () => {
    const failures: string[] = [];
    const n = make({ onAttemptFailed: (_m, e) => failures.push(e) });
    rx.failNext(2, 500);
    const res = await n.post(MESSAGE);
    expect(res).toMatchObject({ delivered: false, queued: true });
    expect(res.error).not.toContain(rx.webhookUrl);
    expect(n.pending()).toBe(1);
    await n.flush(); // backoff not over yet: nothing sent
    expect(failures).toHaveLength(1);
    now += 1_000;
    await n.flush(); // 2nd attempt fails
    expect(failures).toHaveLength(2);
    now += 2_000;
    await n.flush();
    expect(n.pending()).toBe(0);
    expect(rx.messages()).toHaveLength(1);
    expect(n.stats).toMatchObject({ delivered: 1, failedAttempts: 2, dropped: 0 });
    // dedup also covers a message delivered from the queue
    expect(await n.post(MESSAGE)).toMatchObject({ duplicate: true });
  });

  it('retries after a timeout', async () => {
    const n = make();
    rx.failNext(1, 'timeout');
    expect(await n.post(MESSAGE)).toMatchObject({ delivered: false, queued: true });
    now += 10_000;
    await n.flush();
    expect(rx.messages()).toHaveLength(1);
  });

  it('bounds the queue and counts what it drops', async () => {
    const dropped: string[] = [];
    const n = make({ onDropped: (m, why) => dropped.push(`${m.dedupKey}:${why}`) });
    rx.failNext(3, 500);
    for (const k of ['a', 'b', 'c']) await n.post({ ...MESSAGE, dedupKey: k });
    expect(n.pending()).toBe(2);
    expect(dropped).toEqual(['a:queue_full']);
    now += 10_000;
    await n.flush();
    expect(rx.messages().map((m) => m.payload.text)).toHaveLength(2);
  });

  it('gives up after its retries and counts the message as undelivered', async () => {
    const dropped: string[] = [];
    const n = make({ retries: 1, onDropped: (m, why) => dropped.push(why) });
    rx.failNext(5, 500);
    await n.post(MESSAGE);
    now += 10_000;
    await n.flush();
    expect(n.pending()).toBe(0);
    expect(dropped).toEqual(['retries_exhausted']);
    expect(n.stats.dropped).toBe(1);
  });
});
