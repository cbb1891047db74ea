/**
 * A watch-fed cache of one list (one kind, one namespace or all, one label selector), like
 * client-go's informer: one LIST, then a WATCH from the list's resourceVersion that keeps the
 * cache current, so a steady-state cycle reads the targets without a list call.
 *
 * It fails closed: the cache is served only while its watch is known to be healthy. A watch that
 * is not running (not started yet, refused, broken by a transport error, or a stream that did not
 * end by its own `timeoutSeconds`), a `410 Gone` (the resourceVersion is too old) or a resync
 * that is due makes the next read LIST again — a read never returns objects the watch may have
 * missed, and a failed LIST fails the read.
 */
import type { WorkloadObject } from '../kinds/types.js';

/** One event of a watch stream (`BOOKMARK` carries only a resourceVersion). */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: WorkloadObject & { code?: number; message?: string };
}

/** A running watch: `done` settles when the stream ends (resolves) or breaks (rejects). */
export interface WatchHandle {
  done: Promise<void>;
  stop(): void;
}

/** The two calls an informer makes (`kinds/` implements them per kind). */
export interface ListWatch {
  /**
   * Every object, each through `keep` as its page arrives (so a page's parsed objects are garbage
   * before the next page is read), with the list's resourceVersion; `onExpired` is told when a
   * continue token expired and the list started again.
   */
  list(
    keep: (o: WorkloadObject) => WorkloadObject,
    onExpired?: (attempt: number) => void,
  ): Promise<{ items: WorkloadObject[]; resourceVersion: string }>;
  /** A watch from `resourceVersion`, ended by the server after `timeoutSeconds`. */
  watch(
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: (e: WatchEvent) => void,
  ): Promise<WatchHandle>;
}

export interface InformerOptions {
  now: () => number;
  /** A full LIST at least this often, even with a healthy watch (missed-event insurance). */
  resyncMs: number;
  /** Asked of the server per watch; a stream still open this long (+ grace) is presumed dead. */
  watchTimeoutSeconds: number;
  /** Called when the watch breaks or expires, with why (logs). */
  onRelist?: (why: string) => void;
  /**
   * Called when the API server refuses the watch (401/403: the Role lacks `watch`), once until a
   * watch delivers again: reads keep listing (fail closed), right but a LIST per read.
   */
  onWatchRefused?: (status: number, why: string) => void;
}

const GRACE_MS = 30_000;

/** Fields of `metadata` the healer never reads: the server's field ownership. */
const METADATA_DROPPED: ReadonlySet<string> = new Set(['managedFields']);
/**
 * `kubectl apply`'s copy of the whole object as last applied: often the largest field of a real
 * Deployment (its spec again, as JSON text), never read by the healer.
 */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const ANNOTATIONS_DROPPED: ReadonlySet<string> = new Set([LAST_APPLIED_ANNOTATION]);
/**
 * What the healer reads of a condition in `status.conditions` (a stalled rollout:
 * `Progressing`/`False`/`ProgressDeadlineExceeded`, `sources/workload.ts`); the message and the
 * two timestamps are per-object strings the cache need not keep.
 */
const CONDITION_KEPT: ReadonlySet<string> = new Set(['type', 'status', 'reason']);
const NOTHING: ReadonlySet<string> = new Set();

/**
 * An object as the cache keeps it (like controller-runtime's cache transform): without
 * `metadata.managedFields` and the `last-applied-configuration` annotation, with only the type,
 * status and reason of each `status.conditions` entry, and without the properties client-node's
 * deserializer sets to `undefined` on every model (a listed Deployment carries hundreds). What the
 * healer reads — the kinds' views, the heal state, the rules' annotations, labels — is the same
 * on the copy (`informer.test.ts` holds that); 10,000 cached Deployments take a fraction of the
 * heap. Listed and cached objects are never written back, so nothing dropped here is lost.
 */
export function cacheCopy<T>(o: T): T {
  if (!isRecord(o)) return compact(o) as T;
  return copyObject(o, NOTHING, (k, x) => {
    if (k === 'metadata' && isRecord(x))
      return copyObject(x, METADATA_DROPPED, (mk, mx) =>
        mk === 'annotations' && isRecord(mx) ? copyObject(mx, ANNOTATIONS_DROPPED) : compact(mx),
      );
    if (k === 'status' && isRecord(x))
      return copyObject(x, NOTHING, (sk, sx) =>
        sk === 'conditions' && Array.isArray(sx)
          ? sx.map((c) => (isRecord(c) ? pick(c, CONDITION_KEPT) : compact(c)))
          : compact(sx),
      );
    return compact(x);
  }) as T;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** `v` without undefined properties and the keys in `dropped`; `copy` copies each kept value. */
function copyObject(
  v: Record<string, unknown>,
  dropped: ReadonlySet<string>,
  copy: (k: string, x: unknown) => unknown = (_k, x) => compact(x),
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (x !== undefined && !dropped.has(k)) out[k] = copy(k, x);
  }
  return out;
}

