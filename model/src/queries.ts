import type { BaselineFeatureName, FeatureName, SloWindow } from './schema.js';
import {
  DEFAULT_BASELINE_WINDOWS,
  promDuration,
  type BaselineWindows,
} from './features/windows.js';

/**
 * Default PromQL templates, one per feature, each returning one series per
 * `{namespace, deployment}` for every watched deployment at once (so a healer cycle costs one
 * query per feature, whatever the number of deployments). The healer reads them from its config
 * (a ConfigMap) and the model's export command uses the same ones.
 *
 * Placeholders: `{{namespace}}` (regex of namespaces), `{{deployment}}` (regex of deployment
 * names), `{{window}}` (range, e.g. `2m`), `{{pod_deployment}}` (the pod → deployment join through
 * kube_pod_owner and kube_replicaset_owner, value 1).
 *
 * Heal targets are Deployments and Argo Rollouts: the `deployment` label carries either's name.
 * The pod join follows ReplicaSets owned by either kind; the replica features of a Rollout come
 * from the Argo Rollouts controller's own metrics (`rollout_info_replicas_*`, its `/metrics` on
 * :8090), since kube-state-metrics does not know Rollouts. A Deployment and a Rollout of the same
 * name in one namespace would share one series: name them apart.
 */
export const POD_DEPLOYMENT_JOIN = `max by (namespace, pod, deployment) (
  label_replace(kube_pod_owner{namespace=~"{{namespace}}", owner_kind="ReplicaSet"}, "replicaset", "$1", "owner_name", "(.+)")
  * on (namespace, replicaset) group_left (deployment)
  max by (namespace, replicaset, deployment) (label_replace(kube_replicaset_owner{namespace=~"{{namespace}}", owner_kind=~"Deployment|Rollout"}, "deployment", "$1", "owner_name", "(.+)"))
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
/** An Argo Rollouts controller gauge, relabelled `name` → `deployment` like kube-state-metrics'. */
const rolloutGauge = (metric: string): string =>
  `max by (namespace, deployment) (label_replace(${metric}{namespace=~"{{namespace}}", name=~"{{deployment}}"}, "deployment", "$1", "name", "(.+)"))`;
const REQUESTS_PER_DEPLOYMENT = `sum by (namespace, deployment) (${perPod(
  `sum by (namespace, pod) (rate(http_requests_total{${APP}}[{{window}}]))`,
)})`;

/**
 * Metrics labelled with the deployment they are about through Istio's `destination_workload` and
 * `destination_workload_namespace` (source-side: the series belong to the caller's pod), so their
 * freshness is read through those labels, not through the pod join.
 */
export const DESTINATION_LABELLED_METRICS: readonly string[] = [
  'istio_request_duration_milliseconds_bucket',
];

/** Istio's destination labels renamed to `namespace` and `deployment` (the caller's are dropped). */
export const byDestination = (expr: string): string =>
  `label_replace(label_replace(${expr}, "namespace", "$1", "destination_workload_namespace", "(.+)"), "deployment", "$1", "destination_workload", "(.+)")`;

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
  ready_replica_ratio: `clamp_max(max by (namespace, deployment) (kube_deployment_status_replicas_available{namespace=~"{{namespace}}", deployment=~"{{deployment}}"}) / max by (namespace, deployment) (kube_deployment_spec_replicas{namespace=~"{{namespace}}", deployment=~"{{deployment}}"}), 1) or clamp_max(${rolloutGauge('rollout_info_replicas_available')} / ${rolloutGauge('rollout_info_replicas_desired')}, 1)`,
  unavailable_replicas: `max by (namespace, deployment) (kube_deployment_status_replicas_unavailable{namespace=~"{{namespace}}", deployment=~"{{deployment}}"}) or clamp_min(${rolloutGauge('rollout_info_replicas_desired')} - ${rolloutGauge('rollout_info_replicas_available')}, 0)`,
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
  replicas: `max by (namespace, deployment) (kube_deployment_spec_replicas{namespace=~"{{namespace}}", deployment=~"{{deployment}}"})`,
  // What the callers measure (Istio's source-side histogram, by the destination workload): a
  // network delay on the deployment shows here, not in its own server-side p95.
  http_caller_p95_latency_seconds: `histogram_quantile(0.95, sum by (namespace, deployment, le) (${byDestination(
    `rate(istio_request_duration_milliseconds_bucket{reporter="source", destination_workload_namespace=~"{{namespace}}", destination_workload=~"{{deployment}}"}[{{window}}])`,
  )})) / 1000`,
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

/** The statistics queried per baseline signal (see `baselineQueries`). */
export const BASELINE_QUERY_NAMES = [
  'p10',
  'p50',
  'p90',
  'count',
  'recent',
  'last_week',
  'slope',
  'peak',
] as const;
export type BaselineQueryName = (typeof BASELINE_QUERY_NAMES)[number];

/**
 * The signals whose `peak` is queried and recorded: only the own-normal layer's latency checks
 * read it (`afterSpike`), so the other signals do not pay a query a cycle for it.
 */
export const PEAK_FEATURES: ReadonlySet<FeatureName> = new Set<FeatureName>([
  'http_p95_latency_seconds',
  'http_caller_p95_latency_seconds',
]);
const WITHOUT_PEAK = BASELINE_QUERY_NAMES.filter((s) => s !== 'peak');

/** The statistics queried for one baseline signal: all, `peak` only for `PEAK_FEATURES`. */
export function baselineQueryNamesOf(feature: BaselineFeatureName): readonly BaselineQueryName[] {
  return PEAK_FEATURES.has(feature) ? BASELINE_QUERY_NAMES : WITHOUT_PEAK;
}

/**
 * The PromQL of a signal's baseline statistics, from its rendered feature query: each is one query
 * for every deployment at once, so a cycle's query count does not grow with the fleet.
 *
 * - `p10`/`p50`/`p90`: `quantile_over_time` over the trailing window on a `resolution` grid,
 *   ending `gap` ago; `count`: its grid points (the statistics need `minPoints`);
 * - `recent`: the median of the last `recentWindow`;
 * - `last_week`: the median of the same window a week earlier, centred on now − 1 week (and only
 *   with `minPoints` there);
 * - `slope`: `deriv` over `slopeWindow`, per minute (with `minPoints`);
 * - `peak`: the largest value of the last `recentWindow` (the window of `recent`); queried for
 *   the latency signals only (`baselineQueryNamesOf`).
 *
 * `features/tracker.ts` computes the same statistics from a replayed history; the e2e test
 * `e2e/promql.e2e.test.ts` checks both agree on a real Prometheus.
 */
export function baselineQueries(
  rendered: string,
  w: BaselineWindows = DEFAULT_BASELINE_WINDOWS,
): Record<BaselineQueryName, string> {
  const res = promDuration(w.resolutionSeconds);
  const trailing = `(${rendered})[${promDuration(w.windowSeconds)}:${res}] offset ${promDuration(w.gapSeconds)}`;
  const week = `(${rendered})[${promDuration(w.windowSeconds)}:${res}] offset ${promDuration(w.weekSeconds - w.windowSeconds / 2)}`;
  const slope = `(${rendered})[${promDuration(w.slopeWindowSeconds)}:${res}]`;
  const recent = `(${rendered})[${promDuration(w.recentWindowSeconds)}:${res}]`;
  const enough = (range: string, n: number): string =>
    ` and on (namespace, deployment) (count_over_time(${range}) >= ${n})`;
  return {
    p10: `quantile_over_time(0.1, ${trailing})`,
    p50: `quantile_over_time(0.5, ${trailing})`,
    p90: `quantile_over_time(0.9, ${trailing})`,
    count: `count_over_time(${trailing})`,
    recent: `quantile_over_time(0.5, ${recent})`,
    last_week: `quantile_over_time(0.5, ${week})${enough(week, w.minPoints)}`,
    slope: `60 * deriv(${slope})${enough(slope, Math.min(w.minPoints, w.slopeWindowSeconds / w.resolutionSeconds))}`,
    peak: `max_over_time(${recent})`,
  };
}

/** The SLIs per SLO window: each is a feature template evaluated over the window. */
export const SLO_WINDOW_SECONDS: Record<SloWindow, number> = {
  '5m': 300,
  '30m': 1800,
  '1h': 3600,
  '6h': 21600,
};

/**
 * The SLO layer's queries, one per window and SLI, for every deployment at once: the 5xx ratio and
 * the request rate (× the window: requests) over each window, and p95 over 5 m and 1 h.
 */
export function sloWindowQueries(
  templates: Pick<
    Record<FeatureName, string>,
    'http_5xx_error_rate' | 'http_requests_per_s' | 'http_p95_latency_seconds'
  >,
  scope: Omit<QueryScope, 'window'>,
  podJoin: PodJoin = 'inline',
): { window: SloWindow; sli: 'error_ratio' | 'requests' | 'p95_seconds'; query: string }[] {
  const out: {
    window: SloWindow;
    sli: 'error_ratio' | 'requests' | 'p95_seconds';
    query: string;
  }[] = [];
  for (const [window, seconds] of Object.entries(SLO_WINDOW_SECONDS) as [SloWindow, number][]) {
    const s = { ...scope, window };
    out.push({
      window,
      sli: 'error_ratio',
      query: renderQuery(templates.http_5xx_error_rate, s, podJoin),
    });
    out.push({
      window,
      sli: 'requests',
      query: `${seconds} * (${renderQuery(templates.http_requests_per_s, s, podJoin)})`,
    });
    if (window === '5m' || window === '1h') {
      out.push({
        window,
        sli: 'p95_seconds',
        query: renderQuery(templates.http_p95_latency_seconds, s, podJoin),
      });
    }
  }
  return out;
}
