import { describe, expect, it } from '@jest/globals';
import { LedgerBudgetGate } from '../budget/gate.js';
import { DEFAULT_BUDGET_LIMITS } from '../budget/types.js';
import { workload } from '../policy/fixtures.js';
import type { WorkloadView } from '../policy/types.js';
import { evaluateFleet, NO_FLEET_HOLD } from './fleet.js';
import { HealGate } from './gate.js';
import type { GateRequest } from './types.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const view = (over: Partial<WorkloadView> = {}): WorkloadView =>
  workload({ desired: 2, updated: 2, available: 2, total: 2, ...over });
const req = (over: Partial<GateRequest> = {}): GateRequest => ({
  namespace: 'shop',
  name: 'web',
  action: 'restart_scale',
  workload: view(),
  assessedAt: NOW.getTime() - 1_000,
  ...over,
});
const gate = () =>
  new HealGate({ budget: new LedgerBudgetGate(DEFAULT_BUDGET_LIMITS), maxAssessmentAgeMs: 30_000 });
const HELD = evaluateFleet(
  Array.from({ length: 5 }, (_, i) => ({ namespace: 'shop', name: `d${i}`, atRisk: true })),
  { maxAtRisk: 3, maxFraction: 0.3, minAtRisk: 2 },
);

describe('HealGate', () => {
  it.each<[string, GateRequest, typeof HELD, Record<string, unknown>]>([
    ['all clear', req(), NO_FLEET_HOLD, { allowed: true }],
    [
      'paused by a human: held, paged',
      req({ workload: view({ paused: true }) }),
      NO_FLEET_HOLD,
      { allowed: false, rule: 'paused', page: true },
    ],
    [
      'being deleted: held',
      req({ workload: view({ deleting: true }) }),
      NO_FLEET_HOLD,
      { allowed: false, rule: 'deleting', page: true },
    ],
    [
      'paused wins over the fleet hold',
      req({ workload: view({ paused: true }) }),
      HELD,
      { rule: 'paused' },
    ],
    ['fleet hold: grouped', req(), HELD, { allowed: false, rule: 'fleet', grouped: true }],
    [
      'assessment older than one cycle',
      req({ assessedAt: NOW.getTime() - 30_001 }),
      NO_FLEET_HOLD,
      {
        allowed: false,
        rule: 'stale_assessment',
        message:
          'stale_assessment: assessment 30 s old > maxAssessmentAgeMs 30 s; not acting on it',
      },
    ],
    [
      'boundary: exactly maxAssessmentAgeMs old is fresh',
      req({ assessedAt: NOW.getTime() - 30_000 }),
      NO_FLEET_HOLD,
      { allowed: true },
    ],
    [
      'no workload view (tests, other kinds): not held for it',
      req({ workload: undefined }),
      NO_FLEET_HOLD,
      { allowed: true },
    ],
  ])('%s', (_n, r, fleet, want) => {
    expect(gate().check(r, { now: NOW, fleet })).toMatchObject(want);
  });

  it('a hold that lasts is flagged repeated (announced once); a change of rule is not', () => {
    const g = gate();
    const paused = req({ workload: view({ paused: true }) });
    expect(g.check(paused, { now: NOW, fleet: NO_FLEET_HOLD })).toMatchObject({ repeated: false });
    expect(g.check(paused, { now: NOW, fleet: NO_FLEET_HOLD })).toMatchObject({ repeated: true });
    expect(g.check(req(), { now: NOW, fleet: HELD })).toMatchObject({
      rule: 'fleet',
      repeated: false,
    });
    expect(g.check(req(), { now: NOW, fleet: NO_FLEET_HOLD })).toEqual({ allowed: true });
    expect(g.check(paused, { now: NOW, fleet: NO_FLEET_HOLD })).toMatchObject({ repeated: false });
  });

  it('budgets count attempts: a failed attempt uses the hourly budget but not the cooldown', () => {
    const budget = new LedgerBudgetGate({
      ...DEFAULT_BUDGET_LIMITS,
      perDeployment: { maxActionsPerHour: 2, cooldownSeconds: 300 },
    });
    const g = new HealGate({ budget, maxAssessmentAgeMs: 30_000 });
    g.record(req(), NOW, { failed: true });
    const t1 = new Date(NOW.getTime() + 30_000);
    // the retry 30 s later is not held by the 300 s cooldown …
    expect(g.check(req({ assessedAt: t1.getTime() }), { now: t1, fleet: NO_FLEET_HOLD })).toEqual({
      allowed: true,
    });
    g.record(req(), t1, { failed: true });
    // … but two attempts in the hour use the hourly budget
    const t2 = new Date(NOW.getTime() + 60_000);
    expect(
      g.check(req({ assessedAt: t2.getTime() }), { now: t2, fleet: NO_FLEET_HOLD }),
    ).toMatchObject({
      rule: 'max_actions_per_hour',
    });
  });

  it('fails closed while the budget ledger cannot be loaded, then opens', async () => {
    let fail = true;
    const budget = new LedgerBudgetGate(DEFAULT_BUDGET_LIMITS, [], async () => {
      if (fail) throw new Error('events list: HTTP 503');
      return [];
    });
    const g = new HealGate({ budget, maxAssessmentAgeMs: 30_000 });
    expect(g.check(req(), { now: NOW, fleet: NO_FLEET_HOLD })).toMatchObject({
      rule: 'ledger_unavailable',
    });
    await g.ready();
    expect(g.check(req(), { now: NOW, fleet: NO_FLEET_HOLD })).toMatchObject({
      rule: 'ledger_unavailable',
      message: expect.stringContaining('HTTP 503'),
      repeated: true,
    });
    fail = false;
    await g.ready();
    expect(g.check(req(), { now: NOW, fleet: NO_FLEET_HOLD })).toEqual({ allowed: true });
    budget.invalidate(); // became leader again: reload before acting
    expect(g.check(req(), { now: NOW, fleet: NO_FLEET_HOLD })).toMatchObject({
      rule: 'ledger_unavailable',
    });
    await g.ready();
    expect(g.check(req(), { now: NOW, fleet: NO_FLEET_HOLD })).toEqual({ allowed: true });
  });
});
