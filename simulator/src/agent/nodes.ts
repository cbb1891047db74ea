import { NODES, PODS } from '../cluster/cluster.js';
import { storageKey, type ObjectStore } from '../cluster/store.js';
import type { Node, Pod } from '../cluster/types.js';
import { isNodeReady } from '../controller/replicasets.js';
import { nodeReadyCondition } from '../faults/storeActuator.js';
import { KubeApiError, type KubeClient } from './kubeClient.js';
import type { Outbox } from './outbox.js';

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const micro = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

const ignore409 = (err: unknown): void => {
  if (!(err instanceof KubeApiError && err.status === 409)) throw err;
};

/**
 * The agent's fake nodes on a real control plane, as KWOK keeps them: registered with capacity
 * and addresses, heartbeating through their Lease and Ready condition (except the ones a
 * `node_loss` fault took down), and doing what a scheduler and the kubelets' API side would —
 * binding Pending pods to the ready node with the fewest pods, and confirming graceful deletions.
 */
export class NodeFleet {
  private readonly binding = new Set<string>();
  private readonly deleting = new Set<string>();

  constructor(
    private readonly client: KubeClient,
    private readonly store: ObjectStore,
    private readonly outbox: Outbox,
    readonly names: readonly string[],
    private readonly lost: ReadonlySet<string>,
    private readonly now: () => number,
    private readonly kubeletVersion: string,
  ) {}

  /** Creates the Nodes (and their Leases) if missing and posts their first status. */
  async register(): Promise<void> {
    for (const [i, name] of this.names.entries()) {
      await this.client
        .request('POST', '/api/v1/nodes', {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name,
            labels: {
              'kubernetes.io/hostname': name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              'node-role.kubernetes.io/worker': '',
              'topology.kubernetes.io/zone': `zone-${String.fromCharCode(97 + (i % 3))}`,
              type: 'aiops-simulated',
            },
            annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
          },
          spec: {},
        })
        .catch(ignore409);
      await this.client
        .request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: 'kube-node-lease' },
          spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro(this.now()) },
        })
        .catch(ignore409);
      await this.postStatus(name, i);
    }
  }

  private async postStatus(name: string, i = this.names.indexOf(name)): Promise<void> {
    const now = iso(this.now());
    const ready = { ...nodeReadyCondition(true, now), lastHeartbeatTime: now };
    const fine = (type: string, reason: string) => ({
      type,
      status: 'False',
      reason,
      message: `kubelet has ${reason.replace(/^KubeletHas/, '').toLowerCase()}`,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    const capacity = { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    await this.client.request(
      'PATCH',
      `/api/v1/nodes/${name}/status`,
      {
        status: {
          capacity,
          allocatable: capacity,
          conditions: [
            fine('MemoryPressure', 'KubeletHasSufficientMemory'),
            fine('DiskPressure', 'KubeletHasNoDiskPressure'),
            fine('PIDPressure', 'KubeletHasSufficientPID'),
            ready,
          ],
          addresses: [
            { type: 'InternalIP', address: `10.0.0.${1 + i}` },
            { type: 'Hostname', address: name },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
          nodeInfo: {
            kubeletVersion: this.kubeletVersion,
            kubeProxyVersion: '',
            osImage: 'aiops simulated node',
            operatingSystem: 'linux',
            architecture: 'amd64',
            kernelVersion: 'simulated',
            containerRuntimeVersion: 'containerd://simulated',
            machineID: name,
            systemUUID: name,
            bootID: name,
          },
        },
      },
      'application/strategic-merge-patch+json',
    );
  }

  /** One heartbeat of every node that is up: renew its Lease and its Ready condition. */
  heartbeat(): void {
    for (const name of this.names) {
      if (this.lost.has(name)) continue;
      this.outbox.send(`heartbeat ${name}`, async () => {
        await this.client.request(
          'PATCH',
          `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`,
          { spec: { holderIdentity: name, renewTime: micro(this.now()) } },
          'application/merge-patch+json',
        );
        await this.postStatus(name);
      });
    }
  }

  /** The scheduler's part: binds each unbound pod to the ready node with the fewest pods. */
  bindPending(): void {
    const pods = this.store.peek<Pod>(storageKey(PODS));
    const ready = this.store
      .peek<Node>(storageKey(NODES))
      .filter((n) => this.names.includes(n.metadata.name))
      .filter((n) => isNodeReady(n) && !this.lost.has(n.metadata.name))
      .map((n) => n.metadata.name);
    if (!ready.length) return;
    const load = new Map(ready.map((n) => [n, 0]));
    for (const p of pods)
      if (p.spec.nodeName && load.has(p.spec.nodeName))
        load.set(p.spec.nodeName, load.get(p.spec.nodeName)! + 1);
    for (const p of pods) {
      const uid = p.metadata.uid;
      if (p.spec.nodeName || p.metadata.deletionTimestamp || this.binding.has(uid)) continue;
      const node = [...load.entries()].sort(
        (a, b) => a[1] - b[1] || a[0].localeCompare(b[0]),
      )[0]![0];
      load.set(node, load.get(node)! + 1);
      this.binding.add(uid);
      const { namespace, name } = p.metadata;
      this.outbox.send(`bind ${namespace}/${name} to ${node}`, () =>
        this.client
          .request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace },
            target: { apiVersion: 'v1', kind: 'Node', name: node },
          })
          .catch((err: unknown) => {
            this.binding.delete(uid);
            if (!(err instanceof KubeApiError && (err.status === 404 || err.status === 409)))
              throw err;
          }),
      );
    }
    for (const uid of this.binding)
      if (!pods.some((p) => p.metadata.uid === uid)) this.binding.delete(uid);
  }

  /**
   * The kubelet's part of a graceful delete: once it has stopped the containers it removes the
   * pod for good. Pods on a lost node stay Terminating, as they do on a real cluster.
   */
  confirmDeletions(): void {
    for (const p of this.store.peek<Pod>(storageKey(PODS))) {
      const uid = p.metadata.uid;
      if (!p.metadata.deletionTimestamp || this.deleting.has(uid)) continue;
      if (p.spec.nodeName && this.lost.has(p.spec.nodeName)) continue;
      this.deleting.add(uid);
      const { namespace, name } = p.metadata;
      this.outbox.send(`delete ${namespace}/${name}`, () =>
        this.client
          .request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds: 0,
            preconditions: { uid },
          })
          .catch((err: unknown) => {
            if (!(err instanceof KubeApiError && (err.status === 404 || err.status === 409)))
              throw err;
          }),
      );
    }
    const live = new Set(this.store.peek<Pod>(storageKey(PODS)).map((p) => p.metadata.uid));
    for (const uid of this.deleting) if (!live.has(uid)) this.deleting.delete(uid);
  }
}
