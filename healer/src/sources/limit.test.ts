import { describe, expect, it } from '@jest/globals';
import { createLimiter } from './limit.js';

describe('createLimiter', () => {
  it.each([1, 2, 5])(
    'keeps at most %i tasks in flight, and runs every one in order',
    async (max) => {
      const limit = createLimiter(max);
      let inFlight = 0;
      let peak = 0;
      const started: number[] = [];
      const release: (() => void)[] = [];
      const tasks = Array.from({ length: 12 }, (_, i) =>
        limit(async () => {
          started.push(i);
          peak = Math.max(peak, ++inFlight);
          await new Promise<void>((r) => release.push(r));
          inFlight--;
          return i;
        }),
      );
      while (release.length > 0 || inFlight > 0) {
        await new Promise((r) => setImmediate(r));
        release.shift()?.();
      }
      expect(await Promise.all(tasks)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(peak).toBe(max);
      expect(started).toEqual([...started].sort((a, b) => a - b));
    },
  );

  it.each([0, -1, 1.5, Number.NaN])('refuses max=%s', (max) => {
    expect(() => createLimiter(max)).toThrow(/must be an integer ≥ 1/);
  });
});
