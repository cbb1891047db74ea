import { describe, expect, it } from '@jest/globals';
import { changeAware, type ReleaseChange } from './changeAware.js';
import { INITIAL_MEMORY, type Decision, type HealMemory } from './types.js';

const ladder = ['restart_scale', 'cache_clear_restart', 'rollback', 'page'] as const;
const now = 1_000_000;
const act: Decision = {
  kind: 'act',
  action: 'restart_scale',
  step: 1,
  attempt: 1,
  escalated: false,
  reason: 'risk 0.93 ≥ 0.80 for 3/3 cycles → restart + scale up (attempt 1/3)',
};
const next: HealMemory = { ...INITIAL_MEMORY, phase: 'stabilising', step: 1, attempt: 1 };
const change: ReleaseChange = {
  at: now - 60_000,
  revision: 7,
  diff: ['image web: shop/web:1.4.2 → shop/web:1.4.3'],
  byHealer: false,
};
const run = (o: {
  d?: Decision;
  memory?: HealMemory;
  c?: ReleaseChange | undefined;
  l?: readonly string[];
}) =>
  changeAware(
    { decision: o.d ?? act, nextState: next },
    o.memory ?? INITIAL_MEMORY,
    { ladder: [...((o.l ?? ladder) as typeof ladder)] },
    'c' in o ? o.c : change,
    now,
    300_000,
  );

describe('changeAware', () => {
  it('a first rung soon after someone else’s release becomes rollback, naming the change', () => {
    const r = run({});
    expect(r.decision).toMatchObject({ kind: 'act', action: 'rollback', step: 3, attempt: 1 });
    expect(r.nextState.step).toBe(3);
    expect((r.decision as { reason: string }).reason).toBe(
      'risk 0.93 ≥ 0.80 for 3/3 cycles; revision 7 rolled out 60 s ago (image web: shop/web:1.4.2 → shop/web:1.4.3) → rollback first (attempt 1/3), not a restart that would hide a bad release',
    );
  });
  it.each([
    ['no change seen', { c: undefined }],
    ['the healer’s own rollback', { c: { ...change, byHealer: true } }],
    ['a release while already at risk', { c: { ...change, whileAtRisk: true } }],
    ['older than the window', { c: { ...change, at: now - 300_001 } }],
    ['no rollback rung', { l: ['restart_scale', 'page'] }],
    ['an escalation', { d: { ...act, escalated: true, step: 2 } as Decision }],
    ['mid-episode', { memory: { ...next } }],
    ['not an action', { d: { kind: 'none', reason: 'ok' } as Decision }],
  ])('unchanged: %s', (_n, o) => {
    const r = run(o as Parameters<typeof run>[0]);
    expect(r.decision).toBe((o as { d?: Decision }).d ?? act);
  });
});
