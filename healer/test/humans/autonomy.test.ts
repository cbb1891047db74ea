/**
 * Autonomy earned from evidence, against the simulator: with `autonomy.enabled`, an action type in
 * a namespace without evidence needs a person's approval; once dry-run deployments of that
 * namespace show (in the shadow ledger) that the would-be restarts were needed, restarts there
 * run on their own.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { startHumans, type HumansHarness } from './support.js';

const NS = 'shop';
const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };
const CANARY = { ...defaultWorkload(NS, 'canary'), autoheal: true, replicas: 2, baseRps: 20 };
const CONFIG = {
  autonomy: { enabled: true, minEpisodes: 1, approveAt: 0.5, autoAt: 0.9, window: 5 },
  fleet: { minAtRisk: 3 },
};

let h: HumansHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('autonomy earned from shadow evidence', () => {
  it('without evidence a restart waits for approval', async () => {
    h = await startHumans({ workloads: [WEB], config: CONFIG });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await h.cyclesUntil(
      async () => (await h!.reasons(NS, 'web')).includes('AutoHealApprovalRequested'),
      6,
      { namespace: NS, name: 'web' },
    );
    expect(await h.reasons(NS, 'web')).toEqual(['AutoHealApprovalRequested']);
  });

  it('needed would-be restarts in dry-run earn auto; then restarts run on their own', async () => {
    h = await startHumans({ workloads: [WEB, CANARY], config: CONFIG });
    await h.annotate(NS, 'canary', { 'aiops.io/dry-run': 'true' });
    h.sim.faults.inject({ namespace: NS, deployment: 'canary', kind: 'crash_loop' });
    type Row = { namespace: string; action: string; level: string; precision: number };
    const level = async () =>
      ((await h!.call('GET', '/api/autonomy')).json as Row[]).find(
        (r) => r.namespace === NS && r.action === 'restart_scale',
      );
    await h.cyclesUntil(async () => (await level())?.level === 'auto', 12, {
      namespace: NS,
      name: 'canary',
    });
    expect(await level()).toMatchObject({ level: 'auto', precision: 1 });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await h.cyclesUntil(async () => (await h!.reasons(NS, 'web')).includes('AutoHealRestart'), 6, {
      namespace: NS,
      name: 'web',
    });
    expect(await h.reasons(NS, 'web')).toEqual(['AutoHealRestart']);
  });

  it('the evidence outlives the leader: a new leader keeps the level it was earned at', async () => {
    h = await startHumans({ workloads: [WEB, CANARY], config: CONFIG, keepEvidence: true });
    await h.annotate(NS, 'canary', { 'aiops.io/dry-run': 'true' });
    h.sim.faults.inject({ namespace: NS, deployment: 'canary', kind: 'crash_loop' });
    type Row = { namespace: string; action: string; level: string };
    const levelOn = async (x: HumansHarness) =>
      ((await x.call('GET', '/api/autonomy')).json as Row[]).find(
        (r) => r.namespace === NS && r.action === 'restart_scale',
      )?.level;
    await h.cyclesUntil(async () => (await levelOn(h!)) === 'auto', 12, {
      namespace: NS,
      name: 'canary',
    });
    const stored = await h.kube.core.readNamespacedConfigMap({
      name: 'aiops-healer-evidence',
      namespace: 'default',
    });
    expect(JSON.parse(stored.data?.['shadow.json'] ?? '[]').length).toBeGreaterThan(0);
    // The leader is gone; the next one takes the evidence over before it acts.
    const next = await startHumans({
      workloads: [WEB, CANARY],
      sim: h.sim,
      config: CONFIG,
      keepEvidence: true,
    });
    try {
      await next.healer.runCycle({ observeOnly: true });
      h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
      await next.cyclesUntil(
        async () => (await next.reasons(NS, 'web')).includes('AutoHealRestart'),
        6,
        { namespace: NS, name: 'web' },
      );
      expect(await next.reasons(NS, 'web')).toEqual(['AutoHealRestart']);
      expect(await levelOn(next)).toBe('auto');
    } finally {
      await next.stop();
    }
  });

  it('a person’s approval is evidence too: once approved restarts proved needed, restarts run on their own', async () => {
    h = await startHumans({ workloads: [WEB, CANARY], config: CONFIG });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    type Pending = { id: string; action: string; state: string };
    let pending: Pending | undefined;
    await h.cyclesUntil(
      async () => {
        pending = ((await h!.call('GET', '/api/approvals')).json as Pending[]).find(
          (a) => a.state === 'pending' && a.action === 'restart_scale',
        );
        return pending !== undefined;
      },
      6,
      { namespace: NS, name: 'web' },
    );
    expect(
      (await h.call('POST', `/api/approvals/${pending!.id}/approve`, { by: 'carol' })).status,
    ).toBe(200);
    await h.cycle();
    expect(await h.reasons(NS, 'web')).toContain('AutoHealRestart');
    type Row = { namespace: string; action: string; level: string; byHumans: number };
    const row = ((await h.call('GET', '/api/autonomy')).json as Row[]).find(
      (r) => r.namespace === NS && r.action === 'restart_scale',
    );
    expect(row).toMatchObject({ level: 'auto', byHumans: 1 });
    // Without the decision counted, canary's restart would wait for a person as web's did.
    h.sim.faults.inject({ namespace: NS, deployment: 'canary', kind: 'crash_loop' });
    await h.cyclesUntil(
      async () => (await h!.reasons(NS, 'canary')).includes('AutoHealRestart'),
      6,
      { namespace: NS, name: 'canary' },
    );
    expect(await h.reasons(NS, 'canary')).toEqual(['AutoHealRestart']);
  });
});
