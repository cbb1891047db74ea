import type { Clock } from '../clock.js';
import type { Rng } from '../rng.js';
import { alreadyExists, conflict, notFound } from './errors.js';
import { RESOURCES, type ResourceDef } from './resources.js';
import type { KubeObject } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  /** Storage key, e.g. `apps/deployments`. */
  key: string;
  object: KubeObject;
  rv: number;
}

/** Where a resource is stored; both Event APIs share one store, as in the real apiserver. */
export function storageKey(def: ResourceDef): string {
  return def.resource === 'events' ? '/events' : `${def.group}/${def.resource}`;
}

const HISTORY = 5_000;

/**
 * The object store: one global resourceVersion counter, optimistic concurrency on update, and an
 * event history so a watch can resume from a list's resourceVersion.
 */
export class ObjectStore {
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly history: StoreEvent[] = [];
  private rv = 1;
  /** Each bucket's objects in name order, rebuilt after a write to it (the controllers' hot path). */
  private readonly sorted = new Map<string, KubeObject[]>();
  /** Ids of each bucket's objects by their controller owner's uid (`ownedBy`). */
  private readonly owners = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
  ) {}

  get resourceVersion(): string {
    return String(this.rv);
  }

  private bucket(key: string): Map<string, KubeObject> {
    let b = this.data.get(key);
    if (!b) this.data.set(key, (b = new Map()));
    return b;
  }

  private defOf(key: string): ResourceDef {
    return RESOURCES.find((d) => storageKey(d) === key) ?? RESOURCES[0]!;
  }

  get<T extends KubeObject = KubeObject>(
    key: string,
    ns: string | undefined,
    name: string,
  ): T | undefined {
    const o = this.bucket(key).get(`${ns ?? ''}/${name}`);
    return o ? (structuredClone(o) as T) : undefined;
  }

  mustGet<T extends KubeObject = KubeObject>(key: string, ns: string | undefined, name: string): T {
    const o = this.get<T>(key, ns, name);
    if (!o) throw notFound(this.defOf(key), name);
    return o;
  }

  list<T extends KubeObject = KubeObject>(key: string, ns?: string): T[] {
    return this.peek<T>(key, ns).map((o) => structuredClone(o));
  }

  /**
   * Like `list`, without copying: for read-only callers on the hot path (kubelet, metrics).
   * Never mutate what it returns.
   */
  peek<T extends KubeObject = KubeObject>(key: string, ns?: string): readonly T[] {
    let all = this.sorted.get(key);
    if (!all) {
      all = [...this.bucket(key).entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map(([, o]) => o);
      this.sorted.set(key, all);
    }
    return (ns === undefined ? all.slice() : all.filter((o) => o.metadata.namespace === ns)) as T[];
  }

  /**
   * The objects whose controller ownerReference is `ownerUid`, in name order, read-only like
   * `peek`: an index, so a controller looking up its children does not scan the bucket (at
   * 10,000 deployments that scan made every sync round quadratic).
   */
  ownedBy<T extends KubeObject = KubeObject>(key: string, ownerUid: string): readonly T[] {
    const ids = this.owners.get(key)?.get(ownerUid);
    if (!ids) return [];
    const b = this.bucket(key);
    return [...ids]
      .sort()
      .map((id) => b.get(id))
      .filter((o): o is KubeObject => o !== undefined) as T[];
  }

  /** Keeps the sorted view and the owner index in step with one write to `id`. */
  private written(key: string, id: string, prev: KubeObject | undefined, next?: KubeObject): void {
    const sorted = this.sorted.get(key);
    if (sorted && prev && next) {
      // Same name, same place: replace in the sorted view instead of re-sorting the bucket.
      let lo = 0;
      let hi = sorted.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const m = sorted[mid]!.metadata;
        const at = `${m.namespace ?? ''}/${m.name}`;
        if (at === id) {
          sorted[mid] = next;
          break;
        }
        if (at < id) lo = mid + 1;
        else hi = mid - 1;
      }
      if (lo > hi) this.sorted.delete(key);
    } else this.sorted.delete(key);
    const ownerOf = (o: KubeObject | undefined): string | undefined =>
      o?.metadata.ownerReferences?.find((r) => r.controller)?.uid;
    const was = ownerOf(prev);
    const now = ownerOf(next);
    if (was === now) return;
    let index = this.owners.get(key);
    if (!index) this.owners.set(key, (index = new Map()));
    if (was) {
      const ids = index.get(was);
      ids?.delete(id);
      if (ids?.size === 0) index.delete(was);
    }
    if (now) {
      let ids = index.get(now);
      if (!ids) index.set(now, (ids = new Set()));
      ids.add(id);
    }
  }

  /** Creates an object, filling uid, resourceVersion, creationTimestamp and generation. */
  create<T extends KubeObject>(key: string, obj: T): T {
    const o = structuredClone(obj);
    const m = o.metadata;
    if (!m.name && m.generateName) m.name = m.generateName + this.rng.suffix(5);
    const id = `${m.namespace ?? ''}/${m.name}`;
    if (this.bucket(key).has(id)) throw alreadyExists(this.defOf(key), m.name);
    m.uid = this.rng.uuid();
    m.creationTimestamp = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    m.generation = 1;
    m.resourceVersion = String(++this.rv);
    this.bucket(key).set(id, o);
    this.written(key, id, undefined, o);
    this.emit('ADDED', key, o);
    return structuredClone(o);
  }

  /**
   * Replaces an object. When `obj.metadata.resourceVersion` is set and stale, throws 409 Conflict;
   * identity fields (uid, creationTimestamp) always come from the stored object.
   */
  update<T extends KubeObject>(key: string, obj: T, opts: { bumpGeneration?: boolean } = {}): T {
    const m = obj.metadata;
    const id = `${m.namespace ?? ''}/${m.name}`;
    const cur = this.bucket(key).get(id);
    if (!cur) throw notFound(this.defOf(key), m.name);
    if (m.resourceVersion && m.resourceVersion !== cur.metadata.resourceVersion)
      throw conflict(this.defOf(key), m.name);
    const o = structuredClone(obj);
    o.metadata.uid = cur.metadata.uid;
    o.metadata.creationTimestamp = cur.metadata.creationTimestamp;
    o.metadata.generation = (cur.metadata.generation ?? 1) + (opts.bumpGeneration ? 1 : 0);
    o.metadata.resourceVersion = String(++this.rv);
    this.bucket(key).set(id, o);
    this.written(key, id, cur, o);
    this.emit('MODIFIED', key, o);
    return structuredClone(o);
  }

  /** Read-modify-write for controllers: never conflicts, because it reads the latest. */
  mutate<T extends KubeObject>(
    key: string,
    ns: string | undefined,
    name: string,
    fn: (o: T) => void,
  ): T | undefined {
    const cur = this.get<T>(key, ns, name);
    if (!cur) return undefined;
    const before = JSON.stringify(cur);
    fn(cur);
    if (JSON.stringify(cur) === before) return cur;
    return this.update(key, cur);
  }

  /**
   * Stores an object exactly as given (uid, resourceVersion and times included), creating or
   * replacing it: for the node agent, whose store mirrors a real apiserver.
   */
  put<T extends KubeObject>(key: string, obj: T): void {
    const m = obj.metadata;
    const id = `${m.namespace ?? ''}/${m.name}`;
    const prev = this.bucket(key).get(id);
    const o = structuredClone(obj);
    ++this.rv;
    this.bucket(key).set(id, o);
    this.written(key, id, prev, o);
    this.emit(prev ? 'MODIFIED' : 'ADDED', key, o);
  }

  delete(key: string, ns: string | undefined, name: string): KubeObject {
    const id = `${ns ?? ''}/${name}`;
    const cur = this.bucket(key).get(id);
    if (!cur) throw notFound(this.defOf(key), name);
    this.bucket(key).delete(id);
    this.written(key, id, cur);
    const gone = structuredClone(cur);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit('DELETED', key, gone);
    return gone;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Events after `rv` (exclusive), or undefined when the history no longer reaches back that far. */
  since(rv: number): StoreEvent[] | undefined {
    const first = this.history[0];
    if (first && first.rv > rv + 1 && this.history.length >= HISTORY) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  private emit(type: WatchEventType, key: string, object: KubeObject): void {
    const e: StoreEvent = { type, key, object: structuredClone(object), rv: this.rv };
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of this.listeners) l(e);
  }
}
