/**
 * Which gate a rung has in a namespace (pure): `approvals.gates`, overlaid in production
 * namespaces by `approvals.prodGates` (default: rollback needs an approval).
 */
import type { HealAction } from '../api/types.js';
import type { GateMode, GateTable } from '../humans/schema.js';

export interface GateConfig {
  gates: GateTable;
  prodGates: GateTable;
  prodNamespaces: readonly string[];
}

/** `prod-*`, `*-prod` or an exact name. */
export function matchesGlob(value: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

export function isProdNamespace(namespace: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesGlob(namespace, p));
}

export function gateFor(action: HealAction, namespace: string, c: GateConfig): GateMode {
  if (action === 'page') return 'auto';
  const prod = isProdNamespace(namespace, c.prodNamespaces) ? c.prodGates[action] : undefined;
  return prod ?? c.gates[action] ?? 'auto';
}

/** The ladder without the rungs whose gate is `off` in this namespace. */
export function gatedLadder(
  ladder: readonly HealAction[],
  namespace: string,
  c: GateConfig,
): HealAction[] {
  return ladder.filter((a) => gateFor(a, namespace, c) !== 'off');
}

/** The episode id a human names: `web-m1x2y3z`. */
export function episodeId(name: string, episodeStartedAt: number): string {
  return `${name}-${Math.max(0, Math.floor(episodeStartedAt)).toString(36)}`;
}
