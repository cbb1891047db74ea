import { DEPLOYMENTS, PODS, ROLLOUTS } from '../cluster/cluster.js';
import type { Deployment, Pod } from '../cluster/types.js';
import type { Simulation } from '../simulator.js';

/**
 * `GET /sim/state`: workloads (`deployments`: Deployments and Argo Rollouts, each with its
 * `kind`), pods with their live signals, and faults, in one JSON.
 */
export function simState(sim: Simulation): Record<string, unknown> {
  const workloads = [
    ...sim.cluster.list(DEPLOYMENTS, undefined),
    ...sim.cluster.list(ROLLOUTS, undefined),
  ];
  const deployments = workloads.map((o) => {
    const d = o as Deployment;
    return {
      kind: d.kind,
      namespace: d.metadata.namespace,
      name: d.metadata.name,
      labels: d.metadata.labels ?? {},
      revision:
        d.metadata.annotations?.['deployment.kubernetes.io/revision'] ??
        d.metadata.annotations?.['rollout.argoproj.io/revision'],
      image: d.spec.template.spec.containers[0]?.image,
      replicas: d.spec.replicas,
      readyReplicas: d.status?.readyReplicas ?? 0,
      availableReplicas: d.status?.availableReplicas ?? 0,
      updatedReplicas: d.status?.updatedReplicas ?? 0,
    };
  });
  const pods = sim.cluster.list(PODS, undefined).map((o) => {
    const p = o as Pod;
    const rt = sim.kubelet.runtimes.get(p.metadata.uid);
    return {
      namespace: p.metadata.namespace,
      name: p.metadata.name,
      deployment: rt?.deployment,
      node: p.spec.nodeName,
      image: p.spec.containers[0]?.image,
      ready: rt?.ready ?? false,
      running: rt?.running ?? false,
      restarts: rt?.restarts ?? 0,
      lastTerminatedReason: rt?.lastTerminated?.reason,
      signals: rt?.signals,
    };
  });
  return {
    now: new Date(sim.clock.now()).toISOString(),
    deployments,
    pods,
    faults: sim.faults.list(),
  };
}
