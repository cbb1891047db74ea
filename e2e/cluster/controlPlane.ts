/**
 * A real Kubernetes control plane for the cluster tier, started as controller-runtime's envtest
 * starts one: etcd, kube-apiserver and kube-controller-manager (built from source by
 * e2e/kube/build.sh) on free loopback ports, a temp directory with a throwaway PKI, RBAC and Node
 * authorization, Pod Security admission, and an admin kubeconfig. `stop()` ends each process by
 * PID and removes the directory. No scheduler and no kubelet: the simulator's node agent
 * (simulator/src/agent) binds pods and plays the kubelets, as KWOK does.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubeClient } from '@aiops/simulator/agent/kubeClient';
import { freePort, startProcess, type ManagedProcess } from '@aiops/simulator/testing';
import { createPki, type Pki } from './pki.js';

/** Where e2e/kube/build.sh left kube-apiserver and kube-controller-manager (set by scripts/cluster.mjs). */
export function kubeBinDir(): string {
  const dir = process.env.AIOPS_KUBE_BIN;
  if (!dir || !existsSync(join(dir, 'kube-apiserver')))
    throw new Error(
      'AIOPS_KUBE_BIN does not name a directory with kube-apiserver: run the cluster tier with `npm run test:cluster` (it builds the control plane with e2e/kube/build.sh)',
    );
  return dir;
}

export interface ControlPlane {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly dir: string;
  readonly pki: Pki;
  /** kubeconfig of a `system:masters` user. */
  readonly adminKubeconfig: string;
  readonly admin: KubeClient;
  /**
   * The Unix socket the apiserver's `cluster` egress dials through (HTTP CONNECT, as with
   * Konnectivity): whoever listens here receives pods/proxy and kubelet connections.
   */
  readonly egressSocket: string;
  /** kubectl built with the control plane, at the same version. */
  readonly kubectl: string;
  /** A token for a ServiceAccount through the TokenRequest API (`kubectl create token`). */
  tokenFor(namespace: string, serviceAccount: string, expirationSeconds?: number): Promise<string>;
  /** Writes a kubeconfig that authenticates with `token`; returns its path. */
  writeTokenKubeconfig(name: string, token: string, namespace?: string): Promise<string>;
  /** PIDs of etcd, kube-apiserver and kube-controller-manager. */
  readonly pids: number[];
  /** Output of each process so far, for failure messages. */
  logs(): string;
  /** Ends each process by PID (reverse start order) and removes the directory; idempotent. */
  stop(): Promise<void>;
}

interface KubeconfigUser {
  token?: string;
  certPem?: string;
  keyPem?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kubeconfig(server: string, caPem: string, user: KubeconfigUser, namespace = 'default') {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [
      {
        name: 'test',
        user: user.token
          ? { token: user.token }
          : {
              'client-certificate-data': b64(user.certPem!),
              'client-key-data': b64(user.keyPem!),
            },
      },
    ],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace } }],
    'current-context': 'test',
  });
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  ms: number,
  logs: () => string,
) {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${what} not ready after ${ms / 1000} s (${String(last)}):\n${logs().slice(-6000)}`,
  );
}

/** Starts etcd, kube-apiserver and kube-controller-manager; on failure stops what it started. */
export async function startControlPlane(opts: { binDir?: string } = {}): Promise<ControlPlane> {
  const bin = opts.binDir ?? kubeBinDir();
  const dir = await mkdtemp(join(tmpdir(), 'aiops-kube-'));
  const procs: { name: string; proc: ManagedProcess }[] = [];
  const logs = (): string =>
    procs.map(({ name, proc }) => `--- ${name}\n${proc.output().slice(-3000)}`).join('\n');
  let admin: KubeClient | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    admin?.close();
    for (const { proc } of [...procs].reverse()) await proc.stop(10_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pki = await createPki(dir);
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    procs.push({
      name: 'etcd',
      proc: startProcess(process.env.AIOPS_ETCD ?? 'etcd', [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--log-level=warn',
      ]),
    });
    await waitUntil('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000, logs);

    const egressSocket = join(dir, 'egress.sock');
    const egressConfig = join(dir, 'egress.yaml');
    await writeFile(
      egressConfig,
      stringify({
        apiVersion: 'apiserver.k8s.io/v1beta1',
        kind: 'EgressSelectorConfiguration',
        egressSelections: [
          {
            name: 'cluster',
            connection: {
              proxyProtocol: 'HTTPConnect',
              transport: { uds: { udsName: egressSocket } },
            },
          },
          { name: 'controlplane', connection: { proxyProtocol: 'Direct' } },
          { name: 'etcd', connection: { proxyProtocol: 'Direct' } },
        ],
      }),
    );
    const url = `https://127.0.0.1:${apiPort}`;
    procs.push({
      name: 'kube-apiserver',
      proc: startProcess(join(bin, 'kube-apiserver'), [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${pki.serving.cert}`,
        `--tls-private-key-file=${pki.serving.key}`,
        `--client-ca-file=${pki.ca.cert}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        '--service-cluster-ip-range=10.96.0.0/24',
        '--authorization-mode=Node,RBAC',
        // As on EKS: privileged pods are the admission policies' business, not a global ban.
        '--allow-privileged=true',
        // PodSecurity is on by default; named so the tier fails if a version turns it off.
        '--enable-admission-plugins=NodeRestriction,PodSecurity',
        `--egress-selector-config-file=${egressConfig}`,
        // A loopback advertise address cannot be the `kubernetes` Service's endpoint.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ]),
    });
    const adminCert = await pki.client('aiops-test-admin', ['system:masters']);
    const adminKubeconfig = join(dir, 'admin.kubeconfig');
    await writeFile(adminKubeconfig, kubeconfig(url, pki.caPem, adminCert), { mode: 0o600 });
    admin = KubeClient.fromKubeconfig(adminKubeconfig);
    const a = admin;
    await waitUntil(
      'kube-apiserver',
      async () => (await a.request<string>('GET', '/readyz')) === 'ok',
      90_000,
      logs,
    );

    const kcmCert = await pki.client('system:kube-controller-manager');
    const kcmKubeconfig = join(dir, 'kcm.kubeconfig');
    await writeFile(kcmKubeconfig, kubeconfig(url, pki.caPem, kcmCert), { mode: 0o600 });
    procs.push({
      name: 'kube-controller-manager',
      proc: startProcess(join(bin, 'kube-controller-manager'), [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${await freePort()}`,
        `--cert-dir=${join(dir, 'kcm')}`,
        '--leader-elect=false',
        // Each controller acts as its own ServiceAccount (tokens through TokenRequest), as kubeadm runs it.
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.ca.cert}`,
        '--profiling=false',
      ]),
    });
    // The controllers are up once the ServiceAccount controller has made `default` in `default`.
    await waitUntil(
      'kube-controller-manager',
      async () => !!(await a.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')),
      90_000,
      logs,
    );

    const tokenFor = async (namespace: string, sa: string, expirationSeconds = 3600) => {
      const r = await a.request<{ status: { token: string } }>(
        'POST',
        `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`,
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds },
        },
      );
      return r.status.token;
    };
    return {
      url,
      dir,
      pki,
      adminKubeconfig,
      admin: a,
      egressSocket,
      kubectl: join(bin, 'kubectl'),
      tokenFor,
      pids: procs.map((p) => p.proc.pid),
      async writeTokenKubeconfig(name, token, namespace) {
        const path = join(dir, `${name}.kubeconfig`);
        await writeFile(path, kubeconfig(url, pki.caPem, { token }, namespace), { mode: 0o600 });
        return path;
      },
      logs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
