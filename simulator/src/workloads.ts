import type { Deployment, HorizontalPodAutoscaler, ObjectMeta, Rollout } from './cluster/types.js';

/** How one simulated deployment behaves when healthy. Rates are per deployment unless named per pod. */
export interface WorkloadSpec {
  /** What runs it: a Deployment (default) or an Argo Rollout (a canary without steps). */
  kind?: 'Deployment' | 'Rollout';
  namespace: string;
  name: string;
  replicas: number;
  image: string;
  /** Labels it `aiops.io/autoheal=enabled` so the healer watches it. */
  autoheal?: boolean;
  cpuLimitCores: number;
  memoryLimitBytes: number;
  /** Requests per second arriving at the whole deployment (before daily swing and noise). */
  baseRps: number;
  /** CPU seconds one request costs. */
  cpuSecondsPerRequest: number;
  idleCpuCores: number;
  baseMemoryBytes: number;
  /** Extra working set per request/s a pod serves (buffers, in-flight state). */
  memoryBytesPerRps: number;
  /** Median request latency when unloaded. */
  baseLatencySeconds: number;
  baseErrorRate: number;
  /** Bytes received per request. */
  requestBytes: number;
  /** Seconds from container start to passing readiness. */
  readinessDelaySec: number;
  hpa?: { minReplicas: number; maxReplicas: number };
}

const MiB = 1024 * 1024;

/** Defaults for a deployment created through the API without a workload of its own. */
export function defaultWorkload(namespace: string, name: string): WorkloadSpec {
  return {
    namespace,
    name,
    replicas: 1,
    image: 'registry.local/app:1.0.0',
    cpuLimitCores: 0.5,
    memoryLimitBytes: 256 * MiB,
    baseRps: 10,
    cpuSecondsPerRequest: 0.01,
    idleCpuCores: 0.01,
    baseMemoryBytes: 80 * MiB,
    memoryBytesPerRps: 0.2 * MiB,
    baseLatencySeconds: 0.05,
    baseErrorRate: 0.001,
    requestBytes: 2048,
    readinessDelaySec: 3,
  };
}

const w = (namespace: string, name: string, o: Partial<WorkloadSpec>): WorkloadSpec => ({
  ...defaultWorkload(namespace, name),
  autoheal: true,
  ...o,
});

/**
 * The sample cluster: `prod` and `dev`, a mix of sizes, one deployment that is busy but healthy
 * (`prod/search`: high CPU, no errors) so a model that equates load with failure gets caught out,
 * and one unwatched deployment (`dev/batch-report`).
 */
export const SAMPLE_WORKLOADS: WorkloadSpec[] = [
  w('prod', 'checkout', {
    replicas: 3,
    image: 'registry.local/checkout:2.3.1',
    baseRps: 120,
    cpuSecondsPerRequest: 0.01,
    cpuLimitCores: 1,
    baseLatencySeconds: 0.08,
    memoryLimitBytes: 512 * MiB,
    baseMemoryBytes: 180 * MiB,
  }),
  w('prod', 'cart', {
    replicas: 2,
    image: 'registry.local/cart:1.8.0',
    baseRps: 60,
    cpuSecondsPerRequest: 0.006,
    cpuLimitCores: 0.5,
    baseLatencySeconds: 0.03,
    hpa: { minReplicas: 2, maxReplicas: 6 },
  }),
  w('prod', 'payments', {
    replicas: 3,
    image: 'registry.local/payments:4.0.2',
    baseRps: 40,
    cpuSecondsPerRequest: 0.01,
    cpuLimitCores: 1,
    baseLatencySeconds: 0.12,
    memoryLimitBytes: 512 * MiB,
    baseMemoryBytes: 200 * MiB,
  }),
  w('prod', 'search', {
    replicas: 4,
    image: 'registry.local/search:3.2.0',
    baseRps: 400,
    cpuSecondsPerRequest: 0.0075,
    cpuLimitCores: 1,
    baseLatencySeconds: 0.06,
    memoryLimitBytes: 1024 * MiB,
    baseMemoryBytes: 600 * MiB,
    baseErrorRate: 0.0005,
  }),
  w('dev', 'api', {
    replicas: 2,
    image: 'registry.local/api:0.9.4',
    baseRps: 20,
    cpuSecondsPerRequest: 0.005,
    baseLatencySeconds: 0.04,
  }),
  w('dev', 'web', {
    replicas: 2,
    image: 'registry.local/web:0.12.0',
    baseRps: 30,
    cpuSecondsPerRequest: 0.002,
    cpuLimitCores: 0.25,
    baseLatencySeconds: 0.02,
    memoryLimitBytes: 128 * MiB,
    baseMemoryBytes: 60 * MiB,
  }),
  w('dev', 'batch-report', {
    replicas: 1,
    autoheal: false,
    image: 'registry.local/batch-report:0.3.0',
    baseRps: 2,
    cpuSecondsPerRequest: 0.05,
  }),
];

/** A new object's metadata before any store or apiserver has filled uid, resourceVersion, times. */
export interface NewObject<T extends { spec: unknown }> {
  apiVersion: string;
  kind: string;
  metadata: Pick<ObjectMeta, 'name' | 'namespace' | 'labels' | 'annotations'>;
  spec: T['spec'];
}

/**
 * The objects a workload is made of: its Deployment or Rollout (labelled `app=<name>`, and
 * `aiops.io/autoheal=enabled` when watched) and its HPA. Both control planes create these: the
 * simulator in its store, the node agent through a real apiserver.
 */
export function workloadObjects(w: WorkloadSpec): {
  workload: NewObject<Deployment> | NewObject<Rollout>;
  hpa?: NewObject<HorizontalPodAutoscaler>;
} {
  const labels: Record<string, string> = {
    app: w.name,
    ...(w.autoheal ? { 'aiops.io/autoheal': 'enabled' } : {}),
  };
  const deployment: NewObject<Deployment> = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: w.name,
      namespace: w.namespace,
      labels,
      annotations: { 'kubernetes.io/change-cause': `initial release ${w.image}` },
    },
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: { app: w.name } },
      template: {
        metadata: { labels: { app: w.name } },
        spec: {
          containers: [
            {
              name: w.name,
              image: w.image,
              ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
              resources: {
                limits: {
                  cpu: `${Math.round(w.cpuLimitCores * 1000)}m`,
                  memory: `${Math.round(w.memoryLimitBytes / MiB)}Mi`,
                },
                requests: {
                  cpu: `${Math.round(w.cpuLimitCores * 500)}m`,
                  memory: `${Math.round(w.memoryLimitBytes / 2 / MiB)}Mi`,
                },
              },
            },
          ],
        },
      },
    },
  };
  const workload =
    w.kind === 'Rollout'
      ? ({
          ...deployment,
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          spec: { ...deployment.spec, strategy: { canary: {} } },
        } as NewObject<Rollout>)
      : deployment;
  if (!w.hpa) return { workload };
  return {
    workload,
    hpa: {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: w.name, namespace: w.namespace },
      spec: {
        scaleTargetRef: { apiVersion: workload.apiVersion, kind: workload.kind, name: w.name },
        minReplicas: w.hpa.minReplicas,
        maxReplicas: w.hpa.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
    },
  };
}
