/**
 * Keeps the shadow ledger (the evidence autonomy is earned from) in its store: read before the
 * leader's first acting cycle, written at the end of each acting cycle that changed it. Without
 * this, a restart or a leader change put every namespace back to `shadow` and the days of dry-run
 * that earned a level were lost. A store that cannot be read leaves the ledger in memory (logged
 * once); until it has been read, a write keeps what the store holds beside the new entries.
 */
import type { Logger } from 'pino';
import { describeError } from '../actions/kube.js';
import type { ListStore } from '../humans/configMapList.js';
import { shadowKey, type ShadowLedger, type StoredShadowEntry } from '../loop/shadow.js';

export class EvidenceKeeper {
  /** The store was read since this replica last took over. */
  private loaded = false;
  private failing = false;

  constructor(
    private readonly ledger: ShadowLedger,
    private readonly store: ListStore<StoredShadowEntry>,
    private readonly logger: Logger,
  ) {}

  /** Before an acting cycle: takes the stored evidence over (once per leadership). */
  async ready(): Promise<void> {
    if (this.loaded) return;
    try {
      this.ledger.restore(await this.store.load());
      this.loaded = true;
      this.ok();
      this.logger.info({ entries: this.ledger.list().length }, 'autonomy evidence taken over');
    } catch (err) {
      this.fail(err);
    }
  }

  /** A follower's cycle: the leader writes; read again on taking over. */
  observe(): void {
    this.loaded = false;
  }

  /** After an acting cycle: writes the ledger if it changed. */
  async flush(): Promise<void> {
    if (!this.ledger.changed) return;
    const entries = this.ledger.stored();
    const seen = new Set(entries.map(shadowKey));
    try {
      await this.store.update((current) =>
        this.loaded ? entries : [...current.filter((e) => !seen.has(shadowKey(e))), ...entries],
      );
      this.ok();
    } catch (err) {
      this.ledger.changed = true;
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn(
      { store: this.store.describe(), err: describeError(err) },
      'autonomy evidence store unavailable: evidence held in memory only until it is back',
    );
  }

  private ok(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info({ store: this.store.describe() }, 'autonomy evidence store available again');
  }
}
