import { DEPLOYMENTS, HPAS, type Cluster } from '../cluster/cluster.js';
import { storageKey } from '../cluster/store.js';
import type { Deployment, HorizontalPodAutoscaler } from '../cluster/types.js';
import type { EventRecorder } from './recorder.js';

/**
 * A HorizontalPodAutoscaler that only holds its target's replicas within
 * [minReplicas, maxReplicas]: enough for the healer's scale decisions to meet real bounds,
 * without a metrics-driven autoscaler fighting it.
 */
export class HpaController {
  constructor(
    private readonly cluster: Cluster,
    private readonly events: EventRecorder,
    private readonly now: () => string,
  ) {}

  reconcile(): void {
    const store = this.cluster.store;
    for (const h of store.list<HorizontalPodAutoscaler>(storageKey(HPAS))) {
      const ref = h.spec.scaleTargetRef;
      if (ref.kind !== 'Deployment') continue;
      const d = store.get<Deployment>(storageKey(DEPLOYMENTS), h.metadata.namespace, ref.name);
      if (!d) continue;
      const cur = d.spec.replicas ?? 1;
      const min = h.spec.minReplicas ?? 1;
      const want = Math.min(h.spec.maxReplicas, Math.max(min, cur));
      if (want !== cur) {
        d.spec.replicas = want;
        store.update(storageKey(DEPLOYMENTS), d, { bumpGeneration: true });
        this.events.record(
          h,
          'Normal',
          'SuccessfulRescale',
          `New size: ${want}; reason: ${want > cur ? 'Current number of replicas below Spec.MinReplicas' : 'Current number of replicas above Spec.MaxReplicas'}`,
          'horizontal-pod-autoscaler',
        );
      }
      const status = {
        currentReplicas: cur,
        desiredReplicas: want,
        ...(want !== cur
          ? { lastScaleTime: this.now() }
          : h.status?.lastScaleTime
            ? { lastScaleTime: h.status.lastScaleTime }
            : {}),
      };
      if (JSON.stringify(status) !== JSON.stringify(h.status))
        store.mutate<HorizontalPodAutoscaler>(
          storageKey(HPAS),
          h.metadata.namespace,
          h.metadata.name,
          (x) => {
            x.status = status;
          },
        );
    }
  }
}
