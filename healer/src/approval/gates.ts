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

/** Compiled patterns: asked for every target of every cycle, compiled once. */
const globs = new Map<string, RegExp>();

/** `prod-*`, `*-prod` or an exact name. */
export function matchesGlob(value: string, pattern: string): boolean {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    if (globs.size < 1_000) globs.set(pattern, re);
  }
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
