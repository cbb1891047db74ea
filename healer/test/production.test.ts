/**
 * What an SRE checks before switching the healer on in production (issue 13), each as a
 * simulator scenario driven one cycle at a time on the injected clock: a step judged only after
 * its rollout, a human's pause respected, never back to a known-bad release, someone else's
 * release ending the episode, the fleet guard, scale-ups given back, stale assessments, UIDs,
 * dry-run writing nothing, Slack kept off the loop.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload, type WorkloadSpec } from '@aiops/simulator';
import { MERGE_PATCH } from '../src/actions/kube.js';
import { readPersisted } from '../src/actions/state.js';
import type { FeatureSource } from '../src/sources/types.js';
import { startHarness, type Harness } from './harness.js';

const NS = 'shop';
const web = (over: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
  ...defaultWorkload(NS, 'web'),
  autoheal: true,
  replicas: 2,
  baseRps: 20,
  ...over,
});
const ACTIONS = /^AutoHeal(Restart|CacheClear|Rollback)$/;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const reasons = (name = 'web'): Promise<string[]> => h!.reasons(NS, name);
const dep = (name = 'web') => h!.kube.apps.readNamespacedDeployment({ name, namespace: NS });
const image = async (name = 'web') => (await dep(name)).spec?.template.spec?.containers[0]?.image;
const healState = async (name = 'web') => readPersisted(await dep(name)).state;
const cyclesUntil = (pred: () => Promise<boolean> | boolean, max: number) =>
  h!.cyclesUntil(pred, max, { namespace: NS, name: 'web' });
const patch = (name: string, body: object) =>
  h!.kube.apps.patchNamespacedDeployment({ name, namespace: NS, body }, MERGE_PATCH);

describe('a step is judged only after the rollout it caused', () => {
  it('slow 20-replica rollout: no verdict and no escalation until every pod is updated and available', async () => {
    h = await startHarness({
      workloads: [web({ replicas: 20, baseRps: 200, readinessDelaySec: 10 })],
    });
    // one new pod at a time, never fewer available: ~20 × 10 s of rollout
    await patch('web', {
      spec: { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
    });
    await h.cycle();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'error_burst' });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRestart'), 10);
    let completeAt: number | undefined;
    const rolledOut = async (): Promise<boolean> => {
      const s = (await dep()).status ?? {};
      const d = await dep();
      const want = d.spec?.replicas ?? 0;
      return (
        (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        s.updatedReplicas === want &&
        s.availableReplicas === want &&
        s.replicas === want
      );
    };
    let judgedDuringRollout = false;
    for (
      let i = 0;
      i < 30 && !(await reasons()).some((r) => /StepCured|StepNotCured/.test(r));
      i++
    ) {
      await h.cycle();
      if (completeAt === undefined && (await rolledOut())) completeAt = h.clock.now();
      if (
        completeAt === undefined &&
        (await reasons()).some((r) => /StepCured|StepNotCured/.test(r))
      )
        judgedDuringRollout = true;
    }
    expect(judgedDuringRollout).toBe(false);
    expect(completeAt).toBeDefined();
    const verdict = (await h.events(NS, 'web')).find((e) =>
      /StepCured|StepNotCured/.test(e.reason ?? ''),
    );
    expect(verdict?.reason).toBe('AutoHealStepCured');
    // settled for stabilisationMs after the rollout, then judged on N cycles
    const at = new Date(verdict!.lastTimestamp ?? verdict!.eventTime ?? 0).getTime();
    expect(at - completeAt!).toBeGreaterThanOrEqual(h.config.stabilisationMs);
    expect((await reasons()).filter((r) => ACTIONS.test(r))).toEqual(['AutoHealRestart']);
    // the rollout took well over the settle time: the old one-sample judgement came mid-rollout
    const restartAt = new Date(
      (await h.events(NS, 'web')).find((e) => e.reason === 'AutoHealRestart')!.lastTimestamp!,
    ).getTime();
    expect(completeAt! - restartAt).toBeGreaterThan(h.config.stabilisationMs);
  });
});

describe('a human holds the deployment', () => {
  it('paused: no exec, no rollback, one page — and the healer resumes once it is resumed', async () => {
    h = await startHarness({
      workloads: [web()],
      execFake: true,
      config: { cacheClear: { method: 'exec', command: ['sh', '-c', 'cache-clear'] } },
    });
    const template = (await dep()).spec?.template;
    await patch('web', { spec: { paused: true } }); // kubectl rollout pause
    h.sim.faults.inject({
      namespace: NS,
      deployment: 'web',
      kind: 'incurable',
      params: { errorRate: 0.5 },
    });
    for (let i = 0; i < 15; i++) await h.cycle();
    expect(h.exec!.calls).toEqual([]);
    expect((await dep()).spec?.template).toEqual(template); // no restart, no rollback
    const r = await reasons();
    expect(r.filter((x) => ACTIONS.test(x))).toEqual([]);
    expect(r.filter((x) => x === 'AutoHealHeld')).toHaveLength(1);
    const pages = h.slack.messages().filter((m) => /needs attention/.test(String(m.text)));
    expect(pages).toHaveLength(1);
    expect(pages[0]?.text).toMatch(/spec\.paused=true.*a human is working on it/);
    expect(h.slack.messages()).toHaveLength(1);
    await patch('web', { spec: { paused: false } }); // kubectl rollout resume
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRestart'), 3);
  });
});

describe('release-scoped rollback', () => {
  it('flip-flop: after rolling back from a bad release, never back to it (refused with the reason, then paged)', async () => {
    h = await startHarness({ workloads: [web()] });
    const v1 = await image();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    await h.cycle();
    const v2 = await image();
    expect(v2).not.toBe(v1);
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRecovered'), 40);
    expect(await image()).toBe(v1);
    expect((await healState())?.badReleases).toHaveLength(1);
    // v1 goes bad too (its dependency fails): the ladder climbs again
    h.sim.faults.inject({
      namespace: NS,
      deployment: 'web',
      kind: 'incurable',
      params: { errorRate: 0.5 },
    });
    const images = new Set<string | undefined>();
    await cyclesUntil(async () => {
      images.add(await image());
      return (await reasons()).includes('AutoHealNeedsAttention');
    }, 40);
    expect([...images]).toEqual([v1]); // never back to v2
    const refused = (await h.events(NS, 'web')).filter((e) => e.reason === 'AutoHealActionFailed');
    expect(refused.at(-1)?.message).toMatch(
      /rollback.*no release to roll back to: every earlier release is known bad \(the healer rolled back from release [0-9a-f]{12} \(revisions? [\d, ]+\)\)/,
    );
    expect(await healState()).toMatchObject({ phase: 'needs_attention' });
  });

  it('a new release rolled out by someone else mid-episode ends the episode; no rollback of it', async () => {
    h = await startHarness({ workloads: [web()] });
    h.sim.faults.inject({
      namespace: NS,
      deployment: 'web',
      kind: 'incurable',
      params: { errorRate: 0.5 },
    });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRestart'), 10);
    // kubectl set image during the healer's episode
    const spec = (await dep()).spec!;
    await patch('web', {
      spec: {
        template: {
          spec: {
            containers: [
              { ...spec.template.spec!.containers[0]!, image: 'registry.local/app:2.0.0' },
            ],
          },
        },
      },
    });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealEpisodeEnded'), 3);
    const ended = (await h.events(NS, 'web')).find((e) => e.reason === 'AutoHealEpisodeEnded');
    expect(ended?.message).toMatch(
      /a new release \(template [0-9a-f]{12}, revision \d+\) was rolled out by someone else during step 1 \(restart \+ scale up\): episode ended after 1 action\(s\); counting starts afresh/,
    );
    expect(await healState()).toBeUndefined(); // nothing left to record
    // counting starts afresh: the next step is the first rung again, never a rollback to 1.0.0
    await cyclesUntil(
      async () => (await reasons()).filter((r) => r === 'AutoHealRestart').length === 2,
      6,
    );
    expect((await reasons()).filter((r) => ACTIONS.test(r))).toEqual([
      'AutoHealRestart',
      'AutoHealRestart',
    ]);
    expect(await image()).toBe('registry.local/app:2.0.0');
    expect(await healState()).toMatchObject({ step: 1, attempt: 1 });
    expect(
      h.slack
        .messages()
        .some((m) => /Episode on shop\/web ended: new release/.test(String(m.text))),
    ).toBe(true);
  });
});

describe('fleet guard (blast radius)', () => {
  it('crash loop in 4 deployments at once: zero actions, one grouped message, one Event each', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    h = await startHarness({
      workloads: names.map((n) => ({
        ...defaultWorkload(NS, n),
        autoheal: true,
        replicas: 2,
        baseRps: 20,
      })),
    });
    await h.cycle();
    for (const n of names.slice(0, 4))
      h.sim.faults.inject({ namespace: NS, deployment: n, kind: 'crash_loop' });
    for (let i = 0; i < 10; i++) await h.cycle();
    for (const n of names) {
      const r = await reasons(n);
      expect({ n, actions: r.filter((x) => ACTIONS.test(x)) }).toEqual({ n, actions: [] });
      expect({ n, holds: r.filter((x) => x === 'AutoHealFleetHold').length }).toEqual({
        n,
        holds: names.indexOf(n) < 4 ? 1 : 0,
      });
    }
    const texts = h.slack.messages().map((m) => String(m.text));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/Fleet guard: 4 deployments at risk together; no actions/);
    expect(texts[0]).toMatch(/4 of 6 at risk > maxAtRisk 3 cluster-wide/);
    expect(texts[0]).toMatch(/shop\/a, shop\/b, shop\/c, shop\/d/);
    expect(await h.metrics.fleetHold.get()).toMatchObject({ values: [{ value: 1 }] });
  });

  it('inconclusive for long in many deployments at once: one grouped message, an Event each', async () => {
    const names = ['a', 'b', 'c'];
    h = await startHarness({
      workloads: names.map((n) => ({ ...defaultWorkload(NS, n), autoheal: true })),
      config: { inconclusiveAlertMs: 60_000 },
    });
    await h.cycle();
    h.predictor.failWith = 500;
    for (let i = 0; i < 5; i++) await h.cycle();
    const texts = h.slack.messages().map((m) => String(m.text));
    expect(texts).toHaveLength(2); // /predict failing (the dependency warning) + the group
    expect(texts[1]).toMatch(/No usable data for 3 deployments/);
    for (const n of names)
      expect((await reasons(n)).filter((r) => r === 'AutoHealInconclusive')).toHaveLength(1);
  });
});

describe('scale back down', () => {
  it("an HPA's minReplicas is restored even when someone removed the heal-state annotations", async () => {
    h = await startHarness({ workloads: [web({ hpa: { minReplicas: 2, maxReplicas: 5 } })] });
    await h.cycle();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRestart'), 10);
    const hpa = () =>
      h!.kube.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'web', namespace: NS });
    expect((await hpa()).spec?.minReplicas).toBe(3);
    // kubectl annotate deployment web aiops.io/heal-state- aiops.io/heal-attempt-
    await patch('web', {
      metadata: { annotations: { 'aiops.io/heal-state': null, 'aiops.io/heal-attempt': null } },
    });
    await cyclesUntil(async () => (await hpa()).spec?.minReplicas === 2, 12);
    expect((await hpa()).metadata?.annotations?.['aiops.io/original-min-replicas']).toBeUndefined();
    const returned = (await h.events(NS, 'web')).find((e) => e.reason === 'AutoHealScaleReturned');
    expect(returned?.message).toMatch(
      /HPA web carries aiops\.io\/original-min-replicas=2 but no heal state records it: HPA web minReplicas restored to 2/,
    );
  });

  it('replicas someone else changed meanwhile are left as they are', async () => {
    h = await startHarness({ workloads: [web()] });
    await h.cycle();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRestart'), 10);
    expect((await dep()).spec?.replicas).toBe(3);
    await h.kube.apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: NS, body: { spec: { replicas: 5 } } },
      MERGE_PATCH,
    );
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRecovered'), 14);
    expect((await dep()).spec?.replicas).toBe(5);
    const returned = (await h.events(NS, 'web')).find((e) => e.reason === 'AutoHealScaleReturned');
    expect(returned?.message).toMatch(
      /replicas are 5, not the 3 the healer set: changed by someone else, left as they are/,
    );
  });
});

describe('fresh data and one deployment per UID', () => {
  it('an assessment older than one cycle is not acted on', async () => {
    let slow = false;
    h = await startHarness({
      workloads: [web()],
      // a slow feature fetch: 45 s of (virtual) time pass while the features are read
      wrapSource: (source, sim): FeatureSource => ({
        fetch: async (targets) => {
          const out = await source.fetch(targets);
          if (slow) sim.tick(45_000);
          return out;
        },
      }),
    });
    await h.cycle();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    slow = true;
    for (let i = 0; i < 6; i++) await h.cycle();
    const r = await reasons();
    expect(r.filter((x) => ACTIONS.test(x))).toEqual([]);
    expect(r.filter((x) => x === 'AutoHealStaleAssessment')).toHaveLength(1);
    const e = (await h.events(NS, 'web')).find((x) => x.reason === 'AutoHealStaleAssessment');
    expect(e?.message).toMatch(/stale_assessment: assessment 45 s old > maxAssessmentAgeMs 30 s/);
    slow = false;
    await cyclesUntil(async () => (await reasons()).includes('AutoHealRestart'), 3);
  });

  it('a deployment deleted and re-created under the same name starts counting from zero; a deleted one is forgotten', async () => {
    h = await startHarness({
      workloads: [web()],
      rule: () => ({ risk: 0.95, explanation: [] }), // always high: only the streak decides
    });
    const r1 = await h.cycle(); // streak 1 of 2
    expect(r1.rows[0]?.decision).toBe('none');
    const body = await dep();
    await h.kube.apps.deleteNamespacedDeployment({ name: 'web', namespace: NS });
    await h.kube.apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'web', namespace: NS, labels: body.metadata?.labels },
        spec: { replicas: 2, selector: body.spec!.selector, template: body.spec!.template },
      },
    });
    const r2 = await h.cycle();
    expect(r2.rows[0]).toMatchObject({ decision: 'none' }); // a new UID: streak 1 again, no action
    expect((await h.cycle()).rows[0]?.decision).toBe('restart_scale');
    await h.kube.apps.deleteNamespacedDeployment({ name: 'web', namespace: NS });
    await h.cycle();
    expect(h.sink.statuses.has(`${NS}/web`)).toBe(false);
    expect((await h.metrics.risk.get()).values).toEqual([]);
  });
});

describe('dry-run and Slack', () => {
  it('global dry-run writes nothing to the cluster, not even a bad-annotation Event', async () => {
    h = await startHarness({ workloads: [web()], config: { dryRun: true } });
    await patch('web', { metadata: { annotations: { 'aiops.io/threshold': 'high' } } });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    for (let i = 0; i < 6; i++) await h.cycle();
    expect(await reasons()).toEqual([]);
    expect(h.healer.shadowEntries().length).toBeGreaterThan(0);
  });

  it('Slack off the control loop: a hung webhook does not slow the cycle that acts', async () => {
    h = await startHarness({ workloads: [web()], config: { slack: { timeoutMs: 3_000 } } });
    await h.cycle();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    h.slack.failNext(1, 'timeout');
    let acted = false;
    for (let i = 0; i < 10 && !acted; i++) {
      h.sim.tick(30_000);
      const t0 = Date.now();
      const report = await h.healer.runCycle();
      acted = report.rows.some((r) => r.actionStatus === 'done');
      if (acted) expect(Date.now() - t0).toBeLessThan(1_500); // the webhook hangs for 3 s
    }
    expect(acted).toBe(true);
    expect(h.notifier.pending()).toBe(1); // queued, sent later
  });
});
