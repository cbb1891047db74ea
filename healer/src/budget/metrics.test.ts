import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { LedgerBudgetGate } from './gate.js';
import { withBudgetMetrics } from './metrics.js';
import { DEFAULT_BUDGET_LIMITS } from './types.js';

describe('withBudgetMetrics', () => {
  it('counts every denial by rule and action, and passes verdicts and records through', async () => {
    const registry = new Registry();
    const gate = withBudgetMetrics(new LedgerBudgetGate(DEFAULT_BUDGET_LIMITS), registry);
    const req = { namespace: 'shop', name: 'cart', action: 'restart_scale' } as const;
    const t0 = new Date('2026-11-21T12:00:00Z');
    expect(gate.check(req, t0)).toEqual({ allowed: true });
    gate.record(req, t0);
    const later = new Date(t0.getTime() + 10_000);
    expect(gate.check(req, later)).toMatchObject({
      allowed: false,
      rule: 'cooldown',
      repeated: false,
    });
    expect(gate.check(req, later)).toMatchObject({
      allowed: false,
      rule: 'cooldown',
      repeated: true,
    });
    const text = await registry.metrics();
    expect(text).toContain(
      'aiops_healer_budget_denials_total{rule="cooldown",action="restart_scale"} 2',
    );
  });
});
