/**
 * PENDING on issue 16 (healer support for Argo Rollouts): not in the suite — jest's testMatch is
 * `*.cluster.test.ts`, and this file is left out on purpose, not skipped. It fails today: in the
 * prod overlay the backend is an Argo `Rollout`, and the healer lists only Deployments, so
 * `healer check` reports healthy on nothing for it ("the unwatched Rollout").
 *
 * Run it by hand to see where #16 stands:
 *   npm run test:cluster -- --testMatch '**\/rollout.cluster.pending.ts'
 *
 * What must exist before it can join the suite (rename it to rollout.cluster.test.ts then):
 * 1. healer: list `argoproj.io/v1alpha1` Rollouts with the watch label beside Deployments, and
 *    act on them (restart: `spec.restartAt`; scale: the `rollouts/scale` subresource; rollback:
 *    the previous ReplicaSet's template, as `kubectl argo rollouts undo`).
 * 2. k8s/base/healer/role.yaml: `argoproj.io` `rollouts` get/list/patch and `rollouts/scale`
 *    get/patch (rbac.cluster.test.ts then proves each verb is needed).
 * 3. The feature queries: `{{pod_deployment}}` maps pods to owners through
 *    `kube_replicaset_owner{owner_kind="Deployment"}`; Rollout-owned ReplicaSets need
 *    `owner_kind="Rollout"` too (the node agent exports kube_replicaset_owner for any owner).
 * 4. No Argo Rollouts controller runs on the test plane: this test creates the Rollout's
 *    ReplicaSet as the controller would. A restart or rollback scenario on a Rollout needs the
 *    node agent to play that controller (or the controller built like kube-apiserver is), and the
 *    fault engine to bind faults to a Rollout's pods (it binds by Deployment today).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startProcess, waitForHttp, type ManagedProcess } from '@aiops/simulator/testing';
import { ROOT } from '../stack/index.js';
import { crdFiles } from './crds.js';
import { kubectlOk } from './kubectl.js';
import { startRealCluster, waitAvailable, type RealCluster } from './realCluster.js';

const run = promisify(execFile);

describe('an Argo Rollout target (pending #16)', () => {
  let cluster: RealCluster;
  let backend: ManagedProcess;
  let backendUrl: string;

  beforeAll(async () => {
    cluster = await startRealCluster({ namespaces: ['prod'] });
    const rollouts = (await crdFiles()).find((s) => s.source.project === 'Argo Rollouts')!;
    await kubectlOk(cluster.plane, [
      'apply',
      '--server-side',
      ...rollouts.files.flatMap((f) => ['-f', f]),
    ]);
    await kubectlOk(cluster.plane, ['wait', '--for=condition=established', 'crd', '--all']);
    const labels = { app: 'orders' };
    const template = {
      metadata: { labels },
      spec: {
        containers: [
          {
            name: 'orders',
            image: 'registry.local/orders:1.0.0',
            ports: [{ containerPort: 8080 }],
          },
        ],
      },
    };
    const rollout = await cluster.plane.admin.request<{ metadata: { uid: string } }>(
      'POST',
      '/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts',
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'orders', labels: { ...labels, 'aiops.io/autoheal': 'enabled' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template,
          strategy: { canary: {} },
        },
      },
    );
    // What the Argo Rollouts controller would create (none runs here).
    await cluster.plane.admin.request('POST', '/apis/apps/v1/namespaces/prod/replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'orders-1',
        labels: { ...labels, 'rollouts-pod-template-hash': '1' },
        annotations: { 'rollout.argoproj.io/revision': '1' },
        ownerReferences: [
          {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Rollout',
            name: 'orders',
            uid: rollout.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { ...labels, 'rollouts-pod-template-hash': '1' } },
        template: {
          ...template,
          metadata: { labels: { ...labels, 'rollouts-pod-template-hash': '1' } },
        },
      },
    });
    await waitAvailable(cluster.plane, ['prod']);
    const port = await freePort();
    backend = startProcess(process.execPath, [join(ROOT, 'backend', 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    backendUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${backendUrl}/readyz`, 60_000);
  }, 240_000);

  afterAll(async () => {
    await backend?.stop();
    await cluster?.stop();
  });

  it('healer check assesses the Rollout as it does a Deployment', async () => {
    const r = await run(
      process.execPath,
      [join(ROOT, 'healer', 'dist', 'src', 'cli.js'), 'check', '--json', '--dry-run'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          KUBECONFIG: await cluster.healerKubeconfig(),
          HEALER_NAMESPACES: 'prod',
          HEALER_FEATURE_SOURCE: 'simulator',
          SIMULATOR_URL: cluster.agentUrl,
          BACKEND_URL: backendUrl,
        },
      },
    ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '{"rows":[]}' }));
    const report = JSON.parse(r.stdout) as { rows: { namespace: string; name: string }[] };
    expect(report.rows.map((x) => `${x.namespace}/${x.name}`)).toContain('prod/orders');
  });
});
