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

type Entry = ShadowEntry & { windowEndsMs: number; high: number };

export class ShadowLedger {
  private readonly entries: Entry[] = [];
  /** Entries not judged yet, by `namespace/name`: observing costs nothing for the others. */
  private readonly open = new Map<string, Entry[]>();

  constructor(private readonly capacity = 1_000) {}

  add(e: Omit<ShadowEntry, 'windowEndsAt'>, windowMs: number, high: number): void {
    const windowEndsMs = Date.parse(e.at) + windowMs;
    const entry: Entry = {
      ...e,
      windowEndsAt: new Date(windowEndsMs).toISOString(),
      windowEndsMs,
      high,
    };
    this.entries.push(entry);
    const key = `${e.namespace}/${e.name}`;
    this.open.set(key, [...(this.open.get(key) ?? []), entry]);
    if (this.entries.length > this.capacity) {
      const gone = this.entries.shift()!;
      const k = `${gone.namespace}/${gone.name}`;
      const left = (this.open.get(k) ?? []).filter((x) => x !== gone);
      if (left.length > 0) this.open.set(k, left);
      else this.open.delete(k);
    }
  }

  /** Judges this deployment's entries whose window has passed, with a conclusive risk. */
  observe(namespace: string, name: string, risk: number, now: number): void {
    const key = `${namespace}/${name}`;
    const open = this.open.get(key);
    if (!open) return;
    for (const e of open) {
      if (now < e.windowEndsMs) continue;
      e.riskAfter = risk;
      e.resolvedByItself = risk < e.high;
    }
    const left = open.filter((e) => e.riskAfter === undefined);
    if (left.length > 0) this.open.set(key, left);
    else this.open.delete(key);
  }

  /** Oldest first, as plain entries. */
  list(): ShadowEntry[] {
    return this.entries.map(({ windowEndsMs: _w, high: _h, ...e }) => ({ ...e }));
  }
}
