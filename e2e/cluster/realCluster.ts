/**
 * A real control plane with the simulator as its node agent and the healer's RBAC from k8s/base
 * installed: what the cluster tier's healer suites run against. The healer authenticates with a
 * token of its own ServiceAccount (TokenRequest), never as an admin.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { freePort, startProcess, waitForHttp, type ManagedProcess } from '@aiops/simulator/testing';
import { ROOT } from '../stack/index.js';
import { startControlPlane, type ControlPlane } from './controlPlane.js';
import { kubectlOk } from './kubectl.js';

export const HEALER = 'aiops-healer';

/**
 * Budgets that never hold a probe back: a probe calls an action on every run, many runs an hour,
 * and proves what the authorizer and admission say, not what the budgets do (their own tests do).
 */
export const UNBOUNDED_BUDGETS = {
  perDeployment: { maxActionsPerHour: 1000, cooldownSeconds: 0 },
  global: { maxConcurrentHeals: 100, maxRollbacksPerHour: 1000, maxScaleUpsPerHour: 1000 },
};
const AGENT = join(ROOT, 'simulator', 'dist', 'src', 'agent', 'main.js');

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  rules?: PolicyRule[];
  subjects?: { kind: string; name: string; namespace?: string }[];
  [k: string]: unknown;
}

/** The healer's RBAC as rendered: one Role and its RoleBinding. */
export interface HealerRole {
  role: Obj;
  binding: Obj;
}

/**
 * The healer's ServiceAccount and Roles exactly as the manifests render them: the base Role
 * (k8s/base) and the cache-clear Role of the opt-in component (k8s/components/cache-clear), which
 * every watched namespace here opts into so the cache-clear rung can be proved too.
 */
export async function healerRbac(plane: ControlPlane): Promise<{ sa: Obj; roles: HealerRole[] }> {
  const render = async (dir: string): Promise<Obj[]> =>
    parseAllDocuments(await kubectlOk(plane, ['kustomize', dir])).map((d) => d.toJS() as Obj);
  const base = await render(join(ROOT, 'k8s', 'base'));
  const component = join(ROOT, 'k8s', 'components', 'cache-clear');
  const cacheClear = parseAllDocuments(
    (
      await Promise.all(
        ['role.yaml', 'rolebinding.yaml'].map((f) => readFile(join(component, f), 'utf8')),
      )
    ).join('\n---\n'),
  ).map((d) => d.toJS() as Obj);
  const find = (objs: Obj[], kind: string, name: string, from: string): Obj => {
    const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`${from} renders no ${kind} ${name}`);
    return o;
  };
  const CACHE_CLEAR = `${HEALER}-cache-clear`;
  return {
    sa: find(base, 'ServiceAccount', HEALER, 'k8s/base'),
    roles: [
      {
        role: find(base, 'Role', HEALER, 'k8s/base'),
        binding: find(base, 'RoleBinding', HEALER, 'k8s/base'),
      },
      {
        role: find(cacheClear, 'Role', CACHE_CLEAR, 'k8s/components/cache-clear'),
        binding: find(cacheClear, 'RoleBinding', CACHE_CLEAR, 'k8s/components/cache-clear'),
      },
    ],
  };
}

/** Applies `objects` server-side into `namespace`. */
export async function applyIn(
  plane: ControlPlane,
  namespace: string,
  objects: Obj[],
): Promise<void> {
  const docs = objects.map((o) => {
    const { namespace: _ns, ...metadata } = o.metadata;
    return `---\n${stringify({ ...o, metadata: { ...metadata, namespace } })}`;
  });
  await kubectlOk(
    plane,
    ['apply', '--server-side', '--force-conflicts', '--field-manager=aiops-ci', '-f', '-'],
    {
      input: docs.join(''),
    },
  );
}

export interface RealCluster {
  readonly plane: ControlPlane;
  /** The node agent: `/metrics` and `/sim/*`. */
  readonly agentUrl: string;
  readonly agent: ManagedProcess;
  /** The healer's home namespace (ServiceAccount, Lease) and the namespaces it watches. */
  readonly home: string;
  readonly namespaces: string[];
  readonly rbac: { sa: Obj; roles: HealerRole[] };
  /** A kubeconfig with a fresh token of the healer's ServiceAccount. */
  healerKubeconfig(): Promise<string>;
  /** Replaces the rules of the healer's Role `name` in every watched namespace. */
  setRoleRules(name: string, rules: PolicyRule[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the plane and the node agent with the sample workloads, installs the healer's RBAC from
 * k8s/base (the ServiceAccount in `home`, the Role and RoleBinding in each watched namespace, as
 * docs/security.md says), and waits until every sample deployment is available.
 */
export async function startRealCluster(
  opts: { home?: string; namespaces?: string[] } = {},
): Promise<RealCluster> {
  const home = opts.home ?? 'prod';
  const namespaces = opts.namespaces ?? ['dev', 'prod'];
  const plane = await startControlPlane();
  let agent: ManagedProcess | undefined;
  const stop = async (): Promise<void> => {
    await agent?.stop(8_000);
    await plane.stop();
  };
  try {
    const port = await freePort();
    agent = startProcess(process.execPath, [AGENT], {
      cwd: ROOT,
      env: {
        ...process.env,
        KUBECONFIG: plane.adminKubeconfig,
        AGENT_EGRESS_SOCKET: plane.egressSocket,
        PORT: String(port),
        AGENT_WORKLOADS: 'sample',
      },
    });
    const agentUrl = `http://127.0.0.1:${port}`;
    const a = agent;
    await waitForHttp(`${agentUrl}/healthz`, 60_000).catch((err: unknown) => {
      throw new Error(`node agent did not start:\n${a.output()}`, { cause: err });
    });
    const rbac = await healerRbac(plane);
    const bound = (binding: Obj): Obj => ({
      ...binding,
      subjects: binding.subjects!.map((s) => ({ ...s, namespace: home })),
    });
    await applyIn(plane, home, [rbac.sa]);
    for (const ns of namespaces)
      await applyIn(
        plane,
        ns,
        rbac.roles.flatMap((r) => [r.role, bound(r.binding)]),
      );
    await waitAvailable(plane, namespaces);
    return {
      plane,
      agentUrl,
      agent,
      home,
      namespaces,
      rbac,
      async healerKubeconfig() {
        return plane.writeTokenKubeconfig('healer', await plane.tokenFor(home, HEALER), home);
      },
      async setRoleRules(name, rules) {
        const r = rbac.roles.find((x) => x.role.metadata.name === name);
        if (!r) throw new Error(`no healer Role ${name}`);
        for (const ns of namespaces) await applyIn(plane, ns, [{ ...r.role, rules }]);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface DeploymentList {
  items: {
    metadata: { namespace: string; name: string };
    spec: { replicas: number };
    status?: { availableReplicas?: number };
  }[];
}

/** Waits until every deployment in `namespaces` has all its replicas available. */
export async function waitAvailable(
  plane: ControlPlane,
  namespaces: string[],
  ms = 120_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  let pending: string[] = [];
  while (Date.now() < deadline) {
    pending = [];
    for (const ns of namespaces) {
      const list = await plane.admin.request<DeploymentList>(
        'GET',
        `/apis/apps/v1/namespaces/${ns}/deployments`,
      );
      for (const d of list.items)
        if ((d.status?.availableReplicas ?? 0) < d.spec.replicas)
          pending.push(
            `${ns}/${d.metadata.name} ${d.status?.availableReplicas ?? 0}/${d.spec.replicas}`,
          );
    }
    if (!pending.length) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`deployments not available after ${ms / 1000} s: ${pending.join(', ')}`);
}
