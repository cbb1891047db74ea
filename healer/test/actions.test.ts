/**
 * Each cluster action against the simulator through the real client: the cluster changes as it
 * would with kubectl (new ReplicaSet on restart, previous template on rollback, HPA minReplicas
 * raised, scale subresource patched, cache cleared through the pod proxy or exec).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { KubeConfig, type V1ReplicaSet } from '@kubernetes/client-node';
import {
  ManualClock,
  defaultWorkload,
  kubeconfigYaml,
  startSimulator,
  type RunningSimulator,
} from '@aiops/simulator';
import { clearCache } from '../src/actions/cacheClear.js';
import {
  createKubeClients,
  loadKubeConfig,
  MERGE_PATCH,
  type KubeClients,
} from '../src/actions/kube.js';
import { RESTARTED_AT, restartWorkload } from '../src/actions/restart.js';
import { REVISION, rollbackWorkload } from '../src/actions/rollback.js';
import { restoreHpaMin, scaleUp } from '../src/actions/scale.js';
import {
  HealStateConflictError,
  patchVersioned,
  readPersisted,
  stateAnnotations,
} from '../src/actions/state.js';
import { DeploymentKind } from '../src/kinds/deployment.js';
import { ANNOTATIONS } from '../src/policy/rules.js';
import { startExecFake } from './execFake.js';

const NS = 'shop';
let sim: RunningSimulator;
let k: KubeClients;
/** The Deployment kind's client over `k`. */
const deployments = (): DeploymentKind => new DeploymentKind(k.apps);

async function replicaSets(name: string): Promise<V1ReplicaSet[]> {
  const list = await k.apps.listNamespacedReplicaSet({
    namespace: NS,
    labelSelector: `app=${name}`,
  });
  return list.items.sort(
    (a, b) =>
      Number(a.metadata?.annotations?.[REVISION]) - Number(b.metadata?.annotations?.[REVISION]),
  );
}
const image = async (name: string): Promise<string | undefined> =>
  (await k.apps.readNamespacedDeployment({ name, namespace: NS })).spec?.template.spec
    ?.containers[0]?.image;

beforeEach(async () => {
  sim = await startSimulator({
    clock: new ManualClock(Date.UTC(2026, 0, 1)),
    workloads: [
      { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2 },
      {
        ...defaultWorkload(NS, 'cart'),
        autoheal: true,
        replicas: 2,
        hpa: { minReplicas: 2, maxReplicas: 5 },
      },
    ],
  });
  sim.tick(60_000); // pods scheduled, started and ready
  k = createKubeClients(loadKubeConfig(sim.kubeconfigPath));
});
afterEach(async () => {
  await sim.stop();
});

describe('restart', () => {
  it('patches the template annotation like kubectl and the controller rolls out a new ReplicaSet', async () => {
    const before = await replicaSets('web');
    expect(before).toHaveLength(1);
    const at = new Date(sim.clock.now());
    const r = await restartWorkload(deployments(), NS, 'web', {
      at,
      state: { phase: 'stabilising', step: 1, attempt: 1 },
    });
    expect(r).toMatchObject({ status: 'done' });
    sim.tick(30_000);
    const dep = await k.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(dep.spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBe(at.toISOString());
    expect(readPersisted(dep).state).toMatchObject({ phase: 'stabilising', step: 1, attempt: 1 });
    expect(dep.metadata?.annotations?.[ANNOTATIONS.healAttempt]).toBe('1');
    const after = await replicaSets('web');
    expect(after).toHaveLength(2);
    expect(after[1]?.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).toBe(at.toISOString());
  });

  it('refuses a paused deployment and changes nothing', async () => {
    await k.apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { paused: true } } },
      MERGE_PATCH,
    );
    const r = await restartWorkload(deployments(), NS, 'web', { at: new Date(sim.clock.now()) });
    expect(r).toEqual({
      status: 'refused',
      detail: 'deployment is paused (spec.paused=true: a human is working on it)',
    });
    const dep = await k.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(dep.spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
  });

  it('does not repeat a step another healer already recorded (the heal state changed since read)', async () => {
    const state = { phase: 'stabilising' as const, step: 1, attempt: 1 };
    // both healers read "no heal state" and decided the same step
    const fence = { expected: null };
    expect(
      (await restartWorkload(deployments(), NS, 'web', { at: new Date(1), state, fence })).status,
    ).toBe('done');
    const second = await restartWorkload(deployments(), NS, 'web', {
      at: new Date(2),
      state,
      fence,
    });
    expect(second).toMatchObject({ status: 'skipped', alreadyTaken: true });
    expect(second.detail).toMatch(/heal state of shop\/web changed since it was read/);
    const dep = await k.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(dep.spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBe(
      new Date(1).toISOString(),
    );
  });
});

