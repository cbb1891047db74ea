/**
 * Verifies a request from Slack (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `x-slack-signature` = `v0=` + hex HMAC-SHA256 of `v0:<x-slack-request-timestamp>:<raw body>` with
 * the signing secret, compared in constant time; a timestamp more than five minutes from now is a
 * replay. Pure: the clock is passed in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const REPLAY_WINDOW_S = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySlackSignature(i: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  nowMs: number;
}): SignatureCheck {
  if (!i.timestamp || !i.signature) return { ok: false, reason: 'missing signature headers' };
  if (!/^\d{1,12}$/.test(i.timestamp)) return { ok: false, reason: 'bad timestamp' };
  const skew = Math.abs(i.nowMs / 1000 - Number(i.timestamp));
  if (skew > REPLAY_WINDOW_S)
    return {
      ok: false,
      reason: `timestamp ${Math.round(skew)} s from now (> ${REPLAY_WINDOW_S} s): replay`,
    };
  const expected = Buffer.from(
    `v0=${createHmac('sha256', i.secret).update(`v0:${i.timestamp}:${i.body}`).digest('hex')}`,
  );
  const given = Buffer.from(i.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

/** Remembers signatures seen within the replay window: the same request twice is a replay. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly max = 10_000) {}

  /** True the first time this signature is seen within the window. */
  first(signature: string, nowMs: number): boolean {
    for (const [s, at] of this.seen) {
      if (at >= nowMs - REPLAY_WINDOW_S * 1000 && this.seen.size < this.max) break;
      this.seen.delete(s);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, nowMs);
    return true;
  }
}
