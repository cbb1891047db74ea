/**
 * The shadow report of dry-run: what would have been done, and — once the stabilisation window
 * passed — whether the risk went away by itself. Served by the status API at `GET /api/shadow`.
 */
import type { HealAction } from '../api/types.js';

export interface ShadowEntry {
  at: string;
  namespace: string;
  name: string;
  action: HealAction;
  step: number;
  attempt: number;
  riskBefore: number;
  /** The decision's reason (rule and values). */
  reason: string;
  /** When the would-be step would have been judged. */
  windowEndsAt: string;
  /** Risk at the first conclusive assessment after the window. */
  riskAfter?: number;
  /** true: risk fell below the high threshold without any action. Undefined until judged. */
  resolvedByItself?: boolean;
}

export class ShadowLedger {
  private readonly entries: (ShadowEntry & { windowEndsMs: number; high: number })[] = [];

  constructor(private readonly capacity = 1_000) {}

  add(e: Omit<ShadowEntry, 'windowEndsAt'>, windowMs: number, high: number): void {
    const windowEndsMs = Date.parse(e.at) + windowMs;
    this.entries.push({
      ...e,
      windowEndsAt: new Date(windowEndsMs).toISOString(),
      windowEndsMs,
      high,
    });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  /** Judges this deployment's entries whose window has passed, with a conclusive risk. */
  observe(namespace: string, name: string, risk: number, now: number): void {
    for (const e of this.entries) {
      if (e.namespace !== namespace || e.name !== name || e.riskAfter !== undefined) continue;
      if (now < e.windowEndsMs) continue;
      e.riskAfter = risk;
      e.resolvedByItself = risk < e.high;
    }
  }

  /** Oldest first, as plain entries. */
  list(): ShadowEntry[] {
    return this.entries.map(({ windowEndsMs: _w, high: _h, ...e }) => ({ ...e }));
  }
}
