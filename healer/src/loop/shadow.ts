/**
 * The shadow report of dry-run: what would have been done, and — once the stabilisation window
 * passed — whether the risk went away by itself. Served by the status API at `GET /api/shadow`;
 * the evidence autonomy is earned from (`src/autonomy/`), so it is kept across restarts and
 * leader changes (`autonomy/evidenceStore.ts`).
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

/** An entry as stored: with the threshold it is judged against. */
export type StoredShadowEntry = ShadowEntry & { high: number };

type Entry = StoredShadowEntry & { windowEndsMs: number };

export class ShadowLedger {
  private readonly entries: Entry[] = [];
  /** Entries not judged yet, by `namespace/name`: observing costs nothing for the others. */
  private readonly open = new Map<string, Entry[]>();
  /** Changed since {@link ShadowLedger.stored} was last taken. */
  changed = false;

  constructor(private readonly capacity = 1_000) {}

  add(e: Omit<ShadowEntry, 'windowEndsAt'>, windowMs: number, high: number): void {
    const windowEndsMs = Date.parse(e.at) + windowMs;
    this.push({ ...e, windowEndsAt: new Date(windowEndsMs).toISOString(), windowEndsMs, high });
  }

  /**
   * Puts stored entries back, before those recorded here that the store does not hold (oldest
   * first, as stored). An entry both hold is the stored one, unless only this replica judged it.
   */
  restore(stored: readonly StoredShadowEntry[]): void {
    const here = new Map(this.entries.splice(0).map((e) => [shadowKey(e), e]));
    this.open.clear();
    const merged = stored.map((e) => {
      const mine = here.get(shadowKey(e));
      here.delete(shadowKey(e));
      return mine && e.riskAfter === undefined && mine.riskAfter !== undefined ? mine : e;
    });
    for (const e of [...merged, ...here.values()])
      this.push({ ...e, windowEndsMs: Date.parse(e.windowEndsAt) });
  }

  /** What is kept: every entry with its threshold; clears {@link ShadowLedger.changed}. */
  stored(): StoredShadowEntry[] {
    this.changed = false;
    return this.entries.map(({ windowEndsMs: _w, ...e }) => ({ ...e }));
  }

  private push(entry: Entry): void {
    this.changed = true;
    this.entries.push(entry);
    const key = `${entry.namespace}/${entry.name}`;
    if (entry.riskAfter === undefined) this.open.set(key, [...(this.open.get(key) ?? []), entry]);
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
      this.changed = true;
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

/** One would-be step of one deployment: the same entry in memory and in the store. */
export const shadowKey = (e: ShadowEntry): string =>
  `${e.namespace}/${e.name}@${e.at}#${e.step}.${e.attempt}`;
