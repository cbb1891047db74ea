/**
 * Scenario tests: a simulator fault → healer cycles on an injected clock → the expected rung cures
 * it → attempts reset; a bad release climbs to rollback; an incurable fault ends at "needs
 * attention" with no further actions.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { readPersisted } from '../src/actions/state.js';
import { MERGE_PATCH } from '../src/actions/kube.js';
import { RESTARTED_AT } from '../src/actions/restart.js';
import { startHarness, type Harness } from './harness.js';

const NS = 'shop';
const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };
const OTHER = { ...defaultWorkload(NS, 'other'), autoheal: true, replicas: 1 };

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const reasons = (name = 'web'): Promise<string[]> => h!.reasons(NS, name);
async function healState(name = 'web') {
  return readPersisted(await h!.kube.apps.readNamespacedDeployment({ name, namespace: NS })).state;
}
const cyclesUntil = (pred: () => Promise<boolean> | boolean, max: number) =>
  h!.cyclesUntil(pred, max, { namespace: NS, name: 'web' });

describe('healer scenarios against the simulator', () => {
  it('healthy deployments: no actions, no Events, no Slack messages', async () => {
    h = await startHarness({ workloads: [WEB, OTHER] });
    for (let i = 0; i < 5; i++) {
      const r = await h.cycle();
      expect(r.errors).toEqual([]);
      expect(r.watched).toBe(2);
      expect(
        r.rows.every((row) => row.decision === 'none' && row.risk !== null && row.risk < 0.5),
      ).toBe(true);
      // where the cycle's time went: every phase, adding up to no more than the cycle
      expect(Object.keys(r.phasesMs ?? {})).toEqual(
        expect.arrayContaining(['list', 'targets', 'assess', 'decide', 'handle', 'metrics']),
      );
      const phases = Object.values(r.phasesMs ?? {});
      expect(phases.every((ms) => Number.isFinite(ms) && ms >= 0)).toBe(true);
      expect(phases.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(Math.ceil(r.durationMs) + 10);
    }
    expect(await reasons()).toEqual([]);
    expect(h.slack.messages()).toEqual([]);
    expect(h.predictor.requests).toHaveLength(5); // one batched /predict per cycle
    expect(h.predictor.requests[0]?.instances).toHaveLength(2);
  });

  it('crash loop: restart cures it, then the attempts reset', async () => {
    h = await startHarness({ workloads: [WEB, OTHER] });
    await h.cycle();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRestart'), 10);
    const state = await healState();
    expect(state).toMatchObject({ phase: 'stabilising', step: 1, attempt: 1 });
    const dep = await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(dep.spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBeDefined();
    expect(dep.spec?.replicas).toBe(3); // scaled up by one step
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRecovered'), 12);
    expect(await reasons()).toEqual([
      'AutoHealRestart',
      'AutoHealStepCured',
      'AutoHealRecovered',
      'AutoHealScaleReturned',
    ]);
    expect(await healState()).toBeUndefined(); // attempts reset: annotations cleared
    // the replica the healer added is given back once it recovered
    const after = await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(after.spec?.replicas).toBe(2);
    expect(h.sim.faults.list()[0]?.state).toBe('cured');
    const kinds = h.slack.messages().map((m) => String(m.text).split(' ')[0]);
    expect(kinds).toEqual([':hammer_and_wrench:', ':white_check_mark:', ':large_green_circle:']);
    const recovered = h.slack.messages().at(-1)?.text ?? '';
    expect(recovered).toMatch(/recovered after restart \+ scale up in \d+ s/);
    // the other deployment was never touched
    expect(await reasons('other')).toEqual([]);
    // outcome recorded and exported
    const outcome = h.sink.actions.find((a) => a.outcome === 'cured');
    expect(outcome).toMatchObject({ action: 'restart_scale', step: 1 });
    expect(outcome!.riskAfter!).toBeLessThan(outcome!.riskBefore);
    const metric = await h.metrics.stepOutcomes.get();
    expect(metric.values).toEqual([
      expect.objectContaining({ labels: { action: 'restart_scale', outcome: 'cured' }, value: 1 }),
    ]);
  });

  it('bad release: restart and cache clear do not help, rollback does', async () => {
    h = await startHarness({ workloads: [WEB] });
    const good = (await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS })).spec
      ?.template.spec?.containers[0]?.image;
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRollback'), 30);
    expect(await reasons()).toEqual([
      'AutoHealRestart',
      'AutoHealStepNotCured',
      'AutoHealCacheClear',
      'AutoHealStepNotCured',
      'AutoHealRollback',
    ]);
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRecovered'), 12);
    const image = (await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS })).spec
      ?.template.spec?.containers[0]?.image;
    expect(image).toBe(good);
    // the episode is over; the release rolled back from is remembered (never rolled back to)
    expect(await healState()).toMatchObject({
      phase: 'healthy',
      attempt: 0,
      badReleases: [expect.any(String)],
    });
    const events = await h.events(NS, 'web');
    expect(events.find((e) => e.reason === 'AutoHealRestart')?.message).toMatch(
      /^risk 1\.00 ≥ 0\.80 for 2\/2 cycles; top http_5xx_error_rate=0\.2\d \(\+\d\.\d\d\) → restart \+ scale up \(attempt 1\/3\): rollout restart at .*; replicas 2 → 3 \(max 10\)$/,
    );
  });

  it('incurable fault: climbs the whole ladder, pages once, then takes no further action', async () => {
    h = await startHarness({ workloads: [WEB] });
    h.sim.faults.inject({
      namespace: NS,
      deployment: 'web',
      kind: 'incurable',
      params: { errorRate: 0.5 },
    });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealNeedsAttention'), 40);
    const before = await reasons();
    expect(before.filter((r) => r === 'AutoHealNeedsAttention')).toHaveLength(1);
    expect(before.filter((r) => /^AutoHeal(Restart|CacheClear|Rollback)$/.test(r))).toEqual([
      'AutoHealRestart',
      'AutoHealCacheClear',
      // no previous revision: the rollback is refused and reported, then the page
    ]);
    expect(before).toContain('AutoHealActionFailed');
    const slackBefore = h.slack.messages().length;
    const rv = (await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS })).metadata
      ?.resourceVersion;
    for (let i = 0; i < 10; i++) await h.cycle();
    expect(await reasons()).toEqual(before);
    expect(h.slack.messages()).toHaveLength(slackBefore);
    expect(await healState()).toMatchObject({ phase: 'needs_attention', attempt: 3 });
    const after = await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(
      after.metadata?.resourceVersion === rv ||
        after.metadata?.annotations?.['aiops.io/heal-attempt'] === '3',
    ).toBe(true);
    expect(h.sink.statuses.get(`${NS}/web`)?.state).toBe('needs_attention');
  });

  it('dry-run: decides, notifies "would have", changes nothing, and the shadow report judges it', async () => {
    h = await startHarness({ workloads: [WEB], config: { dryRun: true } });
    const rv = (await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS })).spec
      ?.template;
    h.sim.faults.inject({
      namespace: NS,
      deployment: 'web',
      kind: 'error_burst',
      params: { errorRate: 0.3, durationSec: 90 },
    });
    await cyclesUntil(() => h!.healer.shadowEntries().length > 0, 10);
    expect(await reasons()).toEqual([]); // no Events in dry-run
    const dep = await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(dep.spec?.template).toEqual(rv);
    expect(readPersisted(dep).state).toBeUndefined();
    expect(h.slack.messages()[0]?.text).toContain(
      '[dry-run] Would have run restart + scale up on shop/web',
    );
    for (let i = 0; i < 6; i++) await h.cycle();
    const [entry] = h.healer.shadowEntries();
    expect(entry).toMatchObject({ action: 'restart_scale', step: 1, resolvedByItself: true });
    expect(entry!.riskAfter!).toBeLessThan(0.8);
  });
});

describe('healer details against the simulator', () => {
  it('with an HPA: raises minReplicas instead of scaling, restores it on recovery', async () => {
    h = await startHarness({
      workloads: [{ ...WEB, hpa: { minReplicas: 2, maxReplicas: 5 } }],
    });
    await h.cycle();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRestart'), 10);
    const hpa = () =>
      h!.kube.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'web', namespace: NS });
    expect((await hpa()).spec?.minReplicas).toBe(3);
    expect(await healState()).toMatchObject({ hpa: { name: 'web', originalMinReplicas: 2 } });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRecovered'), 12);
    expect((await hpa()).spec?.minReplicas).toBe(2);
    expect((await hpa()).metadata?.annotations?.['aiops.io/original-min-replicas']).toBeUndefined();
    expect(await healState()).toBeUndefined();
  });

  it('per-deployment dry-run and a bad annotation: the other deployment is healed, this one only planned', async () => {
    h = await startHarness({
      workloads: [WEB, { ...OTHER, baseRps: 20 }],
      // Both of the two deployments crash at once: the fleet guard would (rightly) hold them.
      config: { fleet: { minAtRisk: 3 } },
    });
    const annotate = (name: string, annotations: Record<string, string>) =>
      h!.kube.apps.patchNamespacedDeployment(
        { name, namespace: NS, body: { metadata: { annotations } } },
        MERGE_PATCH,
      );
    await annotate('other', { 'aiops.io/dry-run': 'true', 'aiops.io/threshold': 'high' });
    await annotate('web', {
      'aiops.io/scale-step': 'two',
      // read by the feature source, not the rules: it was ignored without a word
      'aiops.io/slo-availability': 'abc',
    });
    for (const d of ['web', 'other'])
      h.sim.faults.inject({ namespace: NS, deployment: d, kind: 'crash_loop' });
    await cyclesUntil(async () => (await reasons('web')).includes('AutoHealRestart'), 10);
    await h.cycle();
    // a bad annotation is one Warning Event (once), the default kept …
    const bad = (await h.events(NS, 'web')).filter((e) => e.reason === 'AutoHealBadAnnotation');
    expect(bad.map((e) => [e.type, e.message]).sort()).toEqual([
      ['Warning', 'aiops.io/scale-step: "two" is not an integer in [0, 1000]; using 1'],
      [
        'Warning',
        'aiops.io/slo-availability: "abc" is not an objective above 50 % and below 100 % (0.999 or 99.9%); ignored',
      ],
    ]);
    // … but a dry-run deployment gets no Event at all, not even that one: dry-run writes nothing
    expect(await reasons('other')).toEqual([]);
    expect(await healState('other')).toBeUndefined();
    expect(h.healer.shadowEntries().map((e) => `${e.name}:${e.action}`)).toEqual([
      'other:restart_scale',
    ]);
    expect(h.sink.statuses.get(`${NS}/other`)?.dryRun).toBe(true);
  });

  it('reset clears the heal state so the ladder starts over', async () => {
    h = await startHarness({ workloads: [WEB] });
    h.sim.faults.inject({
      namespace: NS,
      deployment: 'web',
      kind: 'incurable',
      params: { errorRate: 0.5 },
    });
    await cyclesUntil(async () => (await healState())?.phase === 'stabilising', 10);
    await h.healer.reset(NS, 'web');
    expect(await healState()).toBeUndefined();
    const dep = await h.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(dep.metadata?.annotations?.['aiops.io/heal-attempt']).toBeUndefined();
    // after a reset the healer counts N cycles again, then starts at step 1
    const r = await h.cycle();
    expect(r.rows[0]?.decision).toBe('none');
    await h.cycle();
    expect(await healState()).toMatchObject({ step: 1, attempt: 1 });
  });
});
