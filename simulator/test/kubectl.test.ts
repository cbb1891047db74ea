import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { ManualClock, startSimulator, type RunningSimulator } from '../src/index.js';

// Virtual hours and real kubectl processes: more than jest's 5 s default per test.
jest.setTimeout(60_000);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// The fidelity bar: the real kubectl (apt/base image) works against the simulator. Commands that
// wait (rollout status) run while the test advances virtual time, never on wall-clock sleeps.
describe('kubectl against the simulator', () => {
  let sim: RunningSimulator;

  const kubectl = (...args: string[]): Promise<Run> => {
    // Keep virtual time moving while kubectl waits on a watch.
    const driver = setInterval(() => sim.tick(1_000), 10);
    return new Promise<Run>((resolve) => {
      execFile(
        'kubectl',
        ['--kubeconfig', sim.kubeconfigPath, ...args],
        { timeout: 60_000 },
        (err, stdout, stderr) => {
          clearInterval(driver);
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  };
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };
  const json = async <T>(...args: string[]): Promise<T> =>
    JSON.parse(await ok(...args, '-o', 'json')) as T;
  type Rs = {
    metadata: { name: string; annotations: Record<string, string> };
    spec: { replicas: number };
  };

  beforeAll(async () => {
    sim = await startSimulator({ clock: new ManualClock(), seed: 3 });
    sim.tick(10_000);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('get deployments,rs,pods prints the server-side tables', async () => {
    const out = await ok('get', 'deployments,rs,pods', '-n', 'prod');
    expect(out).toMatch(/deployment\.apps\/checkout\s+3\/3\s+3\s+3\s+\d+s/);
    expect(out).toMatch(/replicaset\.apps\/checkout-[a-z0-9]+\s+3\s+3\s+3/);
    expect(out).toMatch(/pod\/checkout-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0/);
    expect(out).not.toContain('dev');
  });

  it('a missing object is reported as the apiserver words it', async () => {
    const r = await kubectl('get', 'deployment', 'nope', '-n', 'prod');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (NotFound): deployments.apps "nope" not found');
  });

  it('scale changes the pod count', async () => {
    expect(await ok('scale', 'deployment/checkout', '--replicas=5', '-n', 'prod')).toContain(
      'deployment.apps/checkout scaled',
    );
    sim.tick(10_000);
    const pods = await json<{ items: unknown[] }>(
      'get',
      'pods',
      '-n',
      'prod',
      '-l',
      'app=checkout',
    );
    expect(pods.items).toHaveLength(5);
  });

  it('rollout restart + rollout status roll pods onto a new ReplicaSet', async () => {
    expect(await ok('rollout', 'restart', 'deployment/checkout', '-n', 'prod')).toContain(
      'deployment.apps/checkout restarted',
    );
    expect(
      await ok('rollout', 'status', 'deployment/checkout', '-n', 'prod', '--timeout=60s'),
    ).toContain('deployment "checkout" successfully rolled out');
    const rs = await json<{ items: Rs[] }>('get', 'rs', '-n', 'prod', '-l', 'app=checkout');
    expect(
      rs.items
        .map((r) => [r.metadata.annotations['deployment.kubernetes.io/revision'], r.spec.replicas])
        .sort(),
    ).toEqual([
      ['1', 0],
      ['2', 5],
    ]);
  });

  it('rollout history lists both revisions', async () => {
    const out = await ok('rollout', 'history', 'deployment/checkout', '-n', 'prod');
    expect(out).toMatch(/REVISION\s+CHANGE-CAUSE/);
    expect(out).toMatch(/^1\s+initial release registry\.local\/checkout:2\.3\.1$/m);
    expect(out).toMatch(/^2\s+/m);
  });

  it('rollout undo returns to the previous ReplicaSet as revision 3 (no new ReplicaSet)', async () => {
    const before = await json<{ items: Rs[] }>('get', 'rs', '-n', 'prod', '-l', 'app=checkout');
    const first = before.items.find(
      (r) => r.metadata.annotations['deployment.kubernetes.io/revision'] === '1',
    )!;
    expect(await ok('rollout', 'undo', 'deployment/checkout', '-n', 'prod')).toContain(
      'deployment.apps/checkout rolled back',
    );
    await ok('rollout', 'status', 'deployment/checkout', '-n', 'prod', '--timeout=60s');
    const after = await json<{ items: Rs[] }>('get', 'rs', '-n', 'prod', '-l', 'app=checkout');
    expect(after.items).toHaveLength(2);
    const revived = after.items.find((r) => r.metadata.name === first.metadata.name)!;
    expect(revived.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
    expect(revived.spec.replicas).toBe(5);
    const history = await ok('rollout', 'history', 'deployment/checkout', '-n', 'prod');
    expect(history).toMatch(/^2\s+/m);
    expect(history).toMatch(/^3\s+/m);
    expect(history).not.toMatch(/^1\s+/m);
  });

  it('exec runs in the simulated container, with its exit code', async () => {
    const pods = await json<{ items: { metadata: { name: string } }[] }>(
      'get',
      'pods',
      '-n',
      'dev',
      '-l',
      'app=web',
    );
    const pod = pods.items[0]!.metadata.name;
    expect(await ok('exec', '-n', 'dev', pod, '--', 'sh', '-c', 'echo hello')).toBe('hello\n');
    const r = await kubectl('exec', '-n', 'dev', pod, '--', 'nope');
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('sh: 1: nope: not found');
  });

  it('logs, and logs --previous after an OOM kill', async () => {
    sim.faults.inject({
      namespace: 'dev',
      deployment: 'api',
      kind: 'memory_leak',
      params: { bytesPerSec: 2_000_000 },
    });
    // ~90 s to the first OOM kill; the container restarts at once and runs again.
    sim.tick(120_000);
    const pods = await json<{ items: { metadata: { name: string } }[] }>(
      'get',
      'pods',
      '-n',
      'dev',
      '-l',
      'app=api',
    );
    const pod = pods.items[0]!.metadata.name;
    expect(await ok('logs', '-n', 'dev', pod)).toContain('INFO listening on :8080');
    expect(await ok('logs', '-n', 'dev', pod, '--previous')).toContain('WARN heap near limit');
    expect(await ok('get', 'pods', '-n', 'dev', '-l', 'app=api')).toMatch(
      /api-\S+\s+1\/1\s+Running\s+[1-9]\d* \(/,
    );
  });

  it('get events shows the controllers at work', async () => {
    const out = await ok('get', 'events', '-n', 'prod');
    expect(out).toMatch(
      /Normal\s+ScalingReplicaSet\s+deployment\/checkout\s+Scaled (up|down) replica set checkout-/,
    );
    expect(out).toMatch(
      /Normal\s+SuccessfulCreate\s+replicaset\/checkout-[a-z0-9]+\s+Created pod: checkout-/,
    );
  });

  it('get hpa, nodes and namespaces; version reports the server', async () => {
    expect(await ok('get', 'hpa', '-n', 'prod')).toMatch(/cart\s+Deployment\/cart\s+2\s+6\s+2/);
    expect(await ok('get', 'nodes')).toMatch(/node-a\s+Ready/);
    expect(await ok('get', 'ns')).toMatch(/prod\s+Active/);
    const v = JSON.parse(await ok('version', '-o', 'json')) as {
      serverVersion: { gitVersion: string };
    };
    expect(v.serverVersion.gitVersion).toBe('v1.32.4-aiops-sim');
  });
});
