import type { Clock } from './clock.js';
import { Cluster, DEPLOYMENTS, HPAS, NAMESPACES, NODES, ROLLOUTS } from './cluster/cluster.js';
import { ObjectStore } from './cluster/store.js';
import { newMeta } from './cluster/types.js';
import { DeploymentController } from './controller/deployments.js';
import { HpaController } from './controller/hpa.js';
import { Kubelet } from './controller/kubelet.js';
import { EventRecorder } from './controller/recorder.js';
import { ReplicaSetController } from './controller/replicasets.js';
import { RolloutController } from './controller/rollouts.js';
import { FaultEngine } from './faults/engine.js';
import { StoreFaultActuator } from './faults/storeActuator.js';
import type { FaultActuator } from './faults/types.js';
import { Rng } from './rng.js';
import { workloadObjects, type WorkloadSpec } from './workloads.js';

/** Virtual seconds per simulation step: signals and controllers advance in these slices. */
export const STEP_MS = 1_000;

export const NODE_NAMES = ['node-a', 'node-b', 'node-c'];

export interface SimulationOptions {
  /**
   * `simulated` (default): the simulator is the whole cluster — its store is the truth and its own
   * deployment, ReplicaSet, HPA and node-lifecycle controllers run. `external`: a real control plane
   * owns the objects; the store is the node agent's mirror of it (simulator/src/agent), and only
   * the kubelet and the fault engine run here.
   */
  controlPlane?: 'simulated' | 'external';
  /** How faults change the cluster; default: writes to this store. */
  actuator?: (sim: Simulation) => FaultActuator;
}

/**
 * The whole fake cluster without its HTTP face: object store, controllers, kubelet, faults.
 * `advanceTo(now)` runs every step of virtual time up to `now`.
 */
export class Simulation {
  readonly store: ObjectStore;
  readonly cluster: Cluster;
  readonly faults: FaultEngine;
  readonly kubelet: Kubelet;
  readonly workloads = new Map<string, WorkloadSpec>();
  private readonly rng: Rng;
  private readonly deployments: DeploymentController;
  private readonly rollouts: RolloutController;
  private readonly replicaSets: ReplicaSetController;
  private readonly hpas: HpaController;
  private lastStep: number;
  private reconciledAt = '';
  private steps = 0;
  /**
   * Simulation time: the start of the step being run. Components read this, not the outer clock,
   * so a manual `tick(60_000)` runs sixty steps each at its own instant.
   */
  readonly clock: Clock;

  readonly external: boolean;

  constructor(outer: Clock, seed: number, opts: SimulationOptions = {}) {
    this.external = opts.controlPlane === 'external';
    this.lastStep = outer.now();
    this.clock = { now: () => this.lastStep };
    const clock = this.clock;
    this.rng = new Rng(seed);
    this.store = new ObjectStore(clock, this.rng);
    this.cluster = new Cluster(this.store);
    const events = new EventRecorder(this.cluster, clock);
    this.faults = new FaultEngine(
      this.cluster,
      clock,
      opts.actuator?.(this) ?? new StoreFaultActuator(this.cluster, clock),
    );
    this.deployments = new DeploymentController(this.cluster, clock, events);
    this.rollouts = new RolloutController(this.cluster, clock, events);
    this.replicaSets = new ReplicaSetController(this.cluster, this.rng, events);
    this.hpas = new HpaController(this.cluster, events, () =>
      new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
    );
    this.kubelet = new Kubelet(this.cluster, clock, this.rng, this.faults, this.workloads, events);
    if (this.external) return;
    for (const ns of ['default', 'kube-system']) this.ensureNamespace(ns);
    for (const name of NODE_NAMES)
      this.cluster.create(NODES, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: newMeta({
          name,
          labels: { 'kubernetes.io/hostname': name, 'node-role.kubernetes.io/worker': '' },
        }),
        spec: {},
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
            },
          ],
          addresses: [{ type: 'Hostname', address: name }],
          nodeInfo: {
            kubeletVersion: 'v1.32.4-sim',
            osImage: 'simulated',
            containerRuntimeVersion: 'containerd://1.7.0',
          },
        },
      });
  }

  ensureNamespace(name: string): void {
    if (this.store.get('/namespaces', undefined, name)) return;
    this.cluster.create(NAMESPACES, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: newMeta({ name, labels: { 'kubernetes.io/metadata.name': name } }),
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  /**
   * Remembers how a workload's pods behave and, on the simulated control plane, creates its
   * Deployment or Argo Rollout (and HPA). On a real one the node agent creates them through the apiserver.
   */
  addWorkload(w: WorkloadSpec): void {
    this.workloads.set(`${w.namespace}/${w.name}`, w);
    if (this.external) return;
    this.ensureNamespace(w.namespace);
    const { workload, hpa } = workloadObjects(w);
    this.cluster.create(w.kind === 'Rollout' ? ROLLOUTS : DEPLOYMENTS, w.namespace, {
      ...workload,
      metadata: newMeta(workload.metadata),
    });
    if (hpa) this.cluster.create(HPAS, w.namespace, { ...hpa, metadata: newMeta(hpa.metadata) });
  }

  /**
   * Runs the controllers until they stop writing (at most 4 passes). With `force` false it skips
   * when nothing was written since the last converged pass, which is most steps.
   */
  reconcile(force = true): void {
    if (this.external) return;
    if (!force && this.store.resourceVersion === this.reconciledAt) return;
    for (let pass = 0; pass < 4; pass++) {
      const before = this.store.resourceVersion;
      this.hpas.reconcile();
      this.deployments.reconcile();
      this.rollouts.reconcile();
      this.replicaSets.reconcile();
      if (this.store.resourceVersion === before) break;
    }
    this.reconciledAt = this.store.resourceVersion;
  }

  /** Runs one step per STEP_MS of virtual time elapsed since the last call. */
  advanceTo(now: number): void {
    while (this.lastStep + STEP_MS <= now) {
      this.lastStep += STEP_MS;
      this.stepOnce();
    }
  }

  private stepOnce(): void {
    this.faults.step();
    this.kubelet.step(STEP_MS / 1000);
    if (this.external) return;
    this.evictFromLostNodes();
    // Time alone can change a verdict (progress deadlines): a full pass every 10 steps.
    this.reconcile(++this.steps % 10 === 0);
  }

  private readonly nodeLostSince = new Map<string, number>();

  /** The node lifecycle controller: pods on a NotReady node are evicted after 5 virtual minutes. */
  private evictFromLostNodes(): void {
    const now = this.clock.now();
    for (const n of this.store.peek('/nodes')) {
      const ready = (
        n.status as { conditions?: { type: string; status: string }[] }
      )?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (ready) {
        this.nodeLostSince.delete(n.metadata.name);
        continue;
      }
      const since = this.nodeLostSince.get(n.metadata.name) ?? now;
      this.nodeLostSince.set(n.metadata.name, since);
      const evictAfter =
        (this.faults.list().find((f) => f.node === n.metadata.name)?.params.evictAfterSec ?? 300) *
        1000;
      if (now - since < evictAfter) continue;
      for (const p of this.store.peek('/pods'))
        if ((p.spec as { nodeName?: string }).nodeName === n.metadata.name)
          this.store.delete('/pods', p.metadata.namespace, p.metadata.name);
    }
  }
}
