/**
 * Budgets in the running healer: a denied action is announced (Event and Slack once, metric every
 * time) and nothing changes in the cluster; the spent budget survives a leader change because the
 * new leader rebuilds its ledger from the Events.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { RESTARTED_AT } from '../../src/actions/restart.js';
import { NS, startWorld, type World } from './world.js';

const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };
const GLOBAL = {
  maxConcurrentHeals: 10,
  maxRollbacksPerHour: 10,
  maxScaleUpsPerHour: 10,
  concurrencyWindowSeconds: 600,
};

let w: World | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

describe('budgets in the loop', () => {
  it('a denied action changes nothing and is announced once (Event, Slack), counted every time', async () => {
    w = await startWorld([WEB]);
    const r = await w.addReplica({
      identity: 'healer-0',
      budget: { perDeployment: { maxActionsPerHour: 0, cooldownSeconds: 0 }, global: GLOBAL },
    });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    for (let i = 0; i < 8; i++) {
      w.advance();
      await r.cycle();
    }
    const dep = await w.deployment('web');
    expect(dep.spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
    expect(dep.spec?.replicas).toBe(2);
    const reasons = await w.reasons('web');
    expect(reasons.filter((x) => /^AutoHeal(Restart|CacheClear|Rollback)$/.test(x))).toEqual([]);
    expect(reasons.filter((x) => x === 'AutoHealBudgetDenied')).toHaveLength(1);
    const denied = (await w.events('web')).find((e) => e.reason === 'AutoHealBudgetDenied');
    expect(denied?.message).toMatch(
      /max_actions_per_hour: 0 action attempts on shop\/web in the last hour ≥ limit 0/,
    );
    const slack = w.slack.messages().map((m) => String(m.text));
    expect(slack).toHaveLength(1);
    expect(slack[0]).toMatch(/[Bb]udget/);
    const metric = await r.metrics.registry
      .getSingleMetric('aiops_healer_budget_denials_total')
      ?.get();
    const count = metric?.values.find((v) => v.labels.rule === 'max_actions_per_hour')?.value ?? 0;
    expect(count).toBeGreaterThanOrEqual(2);
  });

  it('a new leader keeps the spent budget: its ledger is rebuilt from the Events', async () => {
    w = await startWorld([WEB]);
    const limits = { perDeployment: { maxActionsPerHour: 1, cooldownSeconds: 0 }, global: GLOBAL };
    const first = await w.addReplica({ identity: 'healer-0', budget: limits });
    await first.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    for (let i = 0; i < 10 && !(await w.reasons('web')).includes('AutoHealRestart'); i++) {
      w.advance();
      await first.cycle();
    }
    expect(await w.reasons('web')).toContain('AutoHealRestart');
    // healer-0 dies; healer-1 starts fresh and takes over.
    const second = await w.addReplica({ identity: 'healer-1', budget: limits });
    for (let i = 0; i < 12; i++) {
      w.advance();
      await second.cycle();
    }
    expect(second.elector.isLeader()).toBe(true);
    const reasons = await w.reasons('web');
    // Without the rebuilt ledger healer-1 would have escalated to a cache clear.
    expect(reasons.filter((x) => /^AutoHeal(Restart|CacheClear|Rollback)$/.test(x))).toEqual([
      'AutoHealRestart',
    ]);
    expect(reasons).toContain('AutoHealBudgetDenied');
  });
});
