import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiError } from '@aiops/simulator/agent/kubeClient';
import { isAlive, ROOT } from '../stack/index.js';
import { startControlPlane, type ControlPlane } from './controlPlane.js';
import { kubectl, kubectlOk } from './kubectl.js';

const pinned = /^\s*k8s\.io\/kubernetes (v[\d.]+)/m.exec(
  readFileSync(join(ROOT, 'e2e', 'kube', 'go.mod'), 'utf8'),
)![1]!;

describe('the control plane built from source', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane();
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it('kubectl version reports the real server version pinned in e2e/kube/go.mod', async () => {
    const v = JSON.parse(await kubectlOk(plane, ['version', '-o', 'json'])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string; major: string; minor: string };
    };
    expect(v.serverVersion.gitVersion).toBe(pinned);
    expect(`v${v.serverVersion.major}.${v.serverVersion.minor}`).toBe(pinned.replace(/\.\d+$/, ''));
    expect(v.clientVersion.gitVersion).toBe(pinned);
  });

  it('serves only on loopback, over TLS signed by its own CA', () => {
    expect(new URL(plane.url).hostname).toBe('127.0.0.1');
    expect(new URL(plane.url).protocol).toBe('https:');
  });

  it('authorizes with RBAC: a fresh ServiceAccount token (TokenRequest) may do nothing', async () => {
    await kubectlOk(plane, ['create', 'serviceaccount', 'nobody', '-n', 'default']);
    const token = await plane.tokenFor('default', 'nobody');
    const who = plane.admin.withToken(token);
    const err = await who
      .request('GET', '/api/v1/namespaces/default/pods')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(403);
    expect((err as KubeApiError).message).toContain('system:serviceaccount:default:nobody');
    who.close();
  });

  it('runs the Node authorizer and Pod Security admission', async () => {
    // system:nodes has no RBAC binding: only the Node authorizer lets a node read its own Node.
    const asNode = ['--as', 'system:node:n1', '--as-group', 'system:nodes'];
    const own = await kubectl(plane, ['auth', 'can-i', 'get', 'nodes/n1', ...asNode]);
    expect(own.stdout.trim()).toBe('yes');
    const secrets = await kubectl(plane, ['auth', 'can-i', 'list', 'secrets', '-A', ...asNode]);
    expect(secrets.stdout.trim()).toMatch(/^no/);
    await kubectlOk(plane, ['create', 'namespace', 'locked']);
    await kubectlOk(plane, [
      'label',
      'namespace',
      'locked',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    const bad = await kubectl(plane, ['run', 'p', '-n', 'locked', '--image=x', '--dry-run=server']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  it('stops every process by PID and removes its directory', async () => {
    const dir = plane.dir;
    const pids = plane.pids;
    await plane.stop();
    expect(pids.every((pid) => !isAlive(pid))).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });
});
