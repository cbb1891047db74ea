import type { ElectionClock } from './types.js';

/**
 * Virtual time for tests and the benchmark: timers fire only on `advance(ms)`, in time order,
 * each given a few event-loop turns to finish its async work.
 */
export class ManualElectionClock implements ElectionClock {
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];

  constructor(public t = Date.UTC(2026, 10, 21, 12)) {}

  now = (): number => this.t;

  schedule = (fn: () => void, ms: number): (() => void) => {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  };

  /** Moves time forward by `ms`, running due timers; `settle` awaits each one's follow-up work. */
  async advance(ms: number, settle: () => Promise<void> = turns(20)): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.live = false;
      due.fn();
      await settle();
    }
    this.timers = this.timers.filter((x) => x.live);
    this.t = end;
  }
}

/** Lets `n` rounds of I/O callbacks run (enough for a loopback HTTP round trip to settle). */
export function turns(n: number): () => Promise<void> {
  return async () => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };
}
