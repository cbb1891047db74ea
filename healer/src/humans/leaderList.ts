/**
 * A list the leader holds in memory and keeps in a {@link ListStore}, so a new leader takes it over
 * (approvals, the autonomy evidence). What both need from the store, in one place:
 *
 * - **Take over once per leadership.** {@link takeOver} reads the store and marks the list taken;
 *   {@link release} (a follower's cycle) marks it to be read again on the next takeover.
 * - **A store that is down erases nothing.** Until the list was taken over, {@link write} keeps
 *   what the store holds beside the leader's entries (matched by key); after, the leader's list is
 *   the list.
 * - **One log line per outage.** A failed read or write is logged once, and its recovery once; the
 *   list meanwhile lives in memory only.
 */
import type { Logger } from 'pino';
import { describeError } from '../actions/kube.js';
import type { ListStore } from './configMapList.js';

export interface LeaderListOptions<T> {
  /** What the list is, for the log lines (`approvals`, `autonomy evidence`). */
  what: string;
  /** Identity of an entry, for keeping the store's entries beside the leader's. */
  key: (entry: T) => string;
  logger: Logger;
}

export class LeaderList<T> {
  private taken = false;
  private failing = false;

  constructor(
    private readonly store: ListStore<T>,
    private readonly o: LeaderListOptions<T>,
  ) {}

  /** Whether the stored list was read since this replica took over. */
  get takenOver(): boolean {
    return this.taken;
  }

  /** Reads the stored list and marks it taken over; undefined (logged) while the store is down. */
  async takeOver(): Promise<T[] | undefined> {
    const stored = await this.read();
    if (stored) this.taken = true;
    return stored;
  }

  /** Reads the stored list without taking it over (a standby's view). */
  async peek(): Promise<T[] | undefined> {
    return this.read();
  }

  /** Another replica leads: read the store again before acting on it. */
  release(): void {
    this.taken = false;
  }

  /** Stores `entries`; false (logged) when the store is down, so the caller writes again later. */
  async write(entries: T[]): Promise<boolean> {
    const ours = new Set(entries.map(this.o.key));
    try {
      await this.store.update((current) =>
        this.taken ? entries : [...current.filter((e) => !ours.has(this.o.key(e))), ...entries],
      );
      this.recovered();
      return true;
    } catch (err) {
      this.down(err);
      return false;
    }
  }

  private async read(): Promise<T[] | undefined> {
    try {
      const stored = await this.store.load();
      this.recovered();
      return stored;
    } catch (err) {
      this.down(err);
      return undefined;
    }
  }

  private down(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.o.logger.warn(
      { store: this.store.describe(), err: describeError(err) },
      `${this.o.what} store unavailable: held in memory only until it is back`,
    );
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.o.logger.info({ store: this.store.describe() }, `${this.o.what} store available again`);
  }
}
