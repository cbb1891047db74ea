import type {
  ActionRecord,
  DeploymentDetail,
  DeploymentStatus,
  KubeEventSummary,
  NotificationRecord,
  RiskPoint,
  StreamMessage,
} from './types.js';
import type { StatusSink } from '../report/types.js';
import {
  isoTime,
  packExplanation,
  packFeatures,
  unpackExplanation,
  unpackFeatures,
  type PackedExplanation,
  type PackedFeatures,
} from './compact.js';

export type { StatusSink };

export interface Thresholds {
  high: number;
  low: number;
}

export interface StatusStoreOptions {
  /** Risk thresholds shown with a deployment's history (the policy's, per deployment). */
  thresholds: Thresholds | ((namespace: string, name: string) => Thresholds);
  /** Risk points kept per deployment in memory (the fallback history). Default 240. */
  historyPoints?: number;
  /** Points of `trend` in list rows (sparklines). Default 30. */
  trendPoints?: number;
  /** Actions, Events and notifications kept per deployment. Default 50 each. */
  recordsPerDeployment?: number;
  /** Stream messages kept for SSE clients reconnecting with `Last-Event-ID`. Default 512. */
  replayMessages?: number;
}

/** A stream message with its SSE id (monotonic per process). */
export interface SequencedMessage {
  id: number;
  message: StreamMessage;
}

/** Fixed-capacity ring: the oldest item drops out when full. */
class Ring<T> {
  private items: T[] = [];
  private start = 0;
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    if (this.capacity <= 0) return;
    if (this.items.length < this.capacity) {
      this.items.push(item);
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }
  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
  /** Replaces the newest item matching `same`, searching from the newest; false when none. */
  replace(same: (item: T) => boolean, item: T): boolean {
    for (let k = this.items.length - 1; k >= 0; k--) {
      const i = (this.start + k) % this.items.length;
      if (same(this.items[i]!)) {
        this.items[i] = item;
        return true;
      }
    }
    return false;
  }
  get length(): number {
    return this.items.length;
  }
}

/**
 * Risk points as two typed-array rings: 12 bytes a point, so 5,000 deployments stay small. The
 * arrays start small and double up to `capacity`, so a fresh healer watching thousands of
 * deployments does not reserve hours of history it does not have yet.
 */
class RiskRing {
  private times: Float64Array;
  private risks: Float32Array;
  private next = 0;
  private size = 0;
  constructor(private readonly capacity: number) {
    const initial = Math.min(Math.max(0, capacity), 8);
    this.times = new Float64Array(initial);
    this.risks = new Float32Array(initial);
  }
  push(t: number, risk: number): void {
    if (this.capacity <= 0) return;
    if (this.size === this.times.length && this.size < this.capacity) this.grow();
    const cap = this.times.length;
    this.times[this.next] = t;
    this.risks[this.next] = risk;
    this.next = (this.next + 1) % cap;
    this.size = Math.min(this.size + 1, cap);
  }
  /** The newest `limit` points (all when omitted), oldest first, optionally within a time span. */
  points(limit = Infinity, sinceMs = -Infinity, untilMs = Infinity): RiskPoint[] {
    const cap = this.times.length;
    const n = Math.min(this.size, limit);
    const out: RiskPoint[] = [];
    for (let k = n; k >= 1; k--) {
      const i = (this.next - k + cap) % cap;
      const t = this.times[i]!;
      if (t < sinceMs || t > untilMs) continue;
      out.push(this.point(i));
    }
    return out;
  }
  /** The newest `limit` points at or before `untilMs`, oldest first. */
  recent(limit: number, untilMs: number): RiskPoint[] {
    const cap = this.times.length;
    const out: RiskPoint[] = [];
    for (let k = 1; k <= this.size && out.length < limit; k++) {
      const i = (this.next - k + cap) % cap;
      const t = this.times[i]!;
      if (t > untilMs) continue;
      out.push(this.point(i));
    }
    return out.reverse();
  }
  private point(i: number): RiskPoint {
    // Float32 storage: round back to the 6 significant digits it keeps.
    return { t: isoTime(this.times[i]!), risk: Number(this.risks[i]!.toPrecision(6)) };
  }
  /** Called only when full and below capacity: the ring is in order from 0, `next` is 0. */
  private grow(): void {
    const size = Math.min(this.capacity, this.times.length * 2);
    const times = new Float64Array(size);
    const risks = new Float32Array(size);
    times.set(this.times);
    risks.set(this.risks);
    this.next = this.size;
    this.times = times;
    this.risks = risks;
  }
}

