/**
 * A {@link ListStore} in memory, with failures on demand: the store of the tests (the I/O edge),
 * and of any run without a cluster. Copies in and out, like a round trip through the API would.
 */
import type { ListStore } from './configMapList.js';

export class MemoryList<T> implements ListStore<T> {
  saved: T[] = [];
  /** The next this many loads (or saves) fail as the API server would. */
  failLoads = 0;
  failSaves = 0;

  constructor(private readonly where = 'memory') {}

  describe(): string {
    return this.where;
  }

  async load(): Promise<T[]> {
    if (this.failLoads > 0) {
      this.failLoads -= 1;
      throw new Error('HTTP 503: etcd timeout');
    }
    return structuredClone(this.saved);
  }

  async update(change: (current: T[]) => T[]): Promise<T[]> {
    const next = change(structuredClone(this.saved));
    if (this.failSaves > 0) {
      this.failSaves -= 1;
      throw new Error('HTTP 503: etcd timeout');
    }
    this.saved = structuredClone(next);
    return next;
  }
}
