import type { Clock } from '../clock.js';
import { EVENTS, NAMESPACES, type Cluster } from '../cluster/cluster.js';
import { storageKey } from '../cluster/store.js';
import { newMeta, type KubeObject } from '../cluster/types.js';

/** Writes core/v1 Events the way the built-in controllers do (`kubectl get events` shows them). */
export class EventRecorder {
  constructor(
    private readonly cluster: Cluster,
    private readonly clock: Clock,
  ) {}

  record(
    regarding: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
  ): void {
    const ns = regarding.metadata.namespace ?? 'default';
    if (!this.cluster.store.get(storageKey(NAMESPACES), undefined, ns)) return;
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    this.cluster.create(EVENTS, ns, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: newMeta({ generateName: `${regarding.metadata.name}.` }),
      involvedObject: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.metadata.name,
        namespace: ns,
        uid: regarding.metadata.uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      reportingComponent: component,
      reportingInstance: '',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }
}