/**
 * A row as the store keeps it: the explanation and features packed, no trend (built from the
 * risk ring when read). Expanded to a {@link DeploymentStatus} only when the API or a stream
 * client reads it, so a cycle at 10,000 deployments neither keeps 140,000 contribution objects
 * nor builds 10,000 trends nobody reads. Derived from {@link DeploymentStatus}, so a required field added
 * there is a compile error in `storedStatus` until it is kept.
 */
type StoredStatus = Omit<
  DeploymentStatus,
  'explanation' | 'features' | 'trend' | 'lastAction' | 'inconclusiveReason' | 'warmingUp'
> & {
  // Present, maybe undefined, on every row: one object shape for all 10,000.
  lastAction: ActionRecord | undefined;
  inconclusiveReason: string | undefined;
  warmingUp: true | undefined;
  explanation: PackedExplanation;
  features: PackedFeatures;
};

function storedStatus(s: DeploymentStatus, lastAction: ActionRecord | undefined): StoredStatus {
  return {
    namespace: s.namespace,
    name: s.name,
    risk: s.risk,
    level: s.level,
    state: s.state,
    step: s.step,
    attempts: s.attempts,
    dryRun: s.dryRun,
    lastAction,
    explanation: packExplanation(s.explanation),
    features: packFeatures(s.features),
    inconclusiveReason: s.inconclusiveReason,
    warmingUp: s.warmingUp,
    updatedAt: s.updatedAt,
  };
}

function expandStatus(s: StoredStatus, trend: RiskPoint[]): DeploymentStatus {
  const out: DeploymentStatus = {
    namespace: s.namespace,
    name: s.name,
    risk: s.risk,
    level: s.level,
    state: s.state,
    step: s.step,
    attempts: s.attempts,
    dryRun: s.dryRun,
    explanation: unpackExplanation(s.explanation),
    features: unpackFeatures(s.features),
    trend,
    updatedAt: s.updatedAt,
  };
  if (s.lastAction !== undefined) out.lastAction = s.lastAction;
  if (s.inconclusiveReason !== undefined) out.inconclusiveReason = s.inconclusiveReason;
  if (s.warmingUp !== undefined) out.warmingUp = s.warmingUp;
  return out;
}

/** A replay buffer item: an assessment is expanded only when a reconnecting client asks. */
interface Replayed {
  id: number;
  message?: StreamMessage;
  row?: { status: StoredStatus; risk: RiskRing };
}

interface Entry {
  status?: StoredStatus;
  risk: RiskRing;
  actions: Ring<ActionRecord>;
  events: Ring<KubeEventSummary>;
  notifications: Ring<NotificationRecord>;
}

/**
 * The in-memory status of every watched deployment, fed by the loop through {@link StatusSink}
 * and read by the status API. Memory is bounded: fixed rings per deployment and a fixed replay
 * buffer for the event stream. Subscribers get every message; a throwing subscriber is dropped
 * rather than allowed to break the loop.
 */
export class StatusStore implements StatusSink {
  private readonly entries = new Map<string, Entry>();
  private readonly subscribers = new Set<(m: SequencedMessage) => void>();
  private readonly replay: Ring<Replayed>;
  private seq = 0;
  private readonly historyPoints: number;
  private readonly trendPoints: number;
  private readonly records: number;

  constructor(private readonly opts: StatusStoreOptions) {
    this.historyPoints = opts.historyPoints ?? 240;
    this.trendPoints = opts.trendPoints ?? 30;
    this.records = opts.recordsPerDeployment ?? 50;
    this.replay = new Ring(opts.replayMessages ?? 512);
  }

  assessment(status: DeploymentStatus): void {
    const entry = this.entry(status.namespace, status.name);
    if (status.risk !== null && Number.isFinite(status.risk)) {
      const t = Date.parse(status.updatedAt);
      if (Number.isFinite(t)) entry.risk.push(t, status.risk);
    }
    const stored = storedStatus(status, status.lastAction ?? entry.status?.lastAction);
    entry.status = stored;
    const id = ++this.seq;
    // Built for live subscribers only; the replay buffer expands it if a client reconnects.
    let message: StreamMessage | undefined;
    if (this.subscribers.size > 0) {
      message = { type: 'assessment', deployment: this.expand(stored, entry.risk) };
      this.send({ id, message });
    }
    this.replay.push(message ? { id, message } : { id, row: { status: stored, risk: entry.risk } });
  }

