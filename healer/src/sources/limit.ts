/**
 * At most `max` tasks at once, the rest queued in order: caps the Prometheus queries one cycle has
 * in flight, so neither Prometheus (its own `--query.max-concurrency` queue) nor the healer's
 * memory (answers parsed at once) sees the whole cycle in one burst.
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(max: number): Limiter {
  if (!Number.isInteger(max) || max < 1)
    throw new RangeError(`max (${max}) must be an integer ≥ 1`);
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next in line (no decrement and re-take
    // that another caller could slip between).
    if (running >= max) await new Promise<void>((resolve) => queue.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}
