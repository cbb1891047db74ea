/**
 * Argo Rollouts as heal targets, end to end against the simulator (its fake API server serves
 * `argoproj.io/v1alpha1` Rollouts with the scale subresource, and its Rollout controller keeps
 * one ReplicaSet per release, promotes to `status.stableRS`, honours `spec.paused` and replaces
 * pods after `spec.restartAt`). `healer check` runs as the CLI runs it (`runCheck` + `exitCode`).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ManualClock,
  defaultWorkload,
  startSimulator,
  type RunningSimulator,
  type WorkloadSpec,
} from '@aiops/simulator';
import { pino } from 'pino';
import { exitCode, formatReport, runCheck } from '../src/cli.js';
import { configFromSources } from '../src/config.js';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../src/actions/kube.js';
import { rollbackWorkload } from '../src/actions/rollback.js';
import { restartWorkload } from '../src/actions/restart.js';
import { returnReplicas, scaleUp } from '../src/actions/scale.js';
import { RolloutKind, type ArgoRollout } from '../src/kinds/rollout.js';
import { startFakePredictor, type FakePredictor } from './fakePredict.js';

const NS = 'payments';
const rolloutWorkload = (name: string, o: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
  ...defaultWorkload(NS, name),
  kind: 'Rollout',
  autoheal: true,
  replicas: 2,
  baseRps: 20,
  ...o,
});

let sim: RunningSimulator;
let k: KubeClients;
let rollouts: RolloutKind;
let predictor: FakePredictor;

const read = async (name: string): Promise<ArgoRollout> =>
  (await rollouts.read(NS, name)) as ArgoRollout;

async function start(workloads: WorkloadSpec[]): Promise<void> {
  sim = await startSimulator({ clock: new ManualClock(Date.UTC(2026, 0, 1)), workloads });
  sim.tick(60_000); // pods scheduled, started, ready; the first release promoted to stable
  k = createKubeClients(loadKubeConfig(sim.kubeconfigPath));
  rollouts = new RolloutKind(k.custom);
  // One run sees one sample: errors or not-ready replicas alone make it risky.
  predictor = await startFakePredictor((f) => ({
    risk: f.http_5xx_error_rate > 0.1 || f.ready_replica_ratio < 1 ? 0.95 : 0.1,
    explanation: [
      { feature: 'http_5xx_error_rate', value: f.http_5xx_error_rate, contribution: 0.5 },
      { feature: 'ready_replica_ratio', value: f.ready_replica_ratio, contribution: 0.35 },
    ],
  }));
}

afterEach(async () => {
  await predictor?.stop();
  await sim?.stop();
});

const check = (namespaces: string[], extra: Record<string, unknown> = {}) =>
  runCheck(
    { dryRun: false, format: 'table', namespaces },
    {
      kc: loadKubeConfig(sim.kubeconfigPath),
      config: configFromSources(
        {},
        {
          features: { source: 'simulator', simulatorUrl: sim.url },
          backend: { url: predictor.url, retries: 0 },
          leader: { enabled: false },
          logLevel: 'silent',
          ...extra,
        },
      ),
      logger: pino({ level: 'silent' }),
      identity: 'healer-check-test',
      now: () => sim.clock.now(),
    },
  );

describe('healer check against a Rollout-only namespace', () => {
  beforeEach(() => start([rolloutWorkload('ledger')]));

  it('finds the Rollout, restarts it through spec.restartAt, and it heals', async () => {
    const before = await read('ledger');
    expect(before.status).toMatchObject({ phase: 'Healthy', availableReplicas: 2 });
    expect(before.status?.stableRS).toBe(before.status?.currentPodHash);
    // Pods that serve errors but stay ready: what a Rollout restart can fix.
    sim.faults.inject({ namespace: NS, deployment: 'ledger', kind: 'error_burst' });
    sim.tick(60_000);

    const first = await check([NS]);
    expect(first.rows).toEqual([
      expect.objectContaining({
        kind: 'Rollout',
        namespace: NS,
        name: 'ledger',
        decision: 'restart_scale',
        actionStatus: 'done',
      }),
    ]);
    expect(exitCode(first)).toBe(1);
    expect(formatReport(first, 'table')).toContain(`${NS}/ledger (Rollout)`);
    const restarted = await read('ledger');
    expect(restarted.spec?.restartAt).toBe('2026-01-01T00:02:00Z');
    // The heal state rides on the Rollout, as on a Deployment.
    expect(restarted.metadata?.annotations?.['aiops.io/heal-attempt']).toBe('1');
    // restart_scale: the scale subresource raised replicas (no HPA).
    expect(restarted.spec?.replicas).toBe(3);

    // The simulated Argo controller replaces the erroring pods one at a time.
    sim.tick(5 * 60_000);
    const healed = await read('ledger');
    expect(healed.status?.restartedAt).toBe(healed.spec?.restartAt);
    expect(healed.status).toMatchObject({ phase: 'Healthy', availableReplicas: 3 });
    expect(sim.faults.list()[0]?.state).toBe('cured');
    const after = await check([NS]);
    expect(after.rows[0]?.risk).toBeLessThan(0.5);
  });

  it('an empty scope exits 2 and says what it looked for', async () => {
    const report = await check(['nothing-here']);
    expect(report.watched).toBe(0);
    expect(exitCode(report)).toBe(2);
    expect(report.errors).toEqual([
      'no heal targets found: looked for Deployments and Rollouts labelled aiops.io/autoheal=enabled in namespaces nothing-here',
    ]);
    expect(formatReport(report, 'table')).toContain('error: no heal targets found');
  });

  it('with only Deployments enabled, the Rollout-only namespace is an empty scope', async () => {
    const report = await check([NS], { kinds: ['Deployment'] });
    expect(exitCode(report)).toBe(2);
    expect(report.errors[0]).toBe(
      `no heal targets found: looked for Deployments labelled aiops.io/autoheal=enabled in namespaces ${NS}`,
    );
  });
});

describe('Rollout actions against the simulated Argo controller', () => {
  beforeEach(() =>
    start([
      rolloutWorkload('ledger'),
      rolloutWorkload('fx', { hpa: { minReplicas: 2, maxReplicas: 6 } }),
    ]),
  );

  const replicaSets = async (name: string) =>
    (
      await k.apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: `app=${name}` })
    ).items.sort(
      (a, b) =>
        Number(a.metadata?.annotations?.['rollout.argoproj.io/revision']) -
        Number(b.metadata?.annotations?.['rollout.argoproj.io/revision']),
    );
  const image = async (name: string) =>
    (await read(name)).spec?.template?.spec?.containers[0]?.image;

  it('refuses a restart Argo would not carry out: crash-looping pods (not fully available)', async () => {
    sim.faults.inject({ namespace: NS, deployment: 'ledger', kind: 'crash_loop' });
    sim.tick(60_000);
    const r = await restartWorkload(rollouts, NS, 'ledger', { at: new Date(sim.clock.now()) });
    expect(r).toEqual({
      status: 'refused',
      detail:
        'Argo Rollouts restarts pods only while every ReplicaSet is fully available (0/2 pods available): spec.restartAt would wait, so it is not written',
    });
    expect((await read('ledger')).spec?.restartAt).toBeUndefined();
  });

  it('a paused Rollout is left alone: healer check holds and writes nothing', async () => {
    await rollouts.patch(NS, 'ledger', { spec: { paused: true } });
    sim.faults.inject({ namespace: NS, deployment: 'ledger', kind: 'error_burst' });
    sim.tick(60_000);
    expect((await read('ledger')).status?.phase).toBe('Paused');
    const report = await check([NS]);
    const row = report.rows.find((x) => x.name === 'ledger')!;
    expect(row).toMatchObject({ decision: 'restart_scale', actionStatus: 'held' });
    expect(row.detail).toContain(
      'paused: spec.paused=true (kubectl argo rollouts pause): a human is working on it; no action until it is resumed',
    );
    const after = await read('ledger');
    expect(after.spec?.restartAt).toBeUndefined();
    expect(after.spec?.replicas).toBe(2);
  });

  it('rolls a bad release back to the stable ReplicaSet while it rolls out, and never back to it', async () => {
    sim.faults.inject({ namespace: NS, deployment: 'ledger', kind: 'bad_release' });
    sim.tick(2_000); // the new release's ReplicaSet exists; its pods are not available yet
    const mid = await read('ledger');
    expect(mid.status?.currentPodHash).not.toBe(mid.status?.stableRS);
    const stableImage = (await replicaSets('ledger'))[0]!.spec?.template?.spec?.containers[0]
      ?.image;

    const r = await rollbackWorkload(rollouts, k.apps, NS, 'ledger');
    expect(r).toMatchObject({ status: 'done' });
    expect(r.detail).toMatch(
      /^rolled back to revision 1 \(ReplicaSet ledger-\w+\) from revision 2$/,
    );
    expect(await image('ledger')).toBe(stableImage);
    sim.tick(60_000);
    const back = await read('ledger');
    // Back on the stable ReplicaSet (made the newest revision, as undo does), no third one.
    expect(back.status).toMatchObject({ phase: 'Healthy', stableRS: mid.status?.stableRS });
    expect(back.status?.currentPodHash).toBe(mid.status?.stableRS);
    expect((await replicaSets('ledger')).map((s) => s.spec?.replicas)).toEqual([0, 2]);
    expect(back.metadata?.annotations?.['rollout.argoproj.io/revision']).toBe('3');

    // Release-scoped: with the bad release recorded, there is nothing left to go back to.
    const again = await rollbackWorkload(rollouts, k.apps, NS, 'ledger', {
      badReleases: [r.fromRelease!],
    });
    expect(again).toMatchObject({ status: 'refused', permanent: true });
    expect(again.detail).toMatch(/every earlier release is known bad/);
  });

  it('scales through the rollouts/scale subresource and gives the replicas back', async () => {
    const up = await scaleUp(k, rollouts, NS, 'ledger', { step: 2, maxReplicas: 3 });
    expect(up).toMatchObject({ status: 'done', scaled: { from: 2, to: 3 } });
    expect((await read('ledger')).spec?.replicas).toBe(3);
    sim.tick(30_000);
    expect((await read('ledger')).status?.availableReplicas).toBe(3);
    expect(await returnReplicas(rollouts, NS, 'ledger', up.scaled!)).toMatchObject({
      status: 'done',
    });
    expect((await read('ledger')).spec?.replicas).toBe(2);
  });

  it('raises the minReplicas of the HPA that targets the Rollout instead of fighting it', async () => {
    const up = await scaleUp(k, rollouts, NS, 'fx', { step: 1, maxReplicas: 10 });
    expect(up).toMatchObject({ status: 'done', hpa: { name: 'fx', originalMinReplicas: 2 } });
    const hpa = await k.autoscaling.readNamespacedHorizontalPodAutoscaler({
      name: 'fx',
      namespace: NS,
    });
    expect(hpa.spec?.minReplicas).toBe(3);
    expect(hpa.spec?.scaleTargetRef).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
    });
  });
});