  action(namespace: string, name: string, action: ActionRecord): void {
    const entry = this.entry(namespace, name);
    const same = (a: ActionRecord): boolean =>
      a.at === action.at && a.step === action.step && a.action === action.action;
    if (!entry.actions.replace(same, action)) entry.actions.push(action);
    if (entry.status) entry.status = { ...entry.status, lastAction: action };
    this.publish({ type: 'action', namespace, name, action });
  }

  notification(namespace: string, name: string, notification: NotificationRecord): void {
    this.entry(namespace, name).notifications.push(notification);
    this.publish({ type: 'notification', namespace, name, notification });
  }

  kubeEvent(namespace: string, name: string, event: KubeEventSummary): void {
    this.entry(namespace, name).events.push(event);
  }

  /** Every deployment assessed at least once, by namespace then name. */
  list(): DeploymentStatus[] {
    const out: DeploymentStatus[] = [];
    for (const e of this.entries.values())
      if (e.status) out.push(this.expand(e.status, e.risk, Infinity));
    return out.sort((a, b) =>
      a.namespace === b.namespace
        ? a.name.localeCompare(b.name)
        : a.namespace.localeCompare(b.namespace),
    );
  }

  /** One deployment with its in-memory history, actions, Events and notifications. */
  detail(namespace: string, name: string): DeploymentDetail | undefined {
    const e = this.entries.get(key(namespace, name));
    if (!e?.status) return undefined;
    const thresholds =
      typeof this.opts.thresholds === 'function'
        ? this.opts.thresholds(namespace, name)
        : this.opts.thresholds;
    return {
      ...this.expand(e.status, e.risk, Infinity),
      thresholds,
      history: e.risk.points(),
      actions: e.actions.toArray(),
      events: e.events.toArray(),
      notifications: e.notifications.toArray(),
    };
  }

  /** In-memory risk points between `start` and `end` (the history fallback). */
  riskPoints(namespace: string, name: string, start: Date, end: Date): RiskPoint[] {
    const e = this.entries.get(key(namespace, name));
    return e ? e.risk.points(Infinity, start.getTime(), end.getTime()) : [];
  }

  /** Drops a deployment that is no longer watched. */
  forget(namespace: string, name: string): void {
    this.entries.delete(key(namespace, name));
  }

  /** Calls `fn` for every future message; returns the unsubscribe function. */
  subscribe(fn: (m: SequencedMessage) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /**
   * Messages after `lastId` still in the replay buffer, for a reconnecting SSE client. Returns
   * undefined when `lastId` is older than the buffer (the client must reload the list).
   */
  since(lastId: number): SequencedMessage[] | undefined {
    // An id from the future was issued by an earlier healer process: the client must resync.
    if (!Number.isInteger(lastId) || lastId < 0 || lastId > this.seq) return undefined;
    if (lastId === this.seq) return [];
    const all = this.replay.toArray();
    const oldest = all[0]?.id ?? this.seq + 1;
    if (lastId < oldest - 1) return undefined;
    return all
      .filter((m) => m.id > lastId)
      .map((m) => ({
        id: m.id,
        message: m.message ?? {
          type: 'assessment',
          deployment: this.expand(m.row!.status, m.row!.risk),
        },
      }));
  }

  /** Connected subscribers (SSE clients), for the metrics and tests. */
  subscriberCount(): number {
    return this.subscribers.size;
  }

  /** The id of the newest message (0 before any). */
  lastId(): number {
    return this.seq;
  }

  private entry(namespace: string, name: string): Entry {
    const k = key(namespace, name);
    let e = this.entries.get(k);
    if (!e) {
      e = {
        risk: new RiskRing(this.historyPoints),
        actions: new Ring(this.records),
        events: new Ring(this.records),
        notifications: new Ring(this.records),
      };
      this.entries.set(k, e);
    }
    return e;
  }

  /**
   * The row with its trend: the newest points up to the row's own time (`untilMs` Infinity for
   * the current row), so a replayed message carries the trend it had when it was sent.
   */
  private expand(
    s: StoredStatus,
    risk: RiskRing,
    untilMs = Date.parse(s.updatedAt),
  ): DeploymentStatus {
    return expandStatus(
      s,
      risk.recent(this.trendPoints, Number.isNaN(untilMs) ? Infinity : untilMs),
    );
  }

  private publish(message: StreamMessage): void {
    const m = { id: ++this.seq, message };
    this.replay.push(m);
    this.send(m);
  }

  private send(m: SequencedMessage): void {
    for (const fn of this.subscribers) {
      try {
        fn(m);
      } catch {
        this.subscribers.delete(fn);
      }
    }
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
