/**
 * The fleet guard across cycles: a fleet hold is one episode — one grouped message at its start,
 * one Event per deployment the first time it is held — and it is released only after
 * `releaseCycles` calm cycles in a row, so one cycle with fewer deployments at risk (a scrape gap,
 * an inconclusive cycle) neither lets actions through nor starts a second message. No I/O: the
 * loop reports what `update` says.
 */
import type { FleetVerdict } from './fleet.js';

export interface FleetStep {
  /** The verdict the gate applies this cycle (a calm cycle inside the grace keeps the hold). */
  verdict: FleetVerdict;
  /** A new fleet episode started this cycle: send the grouped message. */
  started: boolean;
  /**
   * At-risk deployments held for the first time this episode: one Event each — at most
   * `eventsPerCycle` a cycle, the rest on the next cycles (a fleet of 10,000 is not 10,000 Event
   * writes in one cycle).
   */
  newlyHeld: string[];
  /** The episode ended this cycle. */
  released: boolean;
}

export class FleetEpisode {
  private episode:
    { startedAt: number; evented: Set<string>; last: FleetVerdict; calm: number } | undefined;

  constructor(
    private readonly releaseCycles: number,
    private readonly eventsPerCycle = Number.POSITIVE_INFINITY,
  ) {}

  /** When the current episode started (ms), if any: the grouped message's dedup key. */
  startedAt(): number | undefined {
    return this.episode?.startedAt;
  }

  update(v: FleetVerdict, now: number): FleetStep {
    const ep = this.episode;
    // A degraded dependency was announced by its own warning: held, but no episode to report.
    if (v.dependency) {
      this.episode = undefined;
      return { verdict: v, started: false, newlyHeld: [], released: ep !== undefined };
    }
    if (!v.reason) {
      if (!ep) return { verdict: v, started: false, newlyHeld: [], released: false };
      ep.calm++;
      if (ep.calm >= this.releaseCycles) {
        this.episode = undefined;
        return { verdict: v, started: false, newlyHeld: [], released: true };
      }
      return {
        verdict: {
          ...ep.last,
          atRisk: [],
          reason: `${ep.last.reason} (releasing: ${ep.calm}/${this.releaseCycles} calm cycles)`,
        },
        started: false,
        newlyHeld: [],
        released: false,
      };
    }
    const started = !ep;
    const current = ep ?? { startedAt: now, evented: new Set<string>(), last: v, calm: 0 };
    current.last = v;
    current.calm = 0;
    this.episode = current;
    const newlyHeld = v.atRisk.filter((k) => !current.evented.has(k)).slice(0, this.eventsPerCycle);
    for (const k of newlyHeld) current.evented.add(k);
    return { verdict: v, started, newlyHeld, released: false };
  }
}
