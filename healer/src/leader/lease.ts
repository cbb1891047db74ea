import type {
  CoordinationV1Api,
  V1Lease,
  V1LeaseSpec,
  V1ObjectMeta,
} from '@kubernetes/client-node';
import {
  SYSTEM_ELECTION_CLOCK,
  type ElectionClock,
  type LeaderElector,
  type LeaseElectionConfig,
} from './types.js';

/** The Lease calls the elector makes (client-node's `CoordinationV1Api` fits). */
export type LeaseApi = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
>;

/** The leader's status API, written on the Lease by its holder (`LeaseElectionConfig.endpoint`). */
export const LEADER_ENDPOINT_ANNOTATION = 'aiops.io/leader-endpoint';

/** A Lease request failed for another reason than "taken" or "conflict"; `cause` is the API error. */
export class LeaseError extends Error {
  constructor(
    readonly operation: 'read' | 'create' | 'replace' | 'release',
    readonly lease: string,
    options: { cause: unknown },
  ) {
    super(`lease ${lease}: ${operation} failed`, options);
    this.name = 'LeaseError';
  }
}

/** What the elector last saw of the Lease, and when (by its own clock) it last changed. */
export interface ObservedLease {
  holder: string;
  resourceVersion: string;
  leaseDurationSeconds: number;
  /** Local time at which this record (resourceVersion) was first seen. */
  observedAt: number;
  /** `spec.leaseTransitions`: the leadership term. */
  transitions: number;
  /** The holder's status API, as it wrote it. */
  endpoint?: string;
}

/**
 * Whether `identity` may take or keep the Lease at `now`. Pure. Expiry is judged by the time the
 * record was last seen to change on *our* clock, as client-go does, so clock skew between nodes
 * cannot make a live leader look expired.
 */
export function mayAcquire(observed: ObservedLease, identity: string, now: number): boolean {
  if (observed.holder === '' || observed.holder === identity) return true;
  return now >= observed.observedAt + observed.leaseDurationSeconds * 1000;
}

type Attempt = 'held' | 'taken';

/**
 * Leader election on a `coordination.k8s.io/v1` Lease (client-node has no helper): create it when
 * missing, renew it while held, take it over once expired, release it on stop. Every write
 * carries the resourceVersion read just before, so of two replicas racing only one wins; the
 * loser's 409 makes it re-read and see the winner.
 */
export class LeaseLeaderElector implements LeaderElector {
  readonly identity: string;
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private leader = false;
  private lastRenewAt = -Infinity;
  private observed: ObservedLease | undefined;
  private readonly listeners = new Set<(leader: boolean) => void>();
  private cancelNext: (() => void) | undefined;
  private running = false;
  private inflight: Promise<boolean> | undefined;

  constructor(
    private readonly api: LeaseApi,
    private readonly config: LeaseElectionConfig,
    private readonly clock: ElectionClock = SYSTEM_ELECTION_CLOCK,
    private readonly onError: (err: LeaseError) => void = () => undefined,
  ) {
    this.identity = config.identity;
    this.durationMs = (config.leaseDurationSeconds ?? 15) * 1000;
    this.renewDeadlineMs = (config.renewDeadlineSeconds ?? 10) * 1000;
    this.retryMs = (config.retryPeriodSeconds ?? 2) * 1000;
    if (!config.identity) throw new RangeError('leader election: identity must be non-empty');
    if (!(
      this.retryMs > 0 &&
      this.retryMs < this.renewDeadlineMs &&
      this.renewDeadlineMs < this.durationMs
    )) {
      throw new RangeError(
        `leader election: need 0 < retryPeriodSeconds (${this.retryMs / 1000}) < renewDeadlineSeconds (${this.renewDeadlineMs / 1000}) < leaseDurationSeconds (${this.durationMs / 1000})`,
      );
    }
  }

  isLeader(): boolean {
    return this.leader && this.clock.now() - this.lastRenewAt < this.renewDeadlineMs;
  }

  /**
   * The term this replica leads in (the Lease's `leaseTransitions`), or undefined when it does
   * not lead. Written into the heal state so a stale ex-leader's write is refused.
   */
  term(): number | undefined {
    return this.isLeader() ? this.observed?.transitions : undefined;
  }

  /**
   * Another replica's status API while it holds the Lease (as last seen and unexpired);
   * undefined when this replica leads, nobody does, or the holder wrote none.
   */
  leaderEndpoint(): string | undefined {
    const o = this.observed;
    if (!o || o.holder === '' || o.holder === this.identity) return undefined;
    if (this.clock.now() >= o.observedAt + o.leaseDurationSeconds * 1000) return undefined;
    return o.endpoint;
  }

  /** Who holds the Lease as last seen (empty: nobody). */
  holder(): string | undefined {
    return this.observed?.holder;
  }

