/**
 * The node agent's writes to the real apiserver, in flight. Steps and fault injection are
 * synchronous; their API calls land here, so the HTTP handler that injected a fault can wait for
 * its patch (and report its error) and `stop()` can wait for the last status writes.
 */
export class Outbox {
  private readonly pending = new Set<Promise<void>>();
  private errors: Error[] = [];

  constructor(private readonly log: (line: string) => void) {}

  /** Runs `write`; a failure is logged and kept for the next `drain()`. */
  send(what: string, write: () => Promise<unknown>): void {
    const p: Promise<void> = write().then(
      () => undefined,
      (err: Error) => {
        this.log(`agent: ${what} failed: ${err.message}`);
        this.errors.push(new Error(`${what}: ${err.message}`, { cause: err }));
      },
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  get size(): number {
    return this.pending.size;
  }

  /** Waits for every write in flight; throws the first failure since the last drain. */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
    const [first] = this.errors;
    this.errors = [];
    if (first) throw first;
  }
}
