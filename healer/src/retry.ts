/**
 * Retries with exponential backoff and full jitter. The delay function is injected so tests never
 * sleep on the wall clock.
 */

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });

export interface RetryOptions {
  /** Extra attempts after the first. */
  retries: number;
  /** First backoff; doubles each attempt (capped by `maxDelayMs`). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Whether an error is worth another attempt; default: always. */
  retryable?: (err: unknown) => boolean;
  sleep?: Sleep;
  /** [0, 1) source for the jitter. */
  random?: () => number;
}

/** The delay before retry number `attempt` (1-based): full jitter over an exponential cap. */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** Calls `fn` until it succeeds, the error is not retryable, or the retries are used up. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const base = opts.baseDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 5_000;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.retries || (opts.retryable && !opts.retryable(err))) throw err;
      await sleep(backoffDelay(attempt + 1, base, max, random));
    }
  }
}