/** Only the `kept` keys of `v` (those set). */
function pick(v: Record<string, unknown>, kept: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of kept) if (v[k] !== undefined) out[k] = compact(v[k]);
  return out;
}

function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => compact(x));
  return isRecord(v) ? copyObject(v, NOTHING) : v;
}

const keyOf = (o: WorkloadObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

export class Informer {
  private readonly cache = new Map<string, WorkloadObject>();
  private resourceVersion = '';
  private listedAt = Number.NEGATIVE_INFINITY;
  /** Why the cache cannot be served (undefined: the watch is healthy). */
  private stale: string | undefined = 'not listed yet';
  private watching: { handle: WatchHandle; startedAt: number } | undefined;
  /** Bumped per LIST: events of an older watch are ignored. */
  private generation = 0;

  constructor(
    private readonly lw: ListWatch,
    private readonly opts: InformerOptions,
  ) {}

  /** The current objects: from the cache while the watch is healthy, else from a fresh LIST. */
  async items(): Promise<WorkloadObject[]> {
    const now = this.opts.now();
    const why =
      this.stale ??
      (!this.watching
        ? 'watch not running'
        : now - this.listedAt >= this.opts.resyncMs
          ? 'resync'
          : now - this.watching.startedAt > this.opts.watchTimeoutSeconds * 1000 + GRACE_MS
            ? `watch silent past its ${this.opts.watchTimeoutSeconds} s timeout`
            : undefined);
    if (why === undefined) return [...this.cache.values()];
    // Reads at once share one LIST.
    if (!this.listing) {
      if (why !== 'not listed yet' && why !== 'listing') this.opts.onRelist?.(why);
      this.listing = this.relist().finally(() => (this.listing = undefined));
    }
    await this.listing;
    return [...this.cache.values()];
  }

  private listing: Promise<void> | undefined;

  /** Whether the next read is served from the cache (listed, and the watch is running). */
  get synced(): boolean {
    return this.stale === undefined && this.watching !== undefined;
  }

  /** Ends the watch (shutdown). */
  stop(): void {
    this.generation++;
    this.watching?.handle.stop();
    this.watching = undefined;
    this.stale = 'stopped';
  }

  private async relist(): Promise<void> {
    this.watching?.handle.stop();
    this.watching = undefined;
    const generation = ++this.generation;
    this.stale = 'listing';
    const listed = await this.lw.list(cacheCopy, (attempt) =>
      this.opts.onRelist?.(`list continue token expired (410), listing again (${attempt})`),
    );
    this.cache.clear();
    for (const o of listed.items) this.cache.set(keyOf(o), o);
    this.resourceVersion = listed.resourceVersion;
    this.listedAt = this.opts.now();
    this.stale = undefined;
    // Not awaited: the LIST is fresh now; the cache is served from the next read on only once
    // the watch is running (a watch that never starts makes every read LIST).
    void this.startWatch(generation);
  }

  /** Watches from the current resourceVersion; a watch that cannot start leaves the cache stale. */
  private async startWatch(generation: number): Promise<void> {
    let handle: WatchHandle;
    try {
      handle = await this.lw.watch(this.resourceVersion, this.opts.watchTimeoutSeconds, (e) => {
        if (generation === this.generation) this.apply(e);
      });
    } catch (err) {
      if (generation === this.generation) this.stale = `watch failed to start: ${message(err)}`;
      this.refused(err);
      return;
    }
    if (generation !== this.generation) {
      handle.stop();
      return;
    }
    this.watching = { handle, startedAt: this.opts.now() };
    handle.done.then(
      () => {
        // The server ended the stream (its timeout): resume from the last resourceVersion.
        this.refusedReported = false;
        if (generation !== this.generation || this.stale !== undefined) return;
        this.watching = undefined;
        void this.startWatch(generation);
      },
      (err: unknown) => {
        if (generation === this.generation) this.stale ??= `watch broke: ${message(err)}`;
        this.refused(err);
      },
    );
  }

  private refusedReported = false;

  /** Reports a watch the server refused (401/403: RBAC), once until a watch delivers again. */
  private refused(err: unknown): void {
    const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
    if (status !== 401 && status !== 403) return;
    if (this.refusedReported) return;
    this.refusedReported = true;
    this.opts.onWatchRefused?.(status, message(err));
  }

  private apply(e: WatchEvent): void {
    if (e.type === 'ERROR') {
      // 410 Gone: the resourceVersion is older than the server's history; anything else is
      // unknown. Either way the events in between are lost: LIST again.
      this.stale ??= `watch error ${e.object.code ?? ''} ${e.object.message ?? ''}`.trim();
      this.watching?.handle.stop();
      return;
    }
    this.refusedReported = false; // the watch works: a later refusal is news again
    const rv = e.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (e.type === 'ADDED' || e.type === 'MODIFIED')
      this.cache.set(keyOf(e.object), cacheCopy(e.object));
    else if (e.type === 'DELETED') this.cache.delete(keyOf(e.object));
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