describe('versioned state writes', () => {
  it('after a 409 the state is rebuilt from the object just read: a changed heal state is never overwritten', async () => {
    const ours = { phase: 'stabilising' as const, step: 1, attempt: 1 };
    const theirs = { phase: 'stabilising' as const, step: 2, attempt: 2 };
    let builds = 0;
    const err = await patchVersioned(
      deployments(),
      NS,
      'web',
      async () => {
        builds++;
        if (builds === 1) {
          // another healer takes step 2 between our read and our write
          await k.apps.patchNamespacedDeployment(
            {
              name: 'web',
              namespace: NS,
              body: { metadata: { annotations: stateAnnotations(theirs) } },
            },
            MERGE_PATCH,
          );
        }
        return { metadata: { annotations: stateAnnotations(ours) } };
      },
      { fence: { expected: null } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HealStateConflictError);
    expect((err as Error).message).toBe(
      'heal state of shop/web changed since it was read (attempt 0, phase healthy → attempt 2, phase stabilising); not overwritten',
    );
    expect(builds).toBe(1);
    const dep = await k.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(readPersisted(dep).state).toMatchObject({ step: 2, attempt: 2 });
  });

  it("refuses a stale ex-leader's write: the stored state carries a newer term", async () => {
    await patchVersioned(deployments(), NS, 'web', () => ({
      metadata: {
        annotations: stateAnnotations({ phase: 'stabilising', step: 1, attempt: 1, term: 5 }),
      },
    }));
    const err = await patchVersioned(
      deployments(),
      NS,
      'web',
      () => ({
        metadata: { annotations: stateAnnotations({ phase: 'healthy', step: 0, attempt: 0 }) },
      }),
      { fence: { term: 4 } },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'heal state of shop/web was written by a newer leader (term 5 > our term 4); not overwritten',
    );
  });

  it('re-reads and retries on 409 when someone else wrote in between', async () => {
    let builds = 0;
    const res = await patchVersioned(deployments(), NS, 'web', async (dep) => {
      builds++;
      if (builds === 1) {
        // a concurrent writer bumps the resourceVersion after our read
        await k.apps.patchNamespacedDeployment(
          { name: 'web', namespace: NS, body: { metadata: { labels: { touched: 'yes' } } } },
          MERGE_PATCH,
        );
      }
      expect(dep.metadata?.resourceVersion).toBeDefined();
      return {
        metadata: {
          annotations: stateAnnotations({ phase: 'needs_attention', step: 4, attempt: 3 }),
        },
      };
    });
    expect(builds).toBe(2);
    expect(res?.metadata?.labels?.touched).toBe('yes');
    expect(readPersisted(res!).state).toMatchObject({ phase: 'needs_attention', attempt: 3 });
  });
});

describe('scale', () => {
  it('patches the scale subresource by the step, never beyond max replicas', async () => {
    expect(await scaleUp(k, deployments(), NS, 'web', { step: 2, maxReplicas: 3 })).toMatchObject({
      status: 'done',
      detail: 'replicas 2 → 3 (max 3)',
    });
    expect(
      (await k.apps.readNamespacedDeploymentScale({ name: 'web', namespace: NS })).spec?.replicas,
    ).toBe(3);
    expect(await scaleUp(k, deployments(), NS, 'web', { step: 2, maxReplicas: 3 })).toMatchObject({
      status: 'skipped',
    });
  });

  it('raises the HPA minReplicas instead of fighting it, records and restores the original', async () => {
    const r = await scaleUp(k, deployments(), NS, 'cart', { step: 1, maxReplicas: 10 });
    expect(r).toMatchObject({ status: 'done', hpa: { name: 'cart', originalMinReplicas: 2 } });
    let hpa = await k.autoscaling.readNamespacedHorizontalPodAutoscaler({
      name: 'cart',
      namespace: NS,
    });
    expect(hpa.spec?.minReplicas).toBe(3);
    expect(hpa.metadata?.annotations?.[ANNOTATIONS.originalMinReplicas]).toBe('2');
    // bounded by the HPA's own max (5) and the configured max replicas
    await scaleUp(k, deployments(), NS, 'cart', { step: 10, maxReplicas: 4 });
    hpa = await k.autoscaling.readNamespacedHorizontalPodAutoscaler({
      name: 'cart',
      namespace: NS,
    });
    expect(hpa.spec?.minReplicas).toBe(4);
    expect(hpa.metadata?.annotations?.[ANNOTATIONS.originalMinReplicas]).toBe('2');
    // the deployment's own replicas were not patched by the healer
    expect(await restoreHpaMin(k, NS, 'cart', 2)).toMatchObject({ status: 'done' });
    hpa = await k.autoscaling.readNamespacedHorizontalPodAutoscaler({
      name: 'cart',
      namespace: NS,
    });
    expect(hpa.spec?.minReplicas).toBe(2);
    expect(hpa.metadata?.annotations?.[ANNOTATIONS.originalMinReplicas]).toBeUndefined();
  });
});

describe('rollback', () => {
  it('refuses with a clear reason when there is no previous revision', async () => {
    expect(await rollbackWorkload(deployments(), k.apps, NS, 'web')).toEqual({
      status: 'refused',
      permanent: true,
      detail:
        'too little revision history: no previous revision to roll back to (revisions 1, revisionHistoryLimit 10)',
    });
  });

  it('refuses with too little revision history (revisionHistoryLimit 0)', async () => {
    await k.apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { revisionHistoryLimit: 0 } } },
      MERGE_PATCH,
    );
    expect(await rollbackWorkload(deployments(), k.apps, NS, 'web')).toMatchObject({
      status: 'refused',
      permanent: true,
      detail: expect.stringContaining('revisionHistoryLimit is 0'),
    });
  });

  it('never rolls back to a release it rolled back from; never to a newer revision', async () => {
    const v1 = await image('web');
    sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    sim.tick(60_000);
    const v2 = await image('web');
    const first = await rollbackWorkload(deployments(), k.apps, NS, 'web');
    expect(first).toMatchObject({ status: 'done', release: expect.any(String) });
    expect(first.fromRelease).not.toBe(first.release);
    sim.tick(60_000);
    expect(await image('web')).toBe(v1);
    // v1 (now the newest revision) is bad too; the only earlier release is v2, rolled back from
    const again = await rollbackWorkload(deployments(), k.apps, NS, 'web', {
      badReleases: [first.fromRelease!],
    });
    expect(again).toMatchObject({ status: 'refused', permanent: true });
    expect(again.detail).toMatch(
      /every earlier release is known bad \(the healer rolled back from release [0-9a-f]{12} \(revision 2\)\)/,
    );
    expect(await image('web')).toBe(v1);
    // without the memory, rollout undo would flip back to v2
    expect(await rollbackWorkload(deployments(), k.apps, NS, 'web')).toMatchObject({
      status: 'done',
    });
    sim.tick(60_000);
    expect(await image('web')).toBe(v2);
  });

  it('puts the previous revision template back (bad release → previous image), like rollout undo', async () => {
    const good = await image('web');
    sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    sim.tick(60_000);
    const bad = await image('web');
    expect(bad).not.toBe(good);
    const r = await rollbackWorkload(deployments(), k.apps, NS, 'web', {
      state: { phase: 'stabilising', step: 3, attempt: 3 },
    });
    expect(r.status).toBe('done');
    expect(r.detail).toMatch(
      /^rolled back to revision 1 \(ReplicaSet web-[a-z0-9]+\) from revision 2$/,
    );
    sim.tick(60_000);
    expect(await image('web')).toBe(good);
    const dep = await k.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(dep.spec?.template.metadata?.labels?.['pod-template-hash']).toBeUndefined();
    expect(readPersisted(dep).state).toMatchObject({ step: 3, attempt: 3 });
    expect(dep.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
      `initial release ${good}`,
    );
    // the old ReplicaSet is reused as the newest revision, as the deployment controller does
    const sets = await replicaSets('web');
    expect(sets.at(-1)?.spec?.template?.spec?.containers[0]?.image).toBe(good);
    expect(sim.faults.list()[0]?.state).toBe('cured');
  });
});

