import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { ReplayGuard, verifySlackSignature } from './slackSignature.js';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
const ts = 1_700_000_000;
const sign = (s: string, t: number, b: string) =>
  `v0=${createHmac('sha256', s).update(`v0:${t}:${b}`).digest('hex')}`;

describe('verifySlackSignature', () => {
  const good = {
    secret,
    timestamp: String(ts),
    signature: sign(secret, ts, body),
    body,
    nowMs: ts * 1000,
  };
  it.each([
    ['valid', good, { ok: true }],
    [
      'no signature',
      { ...good, signature: undefined },
      { ok: false, reason: 'missing signature headers' },
    ],
    [
      'no timestamp',
      { ...good, timestamp: undefined },
      { ok: false, reason: 'missing signature headers' },
    ],
    ['not a number', { ...good, timestamp: '12a' }, { ok: false, reason: 'bad timestamp' }],
    [
      'other secret',
      { ...good, signature: sign('other', ts, body) },
      { ok: false, reason: 'signature mismatch' },
    ],
    ['body changed', { ...good, body: `${body}x` }, { ok: false, reason: 'signature mismatch' }],
    [
      'short signature',
      { ...good, signature: 'v0=abc' },
      { ok: false, reason: 'signature mismatch' },
    ],
    ['5 min old: still inside', { ...good, nowMs: (ts + 300) * 1000 }, { ok: true }],
  ])('%s', (_name, input, expected) => {
    expect(verifySlackSignature(input)).toEqual(expected);
  });
  it('more than 5 minutes either way is a replay', () => {
    for (const nowMs of [(ts + 301) * 1000, (ts - 301) * 1000])
      expect(verifySlackSignature({ ...good, nowMs })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/replay/),
      });
  });
});

describe('ReplayGuard', () => {
  it('accepts a signature once within the window, forgets it after', () => {
    const g = new ReplayGuard();
    expect(g.first('a', 0)).toBe(true);
    expect(g.first('a', 1_000)).toBe(false);
    expect(g.first('b', 1_000)).toBe(true);
    expect(g.first('a', 301_001)).toBe(true);
  });
});