  onChange(fn: (leader: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.tick();
    this.scheduleNext();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cancelNext?.();
    this.cancelNext = undefined;
    await this.inflight?.catch(() => undefined);
    const wasHolder = this.leader || this.observed?.holder === this.identity;
    // Stop acting first, then hand the lease over.
    this.setLeader(false);
    if (wasHolder) await this.release();
  }

  /**
   * One acquire-or-renew round (what `start()` runs every retry period). Resolves to whether this
   * replica leads afterwards. Errors are reported through `onError`, never thrown.
   */
  tick(): Promise<boolean> {
    this.inflight ??= this.round().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async round(): Promise<boolean> {
    try {
      const got = await this.tryAcquireOrRenew();
      if (got === 'held') {
        this.lastRenewAt = this.clock.now();
        this.setLeader(true);
      } else {
        this.setLeader(false);
      }
    } catch (err) {
      this.onError(
        err instanceof LeaseError ? err : new LeaseError('read', this.leaseName(), { cause: err }),
      );
      // Keep leading through transient errors, but only until the renew deadline.
      if (this.leader && this.clock.now() - this.lastRenewAt >= this.renewDeadlineMs) {
        this.setLeader(false);
      }
    }
    return this.isLeader();
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const { namespace, name } = this.config;
    // Two passes: a 409 means someone wrote in between; re-read once and decide again.
    for (let pass = 0; pass < 2; pass++) {
      const now = this.clock.now();
      let lease: V1Lease;
      try {
        lease = await this.api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (statusOf(err) !== 404) throw new LeaseError('read', this.leaseName(), { cause: err });
        try {
          const created = await this.api.createNamespacedLease({
            namespace,
            body: { metadata: this.meta({ name, namespace }), spec: this.spec(undefined, now) },
          });
          this.observe(created, now);
          return 'held';
        } catch (createErr) {
          if (statusOf(createErr) === 409) continue; // another replica created it first
          throw new LeaseError('create', this.leaseName(), { cause: createErr });
        }
      }
      const observed = this.observe(lease, now);
      if (!mayAcquire(observed, this.identity, now)) return 'taken';
      try {
        const replaced = await this.api.replaceNamespacedLease({
          name,
          namespace,
          body: { ...lease, metadata: this.meta(lease.metadata), spec: this.spec(lease.spec, now) },
        });
        this.observe(replaced, now);
        return 'held';
      } catch (err) {
        if (statusOf(err) === 409) continue;
        throw new LeaseError('replace', this.leaseName(), { cause: err });
      }
    }
    return 'taken';
  }

  /** The spec we write: renewed if ours, a new term (transitions + 1) if taken over. */
  private spec(current: V1LeaseSpec | undefined, now: number): V1LeaseSpec {
    const ours = current?.holderIdentity === this.identity;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.durationMs / 1000,
      acquireTime: ours && current?.acquireTime ? current.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: ours
        ? (current?.leaseTransitions ?? 0)
        : (current?.leaseTransitions ?? -1) + 1,
    };
  }

  /** The metadata we write: our endpoint annotated (or a previous holder's removed). */
  private meta(current: V1ObjectMeta | undefined): V1ObjectMeta {
    const annotations = { ...(current?.annotations ?? {}) };
    if (this.config.endpoint) annotations[LEADER_ENDPOINT_ANNOTATION] = this.config.endpoint;
    else delete annotations[LEADER_ENDPOINT_ANNOTATION];
    return { ...current, annotations };
  }

  private observe(lease: V1Lease, now: number): ObservedLease {
    const rv = lease.metadata?.resourceVersion ?? '';
    const changed = this.observed?.resourceVersion !== rv;
    this.observed = {
      holder: lease.spec?.holderIdentity ?? '',
      resourceVersion: rv,
      leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? this.durationMs / 1000,
      observedAt: changed || !this.observed ? now : this.observed.observedAt,
      transitions: lease.spec?.leaseTransitions ?? 0,
      ...(lease.metadata?.annotations?.[LEADER_ENDPOINT_ANNOTATION]
        ? { endpoint: lease.metadata.annotations[LEADER_ENDPOINT_ANNOTATION] }
        : {}),
    };
    return this.observed;
  }

  /** Empties holderIdentity (as client-go's ReleaseOnCancel does) so a follower acquires at once. */
  private async release(): Promise<void> {
    const { namespace, name } = this.config;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = this.clock.now();
      const released = await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: microTime(now),
          },
        },
      });
      this.observe(released, now);
    } catch (err) {
      // Not fatal: the lease then expires after leaseDurationSeconds.
      this.onError(new LeaseError('release', this.leaseName(), { cause: err }));
    }
  }

  private scheduleNext(): void {
    if (!this.running) return;
    this.cancelNext = this.clock.schedule(() => {
      void this.tick().finally(() => this.scheduleNext());
    }, this.retryMs);
  }

  private setLeader(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    for (const fn of this.listeners) {
      try {
        fn(leader);
      } catch {
        // a listener's failure must not stop the election
      }
    }
  }

  private leaseName(): string {
    return `${this.config.namespace}/${this.config.name}`;
  }
}

/** HTTP status of a client-node error (`ApiException.code`), if any. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A Date that serialises with microseconds, as the API server's MicroTime fields expect. */
class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/Z$/, '000Z');
  }
}

function microTime(ms: number): MicroTime {
  return new MicroTime(ms);
}