describe('cache clear', () => {
  it('POSTs the configured path through each ready pod proxy', async () => {
    sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'poisoned_cache' });
    sim.tick(5_000);
    const r = await clearCache(k, NS, 'web', { spec: { method: 'proxy', path: '/cache/clear' } });
    expect(r.status).toBe('done');
    expect(r.detail).toBe('cache clear (POST /cache/clear) in 2/2 ready pods');
    expect(sim.faults.list()[0]?.state).toBe('cured');
  });

  it('fails with the reason when the path does not exist', async () => {
    const r = await clearCache(k, NS, 'web', { spec: { method: 'proxy', path: '/nope' } });
    expect(r.status).toBe('failed');
    expect(r.detail).toMatch(/^cache clear \(POST \/nope\) failed in 2\/2 ready pods: web-/);
  });

  it("reaches only the deployment's own pods, not a sibling's that shares its labels", async () => {
    // web-canary's pods carry app=web too: a label match on web's selector would reach them
    await k.apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'web-canary', namespace: NS },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web', track: 'canary' } },
          template: {
            metadata: { labels: { app: 'web', track: 'canary' } },
            spec: { containers: [{ name: 'web', image: 'registry.local/web:1.0.0' }] },
          },
        },
      },
    });
    sim.tick(10_000);
    const byLabel = await k.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
    expect(byLabel.items.some((p) => p.metadata?.name?.startsWith('web-canary-'))).toBe(true);
    const fake = await startExecFake(sim.url);
    try {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml(fake.url));
      const r = await clearCache(createKubeClients(kc), NS, 'web', {
        spec: { method: 'exec', command: ['true'] },
      });
      expect(r).toMatchObject({
        status: 'done',
        detail: expect.stringContaining('in 2/2 ready pods'),
      });
      expect(fake.calls.map((c) => c.pod).filter((p) => p.startsWith('web-canary-'))).toEqual([]);
      expect(fake.calls).toHaveLength(2);
    } finally {
      await fake.stop();
    }
  });

  it('execs the command in each ready pod through the exec subresource', async () => {
    const fake = await startExecFake(sim.url);
    try {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml(fake.url));
      const viaFake = createKubeClients(kc);
      const r = await clearCache(viaFake, NS, 'web', {
        spec: { method: 'exec', command: ['sh', '-c', 'rm -rf /tmp/cache/*'] },
      });
      expect(r).toEqual({
        status: 'done',
        detail: 'cache clear (exec ["sh","-c","rm -rf /tmp/cache/*"]) in 2/2 ready pods',
      });
      expect(fake.calls).toHaveLength(2);
      expect(fake.calls[0]).toMatchObject({
        namespace: NS,
        container: 'web',
        command: ['sh', '-c', 'rm -rf /tmp/cache/*'],
      });
      // a non-zero exit in one pod (no shell in a distroless image…) fails the step, naming it
      fake.failIn.add(fake.calls[0]!.pod);
      const partial = await clearCache(viaFake, NS, 'web', {
        spec: { method: 'exec', command: ['true'], container: 'web' },
      });
      expect(partial.status).toBe('failed');
      expect(partial.detail).toContain('failed in 1/2 ready pods');
      expect(partial.detail).toContain(fake.calls[0]!.pod);
      expect(partial.detail).toContain('command terminated with non-zero exit code: 1');
    } finally {
      await fake.stop();
    }
  });

  it('refuses when the method is none', async () => {
    expect(await clearCache(k, NS, 'web', { spec: { method: 'none' } })).toMatchObject({
      status: 'refused',
    });
  });
});
