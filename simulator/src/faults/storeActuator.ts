import type { Clock } from '../clock.js';
import { DEPLOYMENTS, NODES, ROLLOUTS, type Cluster } from '../cluster/cluster.js';
import { storageKey } from '../cluster/store.js';
import type { Deployment, Node } from '../cluster/types.js';
import type { FaultActuator } from './types.js';

/** The simulator's own cluster: a release is a template change in its store, a lost node a condition. */
export class StoreFaultActuator implements FaultActuator {
  constructor(
    private readonly cluster: Cluster,
    private readonly clock: Clock,
  ) {}

  release(deployment: Deployment, image: string, changeCause: string): void {
    const d = structuredClone(deployment);
    d.spec.template.spec.containers[0]!.image = image;
    (d.metadata.annotations ??= {})['kubernetes.io/change-cause'] = changeCause;
    const def = d.kind === 'Rollout' ? ROLLOUTS : DEPLOYMENTS;
    this.cluster.store.update(storageKey(def), d, { bumpGeneration: true });
  }

  setNodeReady(name: string, ready: boolean): void {
    const stamp = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    this.cluster.store.mutate<Node>(storageKey(NODES), undefined, name, (n) => {
      n.status = { ...(n.status ?? {}), conditions: [nodeReadyCondition(ready, stamp)] };
    });
  }
}

/** The Ready condition a kubelet posts (ready) or the node controller sets when it stops (lost). */
export function nodeReadyCondition(ready: boolean, stamp: string) {
  return ready
    ? {
        type: 'Ready',
        status: 'True' as const,
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastTransitionTime: stamp,
      }
    : {
        type: 'Ready',
        status: 'Unknown' as const,
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastTransitionTime: stamp,
      };
}
