import { describe, expect, it } from '@jest/globals';
import { LedgerBudgetGate, ledgerFromEvents } from './gate.js';
import { DEFAULT_BUDGET_LIMITS, type BudgetLimits } from './types.js';

const LIMITS: BudgetLimits = {
  perDeployment: { maxActionsPerHour: 2, cooldownSeconds: 60 },
  global: {
    maxConcurrentHeals: 5,
    maxRollbacksPerHour: 1,
    maxScaleUpsPerHour: 5,
    concurrencyWindowSeconds: 600,
  },
};
const at = (iso: string): Date => new Date(`2026-11-21T${iso}Z`);
const cart = { namespace: 'shop', name: 'cart' } as const;

describe('LedgerBudgetGate', () => {
  it('records actions and denies inside the cooldown, flagging repeats so Slack hears it once', () => {
    const gate = new LedgerBudgetGate(LIMITS);
    expect(gate.check({ ...cart, action: 'restart_scale' }, at('12:00:00'))).toEqual({
      allowed: true,
    });
    gate.record({ ...cart, action: 'restart_scale' }, at('12:00:00'));
    const first = gate.check({ ...cart, action: 'cache_clear_restart' }, at('12:00:30'));
    expect(first).toMatchObject({ allowed: false, rule: 'cooldown', repeated: false });
    const second = gate.check({ ...cart, action: 'cache_clear_restart' }, at('12:00:45'));
    expect(second).toMatchObject({ allowed: false, rule: 'cooldown', repeated: true });
    expect(gate.check({ ...cart, action: 'cache_clear_restart' }, at('12:01:00'))).toEqual({
      allowed: true,
    });
  });

  it('a different rule after a denial is announced again (repeated: false)', () => {
    const gate = new LedgerBudgetGate(LIMITS);
    gate.record({ ...cart, action: 'restart_scale' }, at('12:00:00'));
    gate.record({ ...cart, action: 'cache_clear_restart' }, at('12:01:00'));
    expect(gate.check({ ...cart, action: 'rollback' }, at('12:01:30'))).toMatchObject({
      rule: 'cooldown',
      repeated: false,
    });
    expect(gate.check({ ...cart, action: 'rollback' }, at('12:02:30'))).toMatchObject({
      rule: 'max_actions_per_hour',
      repeated: false,
    });
  });

  it('prunes entries older than the longest window, so memory stays bounded', () => {
    const gate = new LedgerBudgetGate(LIMITS);
    for (let i = 0; i < 100; i++) {
      gate.record(
        { namespace: 'ns', name: `d${i}`, action: 'page' },
        new Date(at('00:00:00').getTime() + i * 60_000),
      );
    }
    expect(gate.ledger().length).toBeLessThanOrEqual(61);
  });

  it('reset() swaps in a rebuilt ledger (on becoming leader)', () => {
    const gate = new LedgerBudgetGate(LIMITS);
    expect(gate.check({ ...cart, action: 'rollback' }, at('12:00:00'))).toEqual({ allowed: true });
    gate.reset([
      { namespace: 'shop', name: 'web', action: 'rollback', at: at('11:50:00').getTime() },
    ]);
    expect(gate.check({ ...cart, action: 'rollback' }, at('12:00:00'))).toMatchObject({
      allowed: false,
      rule: 'max_rollbacks_per_hour',
    });
    gate.reset([]);
    expect(gate.check({ ...cart, action: 'rollback' }, at('12:00:00'))).toEqual({ allowed: true });
  });

  it('rejects invalid limits, naming the field', () => {
    const bad = {
      ...DEFAULT_BUDGET_LIMITS,
      perDeployment: { maxActionsPerHour: -1, cooldownSeconds: 10 },
    };
    expect(() => new LedgerBudgetGate(bad)).toThrow(/maxActionsPerHour/);
  });

  it('starts from a rebuilt ledger, so a restarted healer keeps its spent budget', () => {
    const ledger = ledgerFromEvents([
      {
        reason: 'AutoHealRollback',
        involvedObject: { kind: 'Deployment', namespace: 'shop', name: 'web' },
        lastTimestamp: at('11:40:00'),
      },
    ]);
    const gate = new LedgerBudgetGate(LIMITS, ledger);
    expect(gate.check({ ...cart, action: 'rollback' }, at('12:00:00'))).toMatchObject({
      allowed: false,
      rule: 'max_rollbacks_per_hour',
    });
  });
});

describe('ledgerFromEvents', () => {
  it.each([
    ['no events', [], 0],
    [
      'an action event counts once',
      [
        {
          reason: 'AutoHealRestart',
          involvedObject: { kind: 'Deployment', namespace: 's', name: 'a' },
          lastTimestamp: '2026-11-21T11:00:00Z',
        },
      ],
      1,
    ],
    [
      'an aggregated event counts `count` times',
      [
        {
          reason: 'AutoHealRestart',
          count: 3,
          involvedObject: { kind: 'Deployment', namespace: 's', name: 'a' },
          firstTimestamp: '2026-11-21T10:00:00Z',
          lastTimestamp: '2026-11-21T11:00:00Z',
        },
      ],
      3,
    ],
    [
      'decisions, denials and dry-run reasons are ignored',
      [
        {
          reason: 'AutoHealBudgetDenied',
          involvedObject: { kind: 'Deployment', namespace: 's', name: 'a' },
          lastTimestamp: '2026-11-21T11:00:00Z',
        },
      ],
      0,
    ],
    [
      'events on pods are ignored',
      [
        {
          reason: 'AutoHealRestart',
          involvedObject: { kind: 'Pod', namespace: 's', name: 'a' },
          lastTimestamp: '2026-11-21T11:00:00Z',
        },
      ],
      0,
    ],
    [
      'an event without any timestamp is ignored',
      [
        {
          reason: 'AutoHealRestart',
          involvedObject: { kind: 'Deployment', namespace: 's', name: 'a' },
        },
      ],
      0,
    ],
    [
      'an unparsable timestamp is ignored',
      [
        {
          reason: 'AutoHealRestart',
          involvedObject: { kind: 'Deployment', namespace: 's', name: 'a' },
          lastTimestamp: 'yesterday',
        },
      ],
      0,
    ],
  ])('%s', (_t, events, n) => {
    expect(ledgerFromEvents(events)).toHaveLength(n);
  });

  it('spreads an aggregated event between its first and last time', () => {
    const got = ledgerFromEvents([
      {
        reason: 'AutoHealRollback',
        count: 3,
        involvedObject: { kind: 'Deployment', namespace: 's', name: 'a' },
        firstTimestamp: new Date('2026-11-21T10:00:00Z'),
        lastTimestamp: new Date('2026-11-21T11:00:00Z'),
      },
    ]);
    expect(got.map((x) => new Date(x.at).toISOString())).toEqual([
      '2026-11-21T10:00:00.000Z',
      '2026-11-21T10:30:00.000Z',
      '2026-11-21T11:00:00.000Z',
    ]);
    expect(got[0]).toMatchObject({ namespace: 's', name: 'a', action: 'rollback' });
  });

  it('filters by component when asked', () => {
    const ev = {
      reason: 'AutoHealRestart',
      involvedObject: { kind: 'Deployment', namespace: 's', name: 'a' },
      lastTimestamp: '2026-11-21T11:00:00Z',
      source: { component: 'someone-else' },
    };
    expect(ledgerFromEvents([ev], { component: 'aiops-healer' })).toHaveLength(0);
    expect(
      ledgerFromEvents([{ ...ev, source: { component: 'aiops-healer' } }], {
        component: 'aiops-healer',
      }),
    ).toHaveLength(1);
  });
});
