import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { registerLeaderMetrics } from './metrics.js';
import type { LeaderElector } from './types.js';

/** A hand-driven elector (the interface, not our implementation). */
function fakeElector(): LeaderElector & { set(l: boolean): void } {
  let leader = false;
  const fns = new Set<(l: boolean) => void>();
  return {
    identity: 'healer-0',
    isLeader: () => leader,
    term: () => (leader ? 0 : undefined),
    start: async () => undefined,
    stop: async () => undefined,
    onChange: (fn) => {
      fns.add(fn);
      return () => fns.delete(fn);
    },
    set(l) {
      leader = l;
      for (const fn of fns) fn(l);
    },
  };
}

describe('registerLeaderMetrics', () => {
  it('exports 1 while leading, 0 otherwise, and counts transitions', async () => {
    const registry = new Registry();
    const e = fakeElector();
    registerLeaderMetrics(registry, e);
    expect(await registry.metrics()).toContain('aiops_healer_leader{identity="healer-0"} 0');
    e.set(true);
    expect(await registry.metrics()).toContain('aiops_healer_leader{identity="healer-0"} 1');
    e.set(false);
    const text = await registry.metrics();
    expect(text).toContain('aiops_healer_leader{identity="healer-0"} 0');
    expect(text).toContain(
      'aiops_healer_leader_transitions_total{identity="healer-0",to="leader"} 1',
    );
    expect(text).toContain(
      'aiops_healer_leader_transitions_total{identity="healer-0",to="follower"} 1',
    );
  });
});
