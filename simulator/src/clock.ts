/** Where the simulator reads time from; injected so tests and training runs use virtual time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** Wall-clock time, optionally sped up: `speed` simulated seconds pass per real second. */
export class ScaledClock implements Clock {
  private readonly realStart = Date.now();
  constructor(
    private readonly speed = 1,
    private readonly start = Date.now(),
  ) {
    if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  }
  now(): number {
    return this.start + (Date.now() - this.realStart) * this.speed;
  }
}

/** Time that moves only when told: `advance(ms)`. */
export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(ms) needs ms >= 0, got ${ms}`);
    this.t += ms;
  }
}
