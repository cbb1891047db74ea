import { DEPLOYMENTS, PODS, REPLICASETS, ROLLOUTS } from '../cluster/cluster.js';
import type { Deployment, Pod, ReplicaSet, Rollout } from '../cluster/types.js';
import { parseBytes, parseCpu } from '../controller/kubelet.js';
import type { Simulation } from '../simulator.js';
import { Exposition, type Labels } from './exposition.js';
import { LATENCY_BUCKETS } from './podSignals.js';

/**
 * `/metrics`: what Prometheus would scrape from kube-state-metrics, the kubelet's cAdvisor and
 * the applications, with their real names and labels, from the simulation's current state.
 */
export function collectMetrics(sim: Simulation): string {
  const e = new Exposition();
  kubeStateMetrics(sim, e);
  rolloutControllerMetrics(sim, e);
  containerAndAppMetrics(sim, e);
  meshMetrics(sim, e);
  return e.render();
}

/**
 * What a service mesh's ingress gateway reports about the requests it sends to each workload
 * (Istio's `istio_request_duration_milliseconds`, `reporter="source"`, labelled with the
 * destination workload): the latency the callers measure. The simulated network adds nothing, so
 * it is each pod's own latency histogram in milliseconds; one series per destination pod
 * (`simulator_destination_pod`, not an Istio label) because the simulator's counters restart with
 * the pod.
 */
function meshMetrics(sim: Simulation, e: Exposition): void {
  const c = sim.cluster;
  const ownerOf = new Map<string, string>();
  for (const o of c.list(REPLICASETS, undefined)) {
    const rs = o as ReplicaSet;
    const owner = rs.metadata.ownerReferences?.[0];
    if (owner) ownerOf.set(`${rs.metadata.namespace}/${rs.metadata.name}`, owner.name);
  }
  const workloadOf = new Map<string, string>();
  for (const o of c.list(PODS, undefined)) {
    const p = o as Pod;
    const rs = p.metadata.ownerReferences?.[0]?.name;
    const w = rs && ownerOf.get(`${p.metadata.namespace}/${rs}`);
    if (w) workloadOf.set(`${p.metadata.namespace}/${p.metadata.name}`, w);
  }
  const fam = 'istio_request_duration_milliseconds';
  e.family(fam, 'histogram', 'Request duration in milliseconds, as the mesh proxies measure it.');
  const runtimes = [...sim.kubelet.runtimes.values()].sort((a, b) =>
    `${a.namespace}/${a.pod}`.localeCompare(`${b.namespace}/${b.pod}`),
  );
  for (const rt of runtimes) {
    const workload = workloadOf.get(`${rt.namespace}/${rt.pod}`);
    if (rt.node === undefined || rt.nodeLost || workload === undefined) continue;
    const l = {
      namespace: 'istio-system',
      reporter: 'source',
      source_workload: 'istio-ingressgateway',
      source_workload_namespace: 'istio-system',
      destination_workload: workload,
      destination_workload_namespace: rt.namespace,
      simulator_destination_pod: rt.pod,
    };
    const k = rt.counters;
    LATENCY_BUCKETS.forEach((le, i) =>
      e.sample(fam, `${fam}_bucket`, { ...l, le: String(le * 1000) }, Math.floor(k.buckets[i]!)),
    );
    const count = Math.floor(k.buckets[LATENCY_BUCKETS.length]!);
    e.sample(fam, `${fam}_bucket`, { ...l, le: '+Inf' }, count);
    e.sample(fam, `${fam}_sum`, l, 1000 * k.latencySum);
    e.sample(fam, `${fam}_count`, l, count);
  }
}

/**
 * What the Argo Rollouts controller exports about each Rollout (its `/metrics` on :8090):
 * kube-state-metrics knows nothing of Rollouts, so the healer's replica features read these.
 */
