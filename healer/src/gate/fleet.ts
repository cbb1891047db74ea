/**
 * The fleet guard (blast radius). When many deployments go high together it is not them: a bad
 * node pool, a shared database, a broken metric. Pure: from this cycle's at-risk set, the watched
 * set and the shared dependencies' state, which actions to hold.
 */

export interface FleetLimits {
  /** Hold when more than this many deployments are at risk in one namespace or cluster-wide. */
  maxAtRisk: number;
  /** … or when more than this fraction of the watched deployments there are at risk … */
  maxFraction: number;
  /** … once at least this many are at risk (one deployment alone is never a fleet event). */
  minAtRisk: number;
}

export interface FleetMember {
  namespace: string;
  name: string;
  /** Conclusive risk ≥ its high threshold this cycle. */
  atRisk: boolean;
}

export interface FleetVerdict {
  /** Every action is held (cluster-wide trip or a degraded dependency). */
  cluster: boolean;
  /** Namespaces whose actions are held (on their own trip). */
  namespaces: string[];
  /** The at-risk deployments (`namespace/name`) in the held scopes. */
  atRisk: string[];
  /** Names the rule and the values; empty when nothing is held. */
  reason: string;
  /**
   * Held for a degraded shared dependency: its own warning already went out ("no actions until
   * it recovers"), so no second message.
   */
  dependency?: boolean;
}

export const NO_FLEET_HOLD: FleetVerdict = Object.freeze({
  cluster: false,
  namespaces: [],
  atRisk: [],
  reason: '',
}) as FleetVerdict;

function pct(x: number): string {
  return `${Math.round(x * 100)} %`;
}

/** Why a scope of `watched` deployments with `atRisk` at risk trips the guard, or undefined. */
export function tripReason(atRisk: number, watched: number, l: FleetLimits): string | undefined {
  if (atRisk > l.maxAtRisk) return `${atRisk} of ${watched} at risk > maxAtRisk ${l.maxAtRisk}`;
  if (watched > 0 && atRisk >= l.minAtRisk && atRisk / watched > l.maxFraction) {
    return `${atRisk} of ${watched} at risk (${pct(atRisk / watched)}) > maxFraction ${pct(l.maxFraction)}`;
  }
  return undefined;
}

/**
 * Holds every action cluster-wide when the cluster trips or a shared dependency (`degraded`:
 * Prometheus, `/predict`) is degraded; else holds the namespaces that trip on their own.
 */
export function evaluateFleet(
  members: readonly FleetMember[],
  limits: FleetLimits,
  degraded: readonly string[] = [],
): FleetVerdict {
  const risky = members.filter((m) => m.atRisk);
  const key = (m: FleetMember): string => `${m.namespace}/${m.name}`;
  if (degraded.length > 0) {
    return {
      cluster: true,
      namespaces: [],
      atRisk: risky.map(key),
      reason: `fleet guard: shared dependency degraded (${degraded.join('; ')}): holding every action`,
      dependency: true,
    };
  }
  const cluster = tripReason(risky.length, members.length, limits);
  if (cluster) {
    return {
      cluster: true,
      namespaces: [],
      atRisk: risky.map(key),
      reason: `fleet guard: ${cluster} cluster-wide: holding every action`,
    };
  }
  const byNs = new Map<string, { watched: number; risky: FleetMember[] }>();
  for (const m of members) {
    const e = byNs.get(m.namespace) ?? { watched: 0, risky: [] };
    e.watched++;
    if (m.atRisk) e.risky.push(m);
    byNs.set(m.namespace, e);
  }
  const held: string[] = [];
  const reasons: string[] = [];
  const atRisk: string[] = [];
  for (const [ns, e] of [...byNs].sort(([a], [b]) => a.localeCompare(b))) {
    const r = tripReason(e.risky.length, e.watched, limits);
    if (!r) continue;
    held.push(ns);
    reasons.push(`${r} in namespace ${ns}`);
    atRisk.push(...e.risky.map(key));
  }
  if (held.length === 0) return NO_FLEET_HOLD;
  return {
    cluster: false,
    namespaces: held,
    atRisk,
    reason: `fleet guard: ${reasons.join('; ')}: holding every action there`,
  };
}

/** The fleet hold that covers a deployment in `namespace`, or undefined. */
export function fleetHoldFor(v: FleetVerdict, namespace: string): string | undefined {
  if (v.cluster || v.namespaces.includes(namespace)) return v.reason;
  return undefined;
}
