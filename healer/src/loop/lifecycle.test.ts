import { describe, expect, it } from '@jest/globals';
import { shutdown, type ShutdownParts } from './lifecycle.js';

/** Parts that record the order of calls; `idle` resolves when the test releases the cycle. */
function parts(over: Partial<ShutdownParts> = {}) {
  const calls: string[] = [];
  let t = 0;
  let finishCycle: () => void = () => undefined;
  const cycle = new Promise<void>((r) => (finishCycle = r));
  const timers: { at: number; resolve: () => void }[] = [];
  const p: ShutdownParts = {
    stopSchedule: async () => void calls.push('stop schedule'),
    idle: async () => {
      calls.push('wait for cycle');
      await cycle;
      calls.push('cycle done');
    },
    drainNotifications: async (ms) => void calls.push(`drain slack (${ms} ms left)`),
    releaseLease: async () => void calls.push('release lease'),
    closeServer: async () => void calls.push('close server'),
    now: () => t,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        timers.push({ at: t + ms, resolve });
      }),
    ...over,
  };
  const advance = async (ms: number) => {
    t += ms;
    for (const x of timers.filter((x) => x.at <= t)) x.resolve();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { p, calls, finishCycle, advance };
}

describe('shutdown (SIGTERM)', () => {
  it('waits for the running cycle before releasing the Lease; Slack is drained in between', async () => {
    const { p, calls, finishCycle, advance } = parts();
    const done = shutdown(p, 25_000);
    await advance(1_000);
    expect(calls).toEqual(['stop schedule', 'wait for cycle']); // the Lease is still held
    finishCycle();
    await advance(1_000);
    await done;
    expect(calls).toEqual([
      'stop schedule',
      'wait for cycle',
      'cycle done',
      'drain slack (23000 ms left)',
      'release lease',
      'close server',
    ]);
  });

  it('a cycle that overruns the timeout is abandoned, and the Lease is still released', async () => {
    const logged: string[] = [];
    const { p, calls, advance } = parts({ log: (s) => void logged.push(s) });
    let finished = false;
    const done = shutdown(p, 10_000).then(() => (finished = true));
    for (let i = 0; i < 30 && !finished; i++) await advance(1_000);
    await done;
    expect(calls).toContain('release lease');
    expect(calls).not.toContain('cycle done');
    expect(logged).toContain(
      'waiting for the running cycle did not finish within the shutdown timeout',
    );
  });
});
