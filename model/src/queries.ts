import type { FeatureName } from './schema.js';

/**
 * Default PromQL templates, one per feature, each returning one series per
 * `{namespace, deployment}` for every watched deployment at once (so a healer cycle costs one
 * query per feature, whatever the number of deployments). The healer reads them from its config
 * (a ConfigMap) and the model's export command uses the same ones.
 *
 * Placeholders: `{{namespace}}` (regex of namespaces), `{{deployment}}` (regex of deployment
 * names), `{{window}}` (range, e.g. `2m`), `{{pod_deployment}}` (the pod → deployment join through
 * kube_pod_owner and kube_replicaset_owner, value 1).
 */
export const POD_DEPLOYMENT_JOIN = `max by (namespace, pod, deployment) (
  label_replace(kube_pod_owner{namespace=~"{{namespace}}", owner_kind="ReplicaSet"}, "replicaset", "$1", "owner_name", "(.+)")
  * on (namespace, replicaset) group_left (deployment)
  max by (namespace, replicaset, deployment) (label_replace(kube_replicaset_owner{namespace=~"{{namespace}}", owner_kind="Deployment"}, "deployment", "$1", "owner_name", "(.+)"))
)`;

/**
 * The same join, recorded by Prometheus (`deploy/prometheus/recording.yml`, shipped in the
 * PrometheusRule and the Helm chart), as kube-prometheus records
 * `namespace_workload_pod:kube_pod_owner:relabel`: the feature queries then read one pre-joined
 * series per pod instead of evaluating the join 13 times per cycle.
 */
export const POD_DEPLOYMENT_RECORD = 'namespace_deployment_pod:kube_pod_owner:relabel';

/** The recording rule's expression: the join over every namespace, value 1. */
export const POD_DEPLOYMENT_RECORD_EXPR = POD_DEPLOYMENT_JOIN.replaceAll(
  'namespace=~"{{namespace}}", ',
  '',
);

/**
 * How `{{pod_deployment}}` is rendered: `recorded` reads the recording rule's series, `inline`
 * evaluates the join in every query (works without the rule, costs Prometheus ~10× more).
 */
export type PodJoin = 'recorded' | 'inline';

const perPod = (expr: string): string =>
  `(${expr}) * on (namespace, pod) group_left (deployment) ({{pod_deployment}})`;

const C = 'namespace=~"{{namespace}}", container!="", container!="POD"';
const POD_CPU_LIMIT = `(sum by (namespace, pod) (kube_pod_container_resource_limits{namespace=~"{{namespace}}", resource="cpu"}) or sum by (namespace, pod) (kube_pod_container_resource_requests{namespace=~"{{namespace}}", resource="cpu"}))`;
const POD_MEM_RATIO = `sum by (namespace, pod) (container_memory_working_set_bytes{${C}}) / sum by (namespace, pod) (kube_pod_container_resource_limits{namespace=~"{{namespace}}", resource="memory"})`;
const APP = 'namespace=~"{{namespace}}"';
const REQUESTS_PER_DEPLOYMENT = `sum by (namespace, deployment) (${perPod(
  `sum by (namespace, pod) (rate(http_requests_total{${APP}}[{{window}}]))`,
)})`;

export const DEFAULT_FEATURE_QUERIES: Record<FeatureName, string> = {
  restart_count_last_5m: `sum by (namespace, deployment) (${perPod(
    `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{namespace=~"{{namespace}}"}[5m]))`,
  )})`,
  cpu_usage_pct: `100 * avg by (namespace, deployment) (${perPod(
    `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{${C}}[{{window}}])) / ${POD_CPU_LIMIT}`,
  )})`,
  memory_usage_bytes: `avg by (namespace, deployment) (${perPod(
    `sum by (namespace, pod) (container_memory_working_set_bytes{${C}})`,
  )})`,
  ready_replica_ratio: `clamp_max(max by (namespace, deployment) (kube_deployment_status_replicas_available{namespace=~"{{namespace}}", deployment=~"{{deployment}}"}) / max by (namespace, deployment) (kube_deployment_spec_replicas{namespace=~"{{namespace}}", deployment=~"{{deployment}}"}), 1)`,
  unavailable_replicas: `max by (namespace, deployment) (kube_deployment_status_replicas_unavailable{namespace=~"{{namespace}}", deployment=~"{{deployment}}"})`,
  network_receive_bytes_per_s: `sum by (namespace, deployment) (${perPod(
    `sum by (namespace, pod) (rate(container_network_receive_bytes_total{${APP}}[{{window}}]))`,
  )})`,
  // Apps label the status `code` (client_golang, the simulator) or `status` (prom-client apps such
  // as our backend): match either. With traffic but no 5xx series yet, the rate is 0, not missing.
  http_5xx_error_rate: `(sum by (namespace, deployment) (${perPod(
    `sum by (namespace, pod) (rate(http_requests_total{${APP}, code=~"5.."}[{{window}}]) or rate(http_requests_total{${APP}, status=~"5.."}[{{window}}]))`,
  )}) / clamp_min(${REQUESTS_PER_DEPLOYMENT}, 1e-9)) or (0 * ${REQUESTS_PER_DEPLOYMENT})`,
  http_p95_latency_seconds: `histogram_quantile(0.95, sum by (namespace, deployment, le) (${perPod(
    `sum by (namespace, pod, le) (rate(http_request_duration_seconds_bucket{${APP}}[{{window}}]))`,
  )}))`,
  http_requests_per_s: REQUESTS_PER_DEPLOYMENT,
  memory_limit_ratio: `max by (namespace, deployment) (${perPod(POD_MEM_RATIO)})`,
  memory_growth_ratio_per_min: `60 * max by (namespace, deployment) (${perPod(
    `deriv((${POD_MEM_RATIO})[{{window}}:15s])`,
  )})`,
  cpu_throttle_ratio: `max by (namespace, deployment) (${perPod(
    `sum by (namespace, pod) (rate(container_cpu_cfs_throttled_periods_total{${C}}[{{window}}])) / clamp_min(sum by (namespace, pod) (rate(container_cpu_cfs_periods_total{${C}}[{{window}}])), 1e-9)`,
  )})`,
};

export interface QueryScope {
  /** Regex of namespaces, e.g. `dev|prod`. */
  namespace: string;
  /** Regex of deployment names, `.+` for all. */
  deployment: string;
  /** PromQL range, e.g. `2m`. */
  window: string;
}

/** Fills a template's placeholders; the pod → deployment join is inline unless told. */
export function renderQuery(
  template: string,
  scope: QueryScope,
  podJoin: PodJoin = 'inline',
): string {
  const join =
    podJoin === 'recorded'
      ? `${POD_DEPLOYMENT_RECORD}{namespace=~"{{namespace}}"}`
      : POD_DEPLOYMENT_JOIN;
  return template
    .replaceAll('{{pod_deployment}}', join)
    .replaceAll('{{namespace}}', scope.namespace)
    .replaceAll('{{deployment}}', scope.deployment)
    .replaceAll('{{window}}', scope.window);
}
