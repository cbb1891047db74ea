import { Counter, Gauge, type Registry } from 'prom-client';
import type { LeaderElector } from './types.js';

/**
 * Exports leadership on the healer's registry: `aiops_healer_leader` (1 while this replica leads)
 * and `aiops_healer_leader_transitions_total`. Returns the unsubscribe function.
 */
export function registerLeaderMetrics(registry: Registry, elector: LeaderElector): () => void {
  const gauge = new Gauge({
    name: 'aiops_healer_leader',
    help: '1 while this replica holds the leader Lease and may act, else 0.',
    labelNames: ['identity'],
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'aiops_healer_leader_transitions_total',
    help: 'Times this replica gained or lost leadership.',
    labelNames: ['identity', 'to'],
    registers: [registry],
  });
  const identity = elector.identity;
  gauge.set({ identity }, elector.isLeader() ? 1 : 0);
  return elector.onChange((leader) => {
    gauge.set({ identity }, leader ? 1 : 0);
    transitions.inc({ identity, to: leader ? 'leader' : 'follower' });
  });
}
