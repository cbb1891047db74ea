/**
 * The change-aware ladder against the simulator: a bad release detected right after its rollout is
 * rolled back first — no restart that would hide it — and the reason names the image change; in
 * production the rollback still waits for its approval; a release older than the window climbs
 * the ladder as before.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { startHumans, type HumansHarness } from './support.js';

let h: HumansHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const workload = (ns: string) => ({
  ...defaultWorkload(ns, 'web'),
  autoheal: true,
  replicas: 2,
  baseRps: 20,
});
const image = async (ns: string) =>
  (await h!.kube.apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.template.spec
    ?.containers[0]?.image;

describe('change-aware ladder', () => {
  it('a bad release right after its rollout is rolled back without a restart first', async () => {
    h = await startHumans({ workloads: [workload('shop')] });
    await h.cycle(); // the healer knows the release before the bad one
    const good = await image('shop');
    h.sim.faults.inject({ namespace: 'shop', deployment: 'web', kind: 'bad_release' });
    const bad = await image('shop');
    await h.cyclesUntil(
      async () => (await h!.reasons('shop', 'web')).includes('AutoHealRollback'),
      8,
      { namespace: 'shop', name: 'web' },
    );
    expect(await h.reasons('shop', 'web')).toEqual(['AutoHealRollback']);
    expect(await image('shop')).toBe(good);
    const ev = (await h.events('shop', 'web')).find((e) => e.reason === 'AutoHealRollback');
    expect(ev?.message).toContain(`image web: ${good} → ${bad}`);
    expect(ev?.message).toMatch(/rollback first/);
    const msg = h.slack.messages().find((m) => /rollback first/.test(String(m.text)));
    expect(msg).toBeDefined();
    // And it recovers from there.
    await h.cyclesUntil(
      async () => (await h!.reasons('shop', 'web')).includes('AutoHealRecovered'),
      12,
      { namespace: 'shop', name: 'web' },
    );
  });

  it('in production the rollback-first still waits for its approval', async () => {
    h = await startHumans({ workloads: [workload('prod')] });
    await h.cycle();
    h.sim.faults.inject({ namespace: 'prod', deployment: 'web', kind: 'bad_release' });
    await h.cyclesUntil(
      async () => (await h!.reasons('prod', 'web')).includes('AutoHealApprovalRequested'),
      8,
      { namespace: 'prod', name: 'web' },
    );
    await h.cycle();
    expect(await h.reasons('prod', 'web')).toEqual(['AutoHealApprovalRequested']);
    const [a] = (await h.call('GET', '/api/approvals')).json as Array<{
      action: string;
      reason: string;
    }>;
    expect(a).toMatchObject({ action: 'rollback' });
    expect(a?.reason).toMatch(/image web: .* → /);
  });

  it('outside the window the ladder starts with a restart as before', async () => {
    h = await startHumans({
      workloads: [workload('shop')],
      config: { changeAware: { windowMs: 10_000 } },
    });
    await h.cycle();
    h.sim.faults.inject({ namespace: 'shop', deployment: 'web', kind: 'bad_release' });
    await h.cyclesUntil(
      async () => (await h!.reasons('shop', 'web')).some((r) => /Restart|Rollback/.test(r)),
      8,
      { namespace: 'shop', name: 'web' },
    );
    expect((await h.reasons('shop', 'web'))[0]).toBe('AutoHealRestart');
  });
});
