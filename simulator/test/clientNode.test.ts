import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  Exec,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { ManualClock, startSimulator, type RunningSimulator } from '../src/index.js';

// Virtual hours and real kubectl processes: more than jest's 5 s default per test.
jest.setTimeout(60_000);

/** Status body of a failed call, whatever form client-node left it in. */
function statusOf(err: unknown): { code: number; reason?: string; message?: string } {
  expect(err).toBeInstanceOf(ApiException);
  const e = err as ApiException<unknown>;
  const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as {
    reason?: string;
    message?: string;
  };
  return { code: e.code, reason: body.reason, message: body.message };
}

async function failure(
  p: Promise<unknown>,
): Promise<{ code: number; reason?: string; message?: string }> {
  try {
    await p;
  } catch (err) {
    return statusOf(err);
  }
  throw new Error('expected the call to fail');
}

// Every call the healer makes, through the real @kubernetes/client-node and a kubeconfig file.
describe('client-node against the simulator', () => {
  let sim: RunningSimulator;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let hpa: AutoscalingV2Api;
  let leases: CoordinationV1Api;
  let events: EventsV1Api;
  let kc: KubeConfig;
  const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  beforeAll(async () => {
    sim = await startSimulator({ clock: new ManualClock(), seed: 7 });
    sim.tick(10_000);
    kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
    hpa = kc.makeApiClient(AutoscalingV2Api);
    leases = kc.makeApiClient(CoordinationV1Api);
    events = kc.makeApiClient(EventsV1Api);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('lists watched deployments by label across namespaces and in one', async () => {
    const all = await apps.listDeploymentForAllNamespaces({
      labelSelector: 'aiops.io/autoheal=enabled',
    });
    const names = all.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`);
    expect(names).toContain('prod/checkout');
    expect(names).toContain('dev/api');
    expect(names).not.toContain('dev/batch-report');
    const prod = await apps.listNamespacedDeployment({
      namespace: 'prod',
      labelSelector: 'aiops.io/autoheal=enabled',
    });
    expect(prod.items.every((d) => d.metadata?.namespace === 'prod')).toBe(true);
    expect(prod.items[0]?.status?.availableReplicas).toBeGreaterThan(0);
  });

  it('reads a deployment; a missing one is a 404 worded like the apiserver', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'checkout', namespace: 'prod' });
    expect(d.spec?.replicas).toBe(3);
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(
      await failure(apps.readNamespacedDeployment({ name: 'nope', namespace: 'prod' })),
    ).toEqual({
      code: 404,
      reason: 'NotFound',
      message: 'deployments.apps "nope" not found',
    });
  });

  it('restarts via a strategic-merge patch of the template annotation: new ReplicaSet, revision 2', async () => {
    await apps.patchNamespacedDeployment(
      {
        name: 'checkout',
        namespace: 'prod',
        body: {
          spec: {
            template: {
              metadata: {
                annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:10Z' },
              },
            },
          },
        },
      },
      strategic,
    );
    sim.tick(30_000);
    const d = await apps.readNamespacedDeployment({ name: 'checkout', namespace: 'prod' });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status?.updatedReplicas).toBe(3);
    expect(d.status?.observedGeneration).toBe(d.metadata?.generation);
    const rs = await apps.listNamespacedReplicaSet({
      namespace: 'prod',
      labelSelector: 'app=checkout',
    });
    expect(rs.items).toHaveLength(2);
    expect(
      rs.items.map((r) => r.metadata?.annotations?.['deployment.kubernetes.io/revision']).sort(),
    ).toEqual(['1', '2']);
  });

  it('writes annotations with resourceVersion; a stale update is a 409 Conflict', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'cart', namespace: 'prod' });
    const stale = structuredClone(d) as V1Deployment;
    d.metadata!.annotations = {
      ...(d.metadata!.annotations ?? {}),
      'aiops.io/last-action': 'restart',
    };
    const updated = await apps.replaceNamespacedDeployment({
      name: 'cart',
      namespace: 'prod',
      body: d,
    });
    expect(updated.metadata?.annotations?.['aiops.io/last-action']).toBe('restart');
    expect(updated.metadata?.resourceVersion).not.toBe(stale.metadata?.resourceVersion);
    stale.metadata!.annotations = {
      ...(stale.metadata!.annotations ?? {}),
      'aiops.io/last-action': 'scale',
    };
    expect(
      await failure(
        apps.replaceNamespacedDeployment({ name: 'cart', namespace: 'prod', body: stale }),
      ),
    ).toEqual({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on deployments.apps "cart": the object has been modified; please apply your changes to the latest version and try again',
    });
    // A merge patch carrying the stale resourceVersion is refused the same way.
    const res = await failure(
      apps.patchNamespacedDeployment(
        {
          name: 'cart',
          namespace: 'prod',
          body: {
            metadata: { resourceVersion: stale.metadata!.resourceVersion, annotations: { a: 'b' } },
          },
        },
        merge,
      ),
    );
    expect(res.code).toBe(409);
  });

  it('patches the scale subresource and pods follow', async () => {
    const scale = await apps.patchNamespacedDeploymentScale(
      { name: 'payments', namespace: 'prod', body: { spec: { replicas: 5 } } },
      merge,
    );
    expect(scale.spec?.replicas).toBe(5);
    sim.tick(10_000);
    const read = await apps.readNamespacedDeploymentScale({ name: 'payments', namespace: 'prod' });
    expect(read.status?.replicas).toBe(5);
    expect(read.status?.selector).toBe('app=payments');
    const pods = await core.listNamespacedPod({ namespace: 'prod', labelSelector: 'app=payments' });
    expect(pods.items).toHaveLength(5);
    expect(pods.items.every((p) => p.status?.containerStatuses?.[0]?.ready)).toBe(true);
    const invalid = await failure(
      apps.patchNamespacedDeploymentScale(
        { name: 'payments', namespace: 'prod', body: { spec: { replicas: -1 } } },
        merge,
      ),
    );
    expect(invalid).toEqual({
      code: 422,
      reason: 'Invalid',
      message:
        'Deployment.apps "payments" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    });
  });

  it('reads and patches an HPA; the deployment is held within its bounds', async () => {
    const h = await hpa.readNamespacedHorizontalPodAutoscaler({ name: 'cart', namespace: 'prod' });
    expect(h.spec?.maxReplicas).toBe(6);
    await hpa.patchNamespacedHorizontalPodAutoscaler(
      { name: 'cart', namespace: 'prod', body: { spec: { minReplicas: 4 } } },
      merge,
    );
    sim.tick(5_000);
    const d = await apps.readNamespacedDeployment({ name: 'cart', namespace: 'prod' });
    expect(d.spec?.replicas).toBe(4);
    const bad = await failure(
      hpa.patchNamespacedHorizontalPodAutoscaler(
        { name: 'cart', namespace: 'prod', body: { spec: { minReplicas: 9 } } },
        merge,
      ),
    );
    expect(bad.code).toBe(422);
    expect(bad.message).toContain('spec.maxReplicas');
    const list = await hpa.listNamespacedHorizontalPodAutoscaler({ namespace: 'prod' });
    expect(list.items.map((x) => x.metadata?.name)).toEqual(['cart']);
  });

  it('POSTs to a pod through pods/proxy (cache clear)', async () => {
    const pods = await core.listNamespacedPod({ namespace: 'prod', labelSelector: 'app=checkout' });
    const name = pods.items[0]!.metadata!.name!;
    const out = await core.connectPostNamespacedPodProxyWithPath({
      name,
      namespace: 'prod',
      path: 'cache/clear',
    });
    // Typed `string`, but client-node parses a JSON reply into an object.
    const body: unknown = typeof out === 'string' ? JSON.parse(out) : out;
    expect(body).toMatchObject({ cleared: true, pod: name });
    expect(
      await failure(
        core.connectPostNamespacedPodProxyWithPath({
          name: 'ghost',
          namespace: 'prod',
          path: 'cache/clear',
        }),
      ),
    ).toMatchObject({ code: 404, message: 'pods "ghost" not found' });
  });

  it('execs a cache clear in a pod over the WebSocket channel protocol; it cures poisoned_cache', async () => {
    const fault = sim.faults.inject({
      namespace: 'prod',
      deployment: 'search',
      kind: 'poisoned_cache',
    });
    const pods = await core.listNamespacedPod({ namespace: 'prod', labelSelector: 'app=search' });
    const name = pods.items[0]!.metadata!.name!;
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const status = await new Promise<unknown>((resolve, reject) => {
      new Exec(kc)
        .exec(
          'prod',
          name,
          'search',
          ['sh', '-c', 'redis-cli FLUSHALL'],
          sink,
          sink,
          null,
          false,
          resolve,
        )
        .catch(reject);
    });
    expect(status).toEqual({ metadata: {}, status: 'Success' });
    expect(out).toContain('OK cache cleared (1 poisoned)');
    expect(sim.faults.list().find((f) => f.id === fault.id)?.state).toBe('cured');
    const failed = await new Promise<unknown>((resolve, reject) => {
      new Exec(kc)
        .exec('prod', name, 'search', ['nope'], sink, sink, null, false, resolve)
        .catch(reject);
    });
    expect(failed).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '127' }] },
    });
  });

  it('deletes a pod and its ReplicaSet replaces it', async () => {
    const before = await core.listNamespacedPod({ namespace: 'dev', labelSelector: 'app=api' });
    const victim = before.items[0]!.metadata!.name!;
    await core.deleteNamespacedPod({ name: victim, namespace: 'dev' });
    sim.tick(5_000);
    const after = await core.listNamespacedPod({ namespace: 'dev', labelSelector: 'app=api' });
    expect(after.items).toHaveLength(before.items.length);
    expect(after.items.map((p) => p.metadata?.name)).not.toContain(victim);
  });

  it('creates Events through core/v1 and events.k8s.io/v1, both visible in both', async () => {
    await core.createNamespacedEvent({
      namespace: 'prod',
      body: {
        metadata: { generateName: 'checkout.' },
        involvedObject: {
          kind: 'Deployment',
          name: 'checkout',
          namespace: 'prod',
          apiVersion: 'apps/v1',
        },
        reason: 'AutoHealRestart',
        message: 'risk 0.93 ≥ 0.80 → restart',
        type: 'Warning',
        source: { component: 'aiops-healer' },
      },
    });
    await events.createNamespacedEvent({
      namespace: 'prod',
      body: {
        metadata: { name: 'checkout.v1event' },
        eventTime: new Date('2026-01-01T00:01:00Z'),
        reportingController: 'aiops.io/healer',
        reportingInstance: 'healer-0',
        action: 'Rollback',
        reason: 'AutoHealRollback',
        note: 'rolled back',
        type: 'Normal',
        regarding: { kind: 'Deployment', name: 'checkout', namespace: 'prod' },
      },
    });
    const coreList = await core.listNamespacedEvent({
      namespace: 'prod',
      fieldSelector: 'involvedObject.name=checkout',
    });
    const reasons = coreList.items.map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['AutoHealRestart', 'AutoHealRollback']));
    const v1 = await events.listNamespacedEvent({ namespace: 'prod' });
    expect(v1.items.find((e) => e.reason === 'AutoHealRestart')?.note).toBe(
      'risk 0.93 ≥ 0.80 → restart',
    );
  });

  it('Lease: 404, create, 409 AlreadyExists, replace, 409 on stale replace', async () => {
    expect(
      (await failure(leases.readNamespacedLease({ name: 'aiops-healer', namespace: 'default' })))
        .code,
    ).toBe(404);
    const spec = {
      holderIdentity: 'healer-a',
      leaseDurationSeconds: 15,
      acquireTime: new Date(),
      renewTime: new Date(),
    };
    const created = await leases.createNamespacedLease({
      namespace: 'default',
      body: { metadata: { name: 'aiops-healer' }, spec },
    });
    expect(created.spec?.holderIdentity).toBe('healer-a');
    expect(
      await failure(
        leases.createNamespacedLease({
          namespace: 'default',
          body: { metadata: { name: 'aiops-healer' }, spec },
        }),
      ),
    ).toEqual({
      code: 409,
      reason: 'AlreadyExists',
      message: 'leases.coordination.k8s.io "aiops-healer" already exists',
    });
    const renewed = await leases.replaceNamespacedLease({
      name: 'aiops-healer',
      namespace: 'default',
      body: { ...created, spec: { ...created.spec, holderIdentity: 'healer-b' } },
    });
    expect(renewed.spec?.holderIdentity).toBe('healer-b');
    const stale = await failure(
      leases.replaceNamespacedLease({ name: 'aiops-healer', namespace: 'default', body: created }),
    );
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(stale.message).toContain('leases.coordination.k8s.io "aiops-healer"');
  });
});
