/**
 * Keeps the shadow ledger (the evidence autonomy is earned from) in its store: read before the
 * leader's first acting cycle, written at the end of each acting cycle that changed it. Without
 * this, a restart or a leader change put every namespace back to `shadow` and the days of dry-run
 * that earned a level were lost. A store that cannot be read leaves the ledger in memory (logged
 * once); until it has been read, a write keeps what the store holds beside the new entries.
 */
import type { Logger } from 'pino';
import type { ListStore } from '../humans/configMapList.js';
import { LeaderList } from '../humans/leaderList.js';
import { shadowKey, type ShadowLedger, type StoredShadowEntry } from '../loop/shadow.js';

export class EvidenceKeeper {
  private readonly held: LeaderList<StoredShadowEntry>;

  constructor(
    private readonly ledger: ShadowLedger,
    store: ListStore<StoredShadowEntry>,
    private readonly logger: Logger,
  ) {
    this.held = new LeaderList(store, { what: 'autonomy evidence', key: shadowKey, logger });
  }

  /** Before an acting cycle: takes the stored evidence over (once per leadership). */
  async ready(): Promise<void> {
    if (this.held.takenOver) return;
    const stored = await this.held.takeOver();
    if (!stored) return;
    this.ledger.restore(stored);
    this.logger.info({ entries: this.ledger.list().length }, 'autonomy evidence taken over');
  }

  /** A follower's cycle: the leader writes; read again on taking over. */
  observe(): void {
    this.held.release();
  }

  /** After an acting cycle: writes the ledger if it changed (again next cycle if that failed). */
  async flush(): Promise<void> {
    if (!this.ledger.changed) return;
    if (!(await this.held.write(this.ledger.stored()))) this.ledger.changed = true;
  }
}
