/**
 * Production guards with the replicas wired as main.ts wires them (Lease, budgets from Events,
 * status API), faults injected at the network boundary: admission errors, leadership lost between
 * a read and a write, an unloadable budget ledger, quick `POST /api/check` calls, followers.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import request from 'supertest';
import { MERGE_PATCH } from '../../src/actions/kube.js';
import { RESTARTED_AT } from '../../src/actions/restart.js';
import { LedgerBudgetGate } from '../../src/budget/gate.js';
import { DEFAULT_BUDGET_LIMITS } from '../../src/budget/types.js';
import { NS, startWorld, TOKEN, type World } from './world.js';

const DEPLOYMENT = /^\/apis\/apps\/v1\/namespaces\/shop\/deployments\/web$/;
const SCALE = /^\/apis\/apps\/v1\/namespaces\/shop\/deployments\/web\/scale$/;
const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };

let w: World | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

describe('production guards in the running loop', () => {
  it('admission webhook answering 500 for a minute: the same rung is retried, never a climb to rollback', async () => {
    w = await startWorld([WEB]);
    const r = await w.addReplica({ identity: 'healer-0' });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    w.proxy.fail({ method: 'PATCH', path: DEPLOYMENT, mode: 500, count: Infinity });
    await w!.cyclesUntil(r, async () => (await w!.reasons('web')).includes('AutoHealActionFailed'));
    const outageStart = w.clock.now();
    while (w.clock.now() - outageStart < 60_000) {
      w.advance();
      await r.cycle();
    }
    w.proxy.clear(); // the webhook is back
    await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0, 6);
    const reasons = await w.reasons('web');
    expect(await w!.actions()).toEqual(['AutoHealRestart']); // no cache clear, no rollback, no page
    expect(reasons).not.toContain('AutoHealNeedsAttention');
    const failed = (await w.events('web')).filter((e) => e.reason === 'AutoHealActionFailed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]?.message).toMatch(
      /→ restart \+ scale up \(attempt 1\/3\): rollout restart failed: .*HTTP 500.*; retrying step 1 in 30 s \(action error 1\/3\)$/,
    );
    expect(failed.every((e) => e.action === 'restart_scale')).toBe(true);
    expect(await w.healState('web')).toMatchObject({ phase: 'stabilising', step: 1, attempt: 1 });
  });

  it('restart + scale with the scale half failing is a failed step (an action error), never reported done', async () => {
    w = await startWorld([WEB]);
    const r = await w.addReplica({ identity: 'healer-0' });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    w.proxy.fail({ method: 'PATCH', path: SCALE, mode: 500, count: Infinity });
    await w!.cyclesUntil(r, async () => (await w!.reasons('web')).includes('AutoHealActionFailed'));
    const failed = (await w.events('web')).filter((e) => e.reason === 'AutoHealActionFailed');
    expect(failed[0]?.message).toMatch(
      /→ restart \+ scale up \(attempt 1\/3\): .*scale up failed: .*HTTP 500.*; retrying step 1 in 30 s \(action error 1\/3\)$/,
    );
    // No "done" restart was announced for the half-failed rung.
    expect(await w!.actions()).toEqual([]);
    expect(await w.healState('web')).toMatchObject({ step: 1, actionErrors: 1 });
    // The restart half still went through (and cures the crash loop): recovered, with no
    // replicas to give back, since none were added.
    w.proxy.clear();
    await w!.cyclesUntil(r, async () => (await w!.reasons('web')).includes('AutoHealRecovered'));
    expect(await w!.actions()).toEqual([]);
    expect((await w.deployment('web')).spec?.replicas).toBe(2);
  });

  it('leadership lost between the read and the write: nothing is written', async () => {
    w = await startWorld([WEB]);
    let leading = true;
    let armed = false;
    const r = await w.addReplica({ identity: 'healer-0', leading: () => leading });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    // The Lease is lost right when the healer re-reads the deployment to patch it.
    w.proxy.onRequest((method, path) => {
      if (armed && method === 'GET' && DEPLOYMENT.test(path)) leading = false;
    });
    armed = true;
    let lost: string[] = [];
    for (let i = 0; i < 8 && lost.length === 0; i++) {
      w.advance();
      lost = (await r.cycle())?.errors.filter((e) => /lost leadership/.test(e)) ?? [];
    }
    expect(lost).toEqual(['lost leadership during the cycle: stopped acting']);
    expect(w.proxy.seen.filter((q) => q.method === 'PATCH' && DEPLOYMENT.test(q.path))).toEqual([]);
    expect(
      (await w.deployment('web')).spec?.template.metadata?.annotations?.[RESTARTED_AT],
    ).toBeUndefined();
    expect(await w.reasons('web')).toEqual([]);
    expect(w.slack.messages()).toEqual([]);
  });

  it("the heal state carries the Lease's term, and a stale ex-leader's write is refused", async () => {
    w = await startWorld([WEB]);
    const r = await w.addReplica({ identity: 'healer-0' });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0);
    const term = r.elector.term();
    expect(term).toBeDefined();
    expect((await w.healState('web'))?.term).toBe(term);
    // A newer leader (term + 1) wrote the heal state since: this replica's next write is refused.
    const state = (await w.healState('web'))!;
    await w.kube.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NS,
        body: {
          metadata: {
            annotations: { 'aiops.io/heal-state': JSON.stringify({ ...state, term: term! + 1 }) },
          },
        },
      },
      MERGE_PATCH,
    );
    const before = await w.deployment('web');
    for (let i = 0; i < 8; i++) {
      w.advance();
      await r.cycle();
    }
    const after = await w.deployment('web');
    expect(after.spec?.template).toEqual(before.spec?.template);
    expect((await w.healState('web'))?.term).toBe(term! + 1);
  });

  it('budgets fail closed: while the ledger cannot be loaded there is no action; then there is', async () => {
    w = await startWorld([WEB]);
    let eventsListable = false;
    const r = await w.addReplica({
      identity: 'healer-0',
      gate: () =>
        new LedgerBudgetGate(DEFAULT_BUDGET_LIMITS, [], async () => {
          if (!eventsListable) throw new Error('listing Events: HTTP 503 (injected)');
          return [];
        }),
    });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    for (let i = 0; i < 6; i++) {
      w.advance();
      await r.cycle();
    }
    expect(await w!.actions()).toEqual([]);
    const denied = (await w.events('web')).filter((e) => e.reason === 'AutoHealBudgetDenied');
    expect(denied).toHaveLength(1);
    expect(denied[0]?.message).toMatch(
      /ledger_unavailable: the budget ledger is not loaded \(listing Events: HTTP 503 \(injected\)\): no actions until it is/,
    );
    eventsListable = true;
    await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0, 3);
  });

  it('hysteresis counts time, not calls: quick POST /api/check calls cannot satisfy enterCycles', async () => {
    w = await startWorld([WEB]);
    const r = await w.addReplica({ identity: 'healer-0', config: { enterCycles: 3 } });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    // one scheduled cycle sees the risk high (1/3)…
    for (let i = 0; i < 6; i++) {
      w.advance();
      await r.cycle();
      const row = (await request(r.app).get('/api/deployments').expect(200)).body[0];
      if (row.state === 'watching') break;
    }
    // …then five checks within the same second
    for (let i = 0; i < 5; i++) {
      await request(r.app).post('/api/check').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      w.sim.tick(200);
    }
    expect(await w!.actions()).toEqual([]);
    // two more scheduled cycles and it acts
    await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0, 3);
  });

  it('a follower writes no Event, not even for a bad annotation', async () => {
    w = await startWorld([WEB]);
    const a = await w.addReplica({ identity: 'healer-0' });
    const b = await w.addReplica({ identity: 'healer-1' });
    await w.kube.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NS,
        body: { metadata: { annotations: { 'aiops.io/threshold': 'high' } } },
      },
      MERGE_PATCH,
    );
    for (let i = 0; i < 4; i++) {
      w.advance();
      await Promise.all([a.cycle(), b.cycle()]);
    }
    const leader = a.elector.isLeader() ? a : b;
    const events = await w.events('web');
    expect(events.map((e) => e.reason)).toEqual(['AutoHealBadAnnotation']);
    expect(events.map((e) => e.reportingInstance)).toEqual([leader.identity]);
  });
});
