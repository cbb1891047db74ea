/**
 * Leader election: of all healer replicas exactly one acts and notifies; the others serve
 * read-only status. The loop asks {@link LeaderElector.isLeader} right before every cluster
 * change and every notification, not only at the start of a cycle.
 */
export interface LeaderElector {
  /** True only while this replica holds an unexpired lease it renewed within the renew deadline. */
  isLeader(): boolean;
  /** First acquire attempt, then keeps acquiring/renewing every retry period. */
  start(): Promise<void>;
  /** Stops renewing and releases the lease if held, so another replica takes over at once. */
  stop(): Promise<void>;
  /** Called on every change of leadership; returns the unsubscribe function. */
  onChange(fn: (leader: boolean) => void): () => void;
  /** This replica's identity (the pod name), written as the Lease's `holderIdentity`. */
  readonly identity: string;
  /** The Lease's `leaseTransitions` while this replica leads (its term), else undefined. */
  term(): number | undefined;
}

export interface LeaseElectionConfig {
  namespace: string;
  /** Lease object name, e.g. `aiops-healer`. */
  name: string;
  /** Pod name (from the downward API); must differ between replicas. */
  identity: string;
  /**
   * This replica's status API as the other replicas reach it (`http://<pod IP>:8081`), written
   * on the Lease while it leads so a standby can hand leader-only requests to it.
   */
  endpoint?: string;
  /** How long a lease is valid without renewal; others wait this long before taking over. Default 15. */
  leaseDurationSeconds?: number;
  /**
   * The leader stops acting if it could not renew for this long. Must be < leaseDurationSeconds so
   * an old leader has stopped before anyone else can acquire. Default 10.
   */
  renewDeadlineSeconds?: number;
  /** Time between acquire/renew attempts. Default 2. */
  retryPeriodSeconds?: number;
}

/** Time and timers for the elector, injected so tests drive it without sleeping. */
export interface ElectionClock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  schedule(fn: () => void, ms: number): () => void;
}

export const SYSTEM_ELECTION_CLOCK: ElectionClock = {
  now: () => Date.now(),
  schedule: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};