function rolloutControllerMetrics(sim: Simulation, e: Exposition): void {
  const rollouts = sim.cluster.list(ROLLOUTS, undefined) as Rollout[];
  if (rollouts.length === 0) return;
  const fams = [
    ['rollout_info_replicas_desired', 'Number of desired replicas in a rollout'],
    ['rollout_info_replicas_available', 'Number of available replicas in a rollout'],
    ['rollout_info_replicas_updated', 'Number of updated replicas in a rollout'],
  ] as const;
  for (const [name, help] of fams) e.family(name, 'gauge', help);
  for (const r of rollouts) {
    const l = { namespace: r.metadata.namespace!, name: r.metadata.name };
    const s = r.status ?? {};
    e.sample(fams[0][0], fams[0][0], l, r.spec.replicas ?? 1);
    e.sample(fams[1][0], fams[1][0], l, s.availableReplicas ?? 0);
    e.sample(fams[2][0], fams[2][0], l, s.updatedReplicas ?? 0);
  }
}

function kubeStateMetrics(sim: Simulation, e: Exposition): void {
  const c = sim.cluster;
  e.family('kube_deployment_spec_replicas', 'gauge', 'Number of desired pods for a deployment.');
  e.family('kube_deployment_status_replicas', 'gauge', 'The number of replicas per deployment.');
  e.family(
    'kube_deployment_status_replicas_available',
    'gauge',
    'The number of available replicas per deployment.',
  );
  e.family(
    'kube_deployment_status_replicas_unavailable',
    'gauge',
    'The number of unavailable replicas per deployment.',
  );
  e.family(
    'kube_deployment_status_replicas_updated',
    'gauge',
    'The number of updated replicas per deployment.',
  );
  e.family(
    'kube_deployment_status_replicas_ready',
    'gauge',
    'The number of ready replicas per deployment.',
  );
  e.family(
    'kube_deployment_metadata_generation',
    'gauge',
    'Sequence number representing a specific generation of the desired state.',
  );
  e.family(
    'kube_deployment_status_observed_generation',
    'gauge',
    'The generation observed by the deployment controller.',
  );
  e.family('kube_deployment_labels', 'gauge', 'Kubernetes labels converted to Prometheus labels.');
  for (const o of c.list(DEPLOYMENTS, undefined)) {
    const d = o as Deployment;
    const l = { namespace: d.metadata.namespace!, deployment: d.metadata.name };
    const s = d.status ?? {};
    e.sample(
      'kube_deployment_spec_replicas',
      'kube_deployment_spec_replicas',
      l,
      d.spec.replicas ?? 1,
    );
    e.sample(
      'kube_deployment_status_replicas',
      'kube_deployment_status_replicas',
      l,
      s.replicas ?? 0,
    );
    e.sample(
      'kube_deployment_status_replicas_available',
      'kube_deployment_status_replicas_available',
      l,
      s.availableReplicas ?? 0,
    );
    e.sample(
      'kube_deployment_status_replicas_unavailable',
      'kube_deployment_status_replicas_unavailable',
      l,
      s.unavailableReplicas ?? 0,
    );
    e.sample(
      'kube_deployment_status_replicas_updated',
      'kube_deployment_status_replicas_updated',
      l,
      s.updatedReplicas ?? 0,
    );
    e.sample(
      'kube_deployment_status_replicas_ready',
      'kube_deployment_status_replicas_ready',
      l,
      s.readyReplicas ?? 0,
    );
    e.sample(
      'kube_deployment_metadata_generation',
      'kube_deployment_metadata_generation',
      l,
      d.metadata.generation ?? 1,
    );
    e.sample(
      'kube_deployment_status_observed_generation',
      'kube_deployment_status_observed_generation',
      l,
      s.observedGeneration ?? 0,
    );
    const labels: Labels = { ...l };
    for (const [k, v] of Object.entries(d.metadata.labels ?? {}))
      labels[`label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`] = v;
    e.sample('kube_deployment_labels', 'kube_deployment_labels', labels, 1);
  }
  e.family('kube_replicaset_owner', 'gauge', "Information about the ReplicaSet's owner.");
  e.family('kube_replicaset_spec_replicas', 'gauge', 'Number of desired pods for a ReplicaSet.');
  for (const o of c.list(REPLICASETS, undefined)) {
    const rs = o as ReplicaSet;
    const l = { namespace: rs.metadata.namespace!, replicaset: rs.metadata.name };
    const owner = rs.metadata.ownerReferences?.[0];
    e.sample(
      'kube_replicaset_owner',
      'kube_replicaset_owner',
      {
        ...l,
        owner_kind: owner?.kind ?? '<none>',
        owner_name: owner?.name ?? '<none>',
        owner_is_controller: String(owner?.controller ?? false),
      },
      1,
    );
    e.sample(
      'kube_replicaset_spec_replicas',
      'kube_replicaset_spec_replicas',
      l,
      rs.spec.replicas ?? 0,
    );
  }
  const fams: [string, string, 'gauge' | 'counter'][] = [
    ['kube_pod_owner', "Information about the Pod's owner.", 'gauge'],
    ['kube_pod_info', 'Information about pod.', 'gauge'],
    ['kube_pod_status_phase', 'The pods current phase.', 'gauge'],
    ['kube_pod_status_ready', 'Describes whether the pod is ready to serve requests.', 'gauge'],
    [
      'kube_pod_container_status_restarts_total',
      'The number of container restarts per container.',
      'counter',
    ],
    [
      'kube_pod_container_status_ready',
      'Describes whether the containers readiness check succeeded.',
      'gauge',
    ],
    [
      'kube_pod_container_status_running',
      'Describes whether the container is currently in running state.',
      'gauge',
    ],
    [
      'kube_pod_container_status_waiting_reason',
      'Describes the reason the container is currently in waiting state.',
      'gauge',
    ],
    [
      'kube_pod_container_status_last_terminated_reason',
      'Describes the last reason the container was in terminated state.',
      'gauge',
    ],
    [
      'kube_pod_container_resource_limits',
      'The number of requested limit resource by a container.',
      'gauge',
    ],
    [
      'kube_pod_container_resource_requests',
      'The number of requested request resource by a container.',
      'gauge',
    ],
  ];
  for (const [n, h, t] of fams) e.family(n, t, h);
  for (const o of c.list(PODS, undefined)) {
    const p = o as Pod;
    const l = { namespace: p.metadata.namespace!, pod: p.metadata.name, uid: p.metadata.uid };
    const owner = p.metadata.ownerReferences?.[0];
    e.sample(
      'kube_pod_owner',
      'kube_pod_owner',
      {
        ...l,
        owner_kind: owner?.kind ?? '<none>',
        owner_name: owner?.name ?? '<none>',
        owner_is_controller: String(owner?.controller ?? false),
      },
      1,
    );
    e.sample(
      'kube_pod_info',
      'kube_pod_info',
      {
        ...l,
        node: p.spec.nodeName ?? '',
        host_ip: p.status?.hostIP ?? '',
        pod_ip: p.status?.podIP ?? '',
        created_by_kind: owner?.kind ?? '',
        created_by_name: owner?.name ?? '',
      },
      1,
    );
    const phase = p.status?.phase ?? 'Pending';
    for (const ph of ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'])
      e.sample(
        'kube_pod_status_phase',
        'kube_pod_status_phase',
        { ...l, phase: ph },
        ph === phase ? 1 : 0,
      );
    const ready = p.status?.conditions?.find((x) => x.type === 'Ready')?.status ?? 'False';
    for (const cond of ['true', 'false', 'unknown'])
      e.sample(
        'kube_pod_status_ready',
        'kube_pod_status_ready',
        { ...l, condition: cond },
        ready.toLowerCase() === cond ? 1 : 0,
      );
    for (const ctr of p.spec.containers) {
      const cl = { ...l, container: ctr.name };
      const cs = p.status?.containerStatuses?.find((x) => x.name === ctr.name);
      e.sample(
        'kube_pod_container_status_restarts_total',
        'kube_pod_container_status_restarts_total',
        cl,
        cs?.restartCount ?? 0,
      );
      e.sample(
        'kube_pod_container_status_ready',
        'kube_pod_container_status_ready',
        cl,
        cs?.ready ? 1 : 0,
      );
      e.sample(
        'kube_pod_container_status_running',
        'kube_pod_container_status_running',
        cl,
        cs?.state.running ? 1 : 0,
      );
      if (cs?.state.waiting)
        e.sample(
          'kube_pod_container_status_waiting_reason',
          'kube_pod_container_status_waiting_reason',
          { ...cl, reason: cs.state.waiting.reason },
          1,
        );
      if (cs?.lastState.terminated)
        e.sample(
          'kube_pod_container_status_last_terminated_reason',
          'kube_pod_container_status_last_terminated_reason',
          { ...cl, reason: cs.lastState.terminated.reason },
          1,
        );
      const node = p.spec.nodeName ?? '';
      for (const kind of ['limits', 'requests'] as const) {
        const r = ctr.resources?.[kind];
        const fam = `kube_pod_container_resource_${kind}`;
        const cpu = parseCpu(r?.cpu);
        const mem = parseBytes(r?.memory);
        if (cpu !== undefined)
          e.sample(fam, fam, { ...cl, node, resource: 'cpu', unit: 'core' }, cpu);
        if (mem !== undefined)
          e.sample(fam, fam, { ...cl, node, resource: 'memory', unit: 'byte' }, mem);
      }
    }
  }
}

function containerAndAppMetrics(sim: Simulation, e: Exposition): void {
  e.family(
    'container_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed in seconds.',
  );
  e.family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.');
  e.family(
    'container_network_receive_bytes_total',
    'counter',
    'Cumulative count of bytes received',
  );
  e.family(
    'container_cpu_cfs_periods_total',
    'counter',
    'Number of elapsed enforcement period intervals.',
  );
  e.family(
    'container_cpu_cfs_throttled_periods_total',
    'counter',
    'Number of throttled period intervals.',
  );
  e.family('http_requests_total', 'counter', 'Total HTTP requests handled, by status code.');
  e.family('http_request_duration_seconds', 'histogram', 'HTTP request latency in seconds.');
  const runtimes = [...sim.kubelet.runtimes.values()].sort((a, b) =>
    `${a.namespace}/${a.pod}`.localeCompare(`${b.namespace}/${b.pod}`),
  );
  for (const rt of runtimes) {
    if (rt.node === undefined || rt.nodeLost) continue;
    const podId = `/kubepods/burstable/pod${rt.uid}`;
    const base = { namespace: rt.namespace, pod: rt.pod };
    const ctr = {
      ...base,
      container: rt.container,
      image: rt.image,
      id: `${podId}/${rt.containerId.slice(13)}`,
      name: rt.containerId.slice(13, 25),
    };
    const podLevel = { ...base, container: '', image: '', id: podId, name: '' };
    const k = rt.counters;
    const mem = rt.running ? rt.memoryBytes : 0;
    e.sample(
      'container_cpu_usage_seconds_total',
      'container_cpu_usage_seconds_total',
      ctr,
      k.cpuSeconds,
    );
    e.sample(
      'container_cpu_usage_seconds_total',
      'container_cpu_usage_seconds_total',
      podLevel,
      k.cpuSeconds,
    );
    e.sample(
      'container_memory_working_set_bytes',
      'container_memory_working_set_bytes',
      ctr,
      Math.round(mem),
    );
    e.sample(
      'container_memory_working_set_bytes',
      'container_memory_working_set_bytes',
      podLevel,
      Math.round(mem + 4 * 1024 * 1024),
    );
    e.sample(
      'container_network_receive_bytes_total',
      'container_network_receive_bytes_total',
      { ...podLevel, interface: 'eth0' },
      Math.floor(k.rxBytes),
    );
    e.sample(
      'container_cpu_cfs_periods_total',
      'container_cpu_cfs_periods_total',
      ctr,
      Math.floor(k.cfsPeriods),
    );
    e.sample(
      'container_cpu_cfs_throttled_periods_total',
      'container_cpu_cfs_throttled_periods_total',
      ctr,
      Math.floor(k.cfsThrottled),
    );
    const app = { ...base, container: rt.container };
    for (const code of ['200', '500', '503'] as const)
      e.sample(
        'http_requests_total',
        'http_requests_total',
        { ...app, method: 'GET', code },
        Math.floor(k.requests[code]),
      );
    LATENCY_BUCKETS.forEach((le, i) =>
      e.sample(
        'http_request_duration_seconds',
        'http_request_duration_seconds_bucket',
        { ...app, le: String(le) },
        Math.floor(k.buckets[i]!),
      ),
    );
    const count = Math.floor(k.buckets[LATENCY_BUCKETS.length]!);
    e.sample(
      'http_request_duration_seconds',
      'http_request_duration_seconds_bucket',
      { ...app, le: '+Inf' },
      count,
    );
    e.sample(
      'http_request_duration_seconds',
      'http_request_duration_seconds_sum',
      app,
      k.latencySum,
    );
    e.sample('http_request_duration_seconds', 'http_request_duration_seconds_count', app, count);
  }
}
