import type { Clock } from '../clock.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Deployment } from '../cluster/types.js';
import { StoreFaultActuator } from '../faults/storeActuator.js';
import type { FaultActuator } from '../faults/types.js';
import type { KubeClient } from './kubeClient.js';
import type { Outbox } from './outbox.js';

/**
 * Faults on a real control plane: a bad release is a patch of the Deployment through the
 * apiserver (the real deployment controller rolls it out); a lost node stops heartbeating (the
 * real node-lifecycle controller marks it NotReady and evicts) and its pods stop at once here.
 */
export class ApiFaultActuator implements FaultActuator {
  /** Nodes whose kubelet is "down": the heartbeat loop skips them. */
  readonly lostNodes = new Set<string>();
  private readonly local: StoreFaultActuator;

  constructor(
    private readonly client: KubeClient,
    private readonly outbox: Outbox,
    cluster: Cluster,
    clock: Clock,
  ) {
    this.local = new StoreFaultActuator(cluster, clock);
  }

  release(d: Deployment, image: string, changeCause: string): void {
    const { namespace, name } = d.metadata;
    const container = d.spec.template.spec.containers[0]!.name;
    this.outbox.send(`release ${image} to ${namespace}/${name}`, () =>
      this.client.request(
        'PATCH',
        `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
        {
          metadata: { annotations: { 'kubernetes.io/change-cause': changeCause } },
          spec: { template: { spec: { containers: [{ name: container, image }] } } },
        },
        'application/strategic-merge-patch+json',
      ),
    );
  }

  setNodeReady(node: string, ready: boolean): void {
    if (ready) this.lostNodes.delete(node);
    else this.lostNodes.add(node);
    // The machine is gone now, whatever the apiserver says until the grace period ends.
    this.local.setNodeReady(node, ready);
  }
}
