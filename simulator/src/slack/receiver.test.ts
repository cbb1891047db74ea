import { afterEach, describe, expect, it } from '@jest/globals';
import { IncomingWebhook } from '@slack/webhook';
import { renderForTerminal, startSlackReceiver, type RunningSlackReceiver } from './receiver.js';

describe('fake Slack incoming webhook', () => {
  let rx: RunningSlackReceiver | undefined;
  afterEach(async () => {
    await rx?.stop();
    rx = undefined;
  });

  it('accepts a Block Kit message from the real @slack/webhook client', async () => {
    const seen: string[] = [];
    rx = await startSlackReceiver({ onMessage: (m) => seen.push(renderForTerminal(m)) });
    const hook = new IncomingWebhook(rx.webhookUrl);
    const result = await hook.send({
      text: 'fallback',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*dev/web* risk 0.93' } }],
    });
    expect(result.text).toBe('ok');
    expect(rx.messages()).toHaveLength(1);
    expect(rx.messages()[0]?.blocks).toHaveLength(1);
    expect(seen).toEqual(['*dev/web* risk 0.93']);
  });

  it.each([
    ['not json', 'invalid_payload'],
    ['[]', 'invalid_payload'],
    ['{}', 'no_text'],
    ['{"blocks": []}', 'no_text'],
  ])('answers 400 %s like Slack does', async (body, error) => {
    rx = await startSlackReceiver();
    const res = await fetch(rx.webhookUrl, { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(error);
    expect(rx.messages()).toHaveLength(0);
  });

  it('fails on demand, then delivers', async () => {
    rx = await startSlackReceiver();
    rx.failNext(2);
    const send = () =>
      fetch(rx!.webhookUrl, { method: 'POST', body: JSON.stringify({ text: 'hi' }) });
    expect((await send()).status).toBe(500);
    expect((await send()).status).toBe(500);
    expect((await send()).status).toBe(200);
    expect(rx.messages().map((m) => m.text)).toEqual(['hi']);
  });

  it('lets a request hang to simulate a timeout', async () => {
    rx = await startSlackReceiver();
    rx.failNext(1, 'timeout');
    const res = await fetch(rx.webhookUrl, {
      method: 'POST',
      body: JSON.stringify({ text: 'slow' }),
      signal: AbortSignal.timeout(200),
    }).catch((err: unknown) => err);
    // the abort surfaces as a TimeoutError (a DOMException from another realm, so no instanceof)
    expect((res as { name?: string }).name).toBe('TimeoutError');
    expect(rx.messages()).toHaveLength(0);
  });

  it('answers 404 no_service off the webhook path', async () => {
    rx = await startSlackReceiver();
    const res = await fetch(`${rx.url}/nope`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });
});
