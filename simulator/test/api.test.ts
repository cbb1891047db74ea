import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ManualClock, startSimulator, type RunningSimulator } from '../src/index.js';

// Virtual hours and real kubectl processes: more than jest's 5 s default per test.
jest.setTimeout(60_000);

// One test per status code the API answers, through plain HTTP (Status bodies as the apiserver).
describe('simulator HTTP API status codes', () => {
  let sim: RunningSimulator;
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ code: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      code: res.status,
      body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
    };
  };
  const DEP = '/apis/apps/v1/namespaces/prod/deployments';

  beforeAll(async () => {
    sim = await startSimulator({ clock: new ManualClock(), seed: 2 });
    sim.tick(10_000);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('200 discovery, version and lists', async () => {
    expect((await call('GET', '/api')).body).toMatchObject({
      kind: 'APIVersions',
      versions: ['v1'],
    });
    const groups = (await call('GET', '/apis')).body as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name).sort()).toEqual([
      'aiops.io',
      'apps',
      'argoproj.io', // Argo Rollouts, served as the CRD would be
      'autoscaling',
      'coordination.k8s.io',
      'events.k8s.io',
    ]);
    const apps = (await call('GET', '/apis/apps/v1')).body as {
      resources: { name: string; shortNames?: string[] }[];
    };
    expect(apps.resources.find((r) => r.name === 'replicasets')?.shortNames).toEqual(['rs']);
    const argo = (await call('GET', '/apis/argoproj.io/v1alpha1')).body as {
      resources: { name: string }[];
    };
    expect(argo.resources.map((r) => r.name).sort()).toEqual([
      'rollouts',
      'rollouts/scale',
      'rollouts/status',
    ]);
    expect(apps.resources.map((r) => r.name)).toContain('deployments/scale');
    expect((await call('GET', '/version')).body).toMatchObject({ major: '1', minor: '32' });
    const list = await call('GET', `${DEP}?labelSelector=app%20in%20(cart,search)`);
    expect(
      (list.body.items as { metadata: { name: string } }[]).map((d) => d.metadata.name),
    ).toEqual(['cart', 'search']);
    expect(list.body).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1' });
  });

  it('201 create, then 409 AlreadyExists', async () => {
    const lease = { metadata: { name: 'l1' }, spec: { holderIdentity: 'a' } };
    expect(
      (await call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease)).code,
    ).toBe(201);
    expect(
      await call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease),
    ).toMatchObject({
      code: 409,
      body: {
        kind: 'Status',
        status: 'Failure',
        reason: 'AlreadyExists',
        message: 'leases.coordination.k8s.io "l1" already exists',
        details: { name: 'l1', group: 'coordination.k8s.io', kind: 'leases' },
      },
    });
  });

  it('400 malformed JSON, name mismatch, bad selector, non-upgraded exec', async () => {
    expect(await call('PUT', `${DEP}/cart`, '{nope')).toMatchObject({
      code: 400,
      body: { reason: 'BadRequest' },
    });
    const d = (await call('GET', `${DEP}/cart`)).body;
    expect((await call('PUT', `${DEP}/search`, d)).body.message).toBe(
      'the name of the object (cart) does not match the name on the URL (search)',
    );
    expect((await call('GET', `${DEP}?labelSelector=a%20in%20b`)).code).toBe(400);
    expect((await call('POST', '/api/v1/namespaces/prod/pods/x/exec?command=ls')).code).toBe(400);
  });

  it('404 unknown route, unknown object, unknown namespace', async () => {
    expect(await call('GET', '/apis/batch/v1/jobs')).toMatchObject({
      code: 404,
      body: { message: 'the server could not find the requested resource' },
    });
    expect(await call('GET', `${DEP}/ghost`)).toMatchObject({
      code: 404,
      body: {
        reason: 'NotFound',
        message: 'deployments.apps "ghost" not found',
        details: { name: 'ghost', group: 'apps', kind: 'deployments' },
      },
    });
    expect(
      (
        await call('POST', '/apis/coordination.k8s.io/v1/namespaces/nowhere/leases', {
          metadata: { name: 'x' },
        })
      ).body.message,
    ).toBe('namespaces "nowhere" not found');
    expect((await call('GET', '/nothing/here')).code).toBe(404);
  });

  it('405 method not allowed', async () => {
    expect(await call('POST', `${DEP}/cart`, {})).toMatchObject({
      code: 405,
      body: { reason: 'MethodNotAllowed' },
    });
  });

  it('409 Conflict on a stale resourceVersion', async () => {
    const d = (await call('GET', `${DEP}/payments`)).body as { metadata: Record<string, unknown> };
    expect((await call('PUT', `${DEP}/payments`, d)).code).toBe(200);
    expect(await call('PUT', `${DEP}/payments`, d)).toMatchObject({
      code: 409,
      body: { reason: 'Conflict' },
    });
  });

  it('415 unknown patch content type', async () => {
    expect(await call('PATCH', `${DEP}/cart`, { spec: {} }, 'application/json')).toMatchObject({
      code: 415,
      body: { reason: 'UnsupportedMediaType' },
    });
  });

  it('415 for protobuf bodies; YAML bodies are accepted', async () => {
    const proto = await call(
      'POST',
      '/api/v1/namespaces/default/events',
      'k8s\u0000',
      'application/vnd.kubernetes.protobuf',
    );
    expect(proto).toMatchObject({ code: 415, body: { reason: 'UnsupportedMediaType' } });
    const yaml = await call(
      'POST',
      '/apis/coordination.k8s.io/v1/namespaces/default/leases',
      'metadata:\n  name: from-yaml\nspec:\n  holderIdentity: y\n',
      'application/yaml',
    );
    expect(yaml).toMatchObject({
      code: 201,
      body: { metadata: { name: 'from-yaml' }, spec: { holderIdentity: 'y' } },
    });
  });

  it('422 Invalid with causes', async () => {
    const r = await call(
      'PATCH',
      `${DEP}/cart`,
      { spec: { template: { metadata: { labels: { app: 'other' } } } } },
      'application/merge-patch+json',
    );
    expect(r.code).toBe(422);
    expect(r.body.message).toMatch(
      /^Deployment\.apps "cart" is invalid: spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`$/,
    );
    expect((r.body.details as { causes: unknown[] }).causes).toHaveLength(1);
  });

  it('422 for a ReplicaSet or Pod without containers; objects created through the API come alive', async () => {
    const rs = await call('POST', '/apis/apps/v1/namespaces/dev/replicasets', {
      metadata: { name: 'raw' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: {} } },
    });
    expect(rs).toMatchObject({
      code: 422,
      body: {
        message: 'ReplicaSet.apps "raw" is invalid: spec.template.spec.containers: Required value',
      },
    });
    const pod = await call('POST', '/api/v1/namespaces/dev/pods', {
      metadata: { name: 'lonely' },
      spec: { containers: [{ name: 'c' }] },
    });
    expect(pod).toMatchObject({
      code: 422,
      body: { message: 'Pod "lonely" is invalid: spec.containers[0].image: Required value' },
    });
    const ok = await call('POST', '/api/v1/namespaces/dev/pods', {
      metadata: { name: 'lonely' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    expect(ok.code).toBe(201);
    const d = await call('POST', '/apis/apps/v1/namespaces/dev/deployments', {
      metadata: { name: 'fresh' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'fresh' } },
        template: {
          metadata: { labels: { app: 'fresh' } },
          spec: { containers: [{ name: 'fresh', image: 'fresh:1' }] },
        },
      },
    });
    expect(d.code).toBe(201);
    sim.tick(10_000);
    expect(
      ((await call('GET', '/api/v1/namespaces/dev/pods/lonely')).body.status as { phase: string })
        .phase,
    ).toBe('Running');
    expect(
      (await call('GET', '/apis/apps/v1/namespaces/dev/deployments/fresh')).body.status,
    ).toMatchObject({ availableReplicas: 2, updatedReplicas: 2 });
  });

  it('503 proxy to a pod that is not running', async () => {
    sim.faults.inject({ namespace: 'dev', deployment: 'web', kind: 'crash_loop' });
    // Crash at 5 s, immediate restart, crash at 11 s, then 10 s of back-off: not running at 15 s.
    sim.tick(15_000);
    const pods = (await call('GET', '/api/v1/namespaces/dev/pods?labelSelector=app%3Dweb'))
      .body as { items: { metadata: { name: string } }[] };
    const r = await call(
      'POST',
      `/api/v1/namespaces/dev/pods/${pods.items[0]!.metadata.name}/proxy/cache/clear`,
    );
    expect(r).toMatchObject({ code: 503, body: { reason: 'ServiceUnavailable' } });
  });

  describe('/sim/faults', () => {
    it.each([
      ['body: must be a JSON object', '[]'],
      ['namespace: required non-empty string', { deployment: 'cart', kind: 'crash_loop' }],
      [
        'kind: must be one of crash_loop, memory_leak',
        { namespace: 'prod', deployment: 'cart', kind: 'gremlins' },
      ],
      [
        'params.speed: unknown for memory_leak; known: bytesPerSec, durationSec',
        { namespace: 'prod', deployment: 'cart', kind: 'memory_leak', params: { speed: 1 } },
      ],
      [
        'params.bytesPerSec: must be a finite number >= 0; got -1',
        { namespace: 'prod', deployment: 'cart', kind: 'memory_leak', params: { bytesPerSec: -1 } },
      ],
    ])('400 %s', async (message, body) => {
      const r = await call('POST', '/sim/faults', body);
      expect(r.code).toBe(400);
      expect(String(r.body.message)).toContain(message);
    });
    it('201, list, 200 delete, then 404', async () => {
      const created = await call('POST', '/sim/faults', {
        namespace: 'prod',
        deployment: 'cart',
        kind: 'error_burst',
        params: { errorRate: 0.5, durationSec: 60 },
      });
      expect(created).toMatchObject({
        code: 201,
        body: {
          kind: 'error_burst',
          state: 'active',
          params: { errorRate: 0.5, durationSec: 60 },
          cures: ['restart'],
        },
      });
      const id = created.body.id as string;
      expect(
        ((await call('GET', '/sim/faults')).body.faults as { id: string }[]).map((f) => f.id),
      ).toContain(id);
      expect((await call('DELETE', `/sim/faults/${id}`)).code).toBe(200);
      expect((await call('DELETE', `/sim/faults/${id}`)).code).toBe(404);
      expect(
        (
          await call('POST', '/sim/faults', {
            namespace: 'prod',
            deployment: 'ghost',
            kind: 'crash_loop',
          })
        ).code,
      ).toBe(404);
    });
    it('a timed fault expires by itself', async () => {
      const f = sim.faults.inject({
        namespace: 'prod',
        deployment: 'search',
        kind: 'latency_regression',
        params: { durationSec: 30 },
      });
      sim.tick(31_000);
      expect(sim.faults.list().find((x) => x.id === f.id)?.state).toBe('expired');
    });
    it('GET /sim/state shows deployments, pods with signals, faults', async () => {
      const state = (await call('GET', '/sim/state')).body as {
        deployments: unknown[];
        pods: { signals?: { rps: number } }[];
        faults: unknown[];
      };
      expect(state.deployments.length).toBeGreaterThanOrEqual(7);
      expect(state.pods.some((p) => (p.signals?.rps ?? 0) > 0)).toBe(true);
      expect(state.faults.length).toBeGreaterThan(0);
    });
  });
});

describe('determinism', () => {
  it('same seed and same calls → identical /metrics', async () => {
    const run = async (): Promise<string> => {
      const s = await startSimulator({ clock: new ManualClock(), seed: 42 });
      try {
        s.tick(60_000);
        s.faults.inject({ namespace: 'prod', deployment: 'checkout', kind: 'memory_leak' });
        s.tick(300_000);
        return await (await fetch(`${s.url}/metrics`)).text();
      } finally {
        await s.stop();
      }
    };
    const [a, b] = [await run(), await run()];
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(10_000);
  });
});
