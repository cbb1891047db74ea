/**
 * The recording rules the healer reads at scale (`deploy/prometheus/recording.yml`, generated from
 * these builders by `npm run sync:generated -w platform`; the PrometheusRule embeds it). With them a
 * cycle reads one precomputed series per deployment per query instead of evaluating per-pod
 * `rate()` over every pod's series at query time — the cost moves into Prometheus' rule
 * evaluation, once per group interval, whatever the number of healers or cycles.
 *
 * Each recorded series is exactly a default feature template (or SLO window query) rendered over
 * every namespace: same PromQL, same semantics, only evaluated ahead of time — where a rule
 * contains another rule's whole expression it reads that rule's series instead (`shareRecorded`),
 * which holds the same value.
 */
import type { BaselineFeatureName, FeatureName, SloWindow } from './schema.js';
import { BASELINE_FEATURES, FEATURE_NAMES } from './schema.js';
import { DEFAULT_BASELINE_WINDOWS } from './features/windows.js';
import {
  baselineQueryNamesOf,
  baselineQueries,
  byDestination,
  type BaselineQueryName,
  DEFAULT_FEATURE_QUERIES,
  DESTINATION_LABELLED_METRICS,
  POD_DEPLOYMENT_RECORD,
  POD_DEPLOYMENT_RECORD_EXPR,
  renderQuery,
  sloWindowQueries,
  type QueryScope,
} from './queries.js';

/** The `rate()` window the feature rules use: the healer's default `prometheus.window`. */
export const RECORDED_FEATURE_WINDOW = '2m';

/**
 * Group interval of each SLO window's rules: the 5-minute window every minute, the windows of
 * 30 min to 6 h every 5 minutes (a cycle reads them up to one interval, plus the group's
 * duration, old).
 */
export const RECORDED_SLO_INTERVALS: Record<SloWindow, string> = {
  '5m': '1m',
  '30m': '5m',
  '1h': '5m',
  '6h': '5m',
};

/** The recorded series of one feature: one per `{namespace, deployment}`. */
export function recordedFeatureName(feature: FeatureName): string {
  return `namespace_deployment:aiops_${feature}`;
}

/**
 * Group intervals of the baseline rules: the trailing-hour quantiles and last week move slowly
 * (5 min), the `recent` median, its `peak` and the slope follow the last minutes (1 min). A cycle reads them
 * up to one interval (plus the group's duration) old.
 */
export const RECORDED_BASELINE_INTERVALS: Record<BaselineQueryName, string> = {
  p10: '5m',
  p50: '5m',
  p90: '5m',
  count: '5m',
  last_week: '5m',
  recent: '1m',
  slope: '1m',
  peak: '1m',
};

/** The recorded baseline statistic of one signal, with the default windows. */
export function recordedBaselineName(
  feature: BaselineFeatureName,
  stat: BaselineQueryName,
): string {
  return `namespace_deployment:aiops_${feature}:${stat}`;
}

/** The SLO layer's SLIs, as `sloWindowQueries` names them. */
export type SloSli = 'error_ratio' | 'requests' | 'p95_seconds';

/** The recorded series of one SLO window's SLI. */
export function recordedSloName(sli: SloSli, window: SloWindow): string {
  return `namespace_deployment:aiops_slo_${sli}:${window}`;
}

/**
 * The newest source sample time (seconds) per `{namespace, deployment, metric}`: what the freshness
 * check reads. The rule carries the *source* samples' own timestamps through (`timestamp()` on
 * each selector), so a recorded value computed from stale data is still seen as stale.
 */
export const SAMPLE_TIMESTAMP_RECORD = 'namespace_deployment_metric:aiops_sample_timestamp:max';

/**
 * The oldest of those per deployment (one series per deployment, not one per deployment and
 * metric): the cycle's freshness query reads this, and the per-metric series only for the
 * deployments it finds stale — 10,000 series per cycle at 10,000 deployments instead of 160,000.
 */
export const SAMPLE_TIMESTAMP_MIN_RECORD = 'namespace_deployment:aiops_sample_timestamp:min';

/**
 * Metric names a PromQL template selects (`name{...}`), in order of first use. The freshness
 * query is built from these, so it follows the feature templates as they change.
 */
export function metricNames(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{(?!\{)/g)) {
    const name = m[1]!;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * The selector whose newest sample stands for a metric's: a histogram's `+Inf` bucket is written
 * in the same scrape as its other buckets, at a tenth of the series.
 */
const newestSelector = (name: string, labels: string): string =>
  `${name}{${labels}${name.endsWith('_bucket') ? ', le="+Inf"' : ''}}`;

/**
 * The newest sample time of one metric per deployment, labelled `metric`: series labelled with
 * the deployment directly (kube-state-metrics), or through the pod → deployment join (cAdvisor,
 * the apps), or by Istio's destination labels (`DESTINATION_LABELLED_METRICS`). `timestamp()` is applied to the selector itself — on anything else it returns the
 * evaluation time.
 */
export function metricFreshnessTemplate(name: string): string {
  const tag = (expr: string): string => `label_replace(${expr}, "metric", "${name}", "", "")`;
  // A mesh's source-side series are about their destination: the pod join would credit them
  // to the caller.
  if (DESTINATION_LABELLED_METRICS.includes(name))
    return tag(
      `max by (namespace, deployment) (${byDestination(`timestamp(${newestSelector(name, 'destination_workload_namespace=~"{{namespace}}", destination_workload=~"{{deployment}}"')})`)})`,
    );
  const direct = `max by (namespace, deployment) (timestamp(${newestSelector(name, 'namespace=~"{{namespace}}", deployment=~"{{deployment}}"')}))`;
  const perPod = `max by (namespace, deployment) (max by (namespace, pod) (timestamp(${newestSelector(name, 'namespace=~"{{namespace}}", pod!=""')})) * on (namespace, pod) group_left (deployment) ({{pod_deployment}}))`;
  return `${tag(direct)} or ${tag(perPod)}`;
}

/**
 * One query for the newest sample time of every metric the templates use, per deployment and
 * metric (`metricFreshnessTemplate` of each). Undefined when the templates name no metric.
 */
export function freshnessTemplate(templates: readonly string[]): string | undefined {
  const names = [...new Set(templates.flatMap(metricNames))];
  if (names.length === 0) return undefined;
  return names.map(metricFreshnessTemplate).join(' or ');
}

/** The scope the rules are rendered with: every namespace and deployment. */
const EVERYWHERE: QueryScope = {
  namespace: '.+',
  deployment: '.+',
  window: RECORDED_FEATURE_WINDOW,
};

/**
 * One series per rule group, `vector(time())` as the group's last rule: its value is the time the
 * group was last evaluated (a group evaluates all its rules at one timestamp). The healer reads
 * this one series per group, not a timestamp per recorded series, to tell a rule group that
 * stopped evaluating (and when a slow group has new values to read) — constant in the fleet size.
 * Labelled `rule_group` with the group's name.
 */
export const RULE_GROUP_EVALUATION_RECORD = 'aiops_rule_group:evaluation_timestamp_seconds';

/** The marker rule of one group (`RULE_GROUP_EVALUATION_RECORD`). */
function evaluationMarker(group: string): RecordingRule {
  return {
    record: RULE_GROUP_EVALUATION_RECORD,
    expr: 'vector(time())',
    labels: { rule_group: group },
  };
}

export interface RecordingRule {
  record: string;
  expr: string;
  /** Static labels, which tell apart rules recording one series name. */
  labels?: Record<string, string>;
}

export interface RecordingRuleGroup {
  name: string;
  /** Unset: Prometheus' global `evaluation_interval`. */
  interval?: string;
  rules: RecordingRule[];
}

/**
 * The request rate per deployment over one SLO window: recorded once per evaluation and read by
 * that window's error ratio and request count (`shareRecorded`).
 */
export function recordedRequestRateName(window: SloWindow): string {
  return `namespace_deployment:aiops_http_requests:rate${window}`;
}

/** Where `part` occurs in `expr` as a whole operand outside a subquery (`(…)[5m:1m]`). */
function replaceOperand(expr: string, part: string, by: string): string {
  let out = '';
  let from = 0;
  for (let i = expr.indexOf(part); i >= 0; i = expr.indexOf(part, i + part.length)) {
    // Inside a subquery the expression is evaluated at past steps the recorded series does
    // not hold: left as it is.
    if (expr.startsWith(')[', i + part.length)) continue;
    out += expr.slice(from, i) + by;
    from = i + part.length;
  }
  return out + expr.slice(from);
}

/**
 * The rules of one group, each reading what an earlier rule of the group records instead of
 * evaluating the same expression again: a rule whose whole expression occurs inside others is
 * moved ahead of them (shortest first) and each occurrence becomes its series. Same values —
 * a group's rules evaluate in order at one timestamp, and a series holds exactly its rule's
 * result at that timestamp — but the per-pod `rate()` under it is evaluated once per evaluation,
 * not once per use (the request rate was evaluated 3 times per window: 5xx ratio twice, rate once).
 */
export function shareRecorded(rules: readonly RecordingRule[]): RecordingRule[] {
  const shared = (r: RecordingRule): boolean =>
    r.labels === undefined && rules.some((o) => o !== r && o.expr.includes(r.expr));
  // Order only decides what is shared, never a value: a rule recorded later is evaluated inline.
  const ordered = [
    ...rules.filter(shared).sort((a, b) => a.expr.length - b.expr.length),
    ...rules.filter((r) => !shared(r)),
  ];
  return ordered.map((rule, i) => {
    let expr = rule.expr;
    // the longest first: a shared rule containing another is read whole
    const earlier = ordered
      .slice(0, i)
      .filter(shared)
      .sort((a, b) => b.expr.length - a.expr.length);
    for (const e of earlier) expr = replaceOperand(expr, e.expr, e.record);
    return expr === rule.expr ? rule : { ...rule, expr };
  });
}

/**
 * The rule groups of `deploy/prometheus/recording.yml`. One group evaluates in order, so the
 * features and the freshness rule read the pod → deployment join of the same evaluation; the
 * SLO windows, slow by nature, in their own groups (`RECORDED_SLO_INTERVALS`), and the baseline
 * statistics of the recorded features in two more (see `RECORDED_BASELINE_INTERVALS`).
 */
export function recordingRuleGroups(): RecordingRuleGroup[] {
  const features: RecordingRule[] = shareRecorded(
    FEATURE_NAMES.map((f) => ({
      record: recordedFeatureName(f),
      expr: renderQuery(DEFAULT_FEATURE_QUERIES[f], EVERYWHERE, 'recorded'),
    })),
  );
  // One rule per metric (one series name, told apart by `metric`): each a bounded piece of
  // work, where one expression over every metric's series hit the 2-minute query timeout at
  // 10,000 deployments.
  const freshness = [
    ...new Set(FEATURE_NAMES.flatMap((f) => metricNames(DEFAULT_FEATURE_QUERIES[f]))),
  ].map((name) => ({
    record: SAMPLE_TIMESTAMP_RECORD,
    expr: renderQuery(metricFreshnessTemplate(name), EVERYWHERE, 'recorded'),
    labels: { metric: name },
  }));
  // Each window's request rate once, read by its error ratio (twice) and its request count.
  const slo = (interval: string): RecordingRule[] =>
    shareRecorded(
      (Object.keys(RECORDED_SLO_INTERVALS) as SloWindow[])
        .filter((w) => RECORDED_SLO_INTERVALS[w] === interval)
        .flatMap((window) => [
          {
            record: recordedRequestRateName(window),
            expr: renderQuery(
              DEFAULT_FEATURE_QUERIES.http_requests_per_s,
              { ...EVERYWHERE, window },
              'recorded',
            ),
          },
          ...sloWindowQueries(DEFAULT_FEATURE_QUERIES, EVERYWHERE, 'recorded')
            .filter((q) => q.window === window)
            .map((q) => ({ record: recordedSloName(q.sli, q.window), expr: q.query })),
        ]),
    );
  const baselineGroup = (interval: string): RecordingRule[] =>
    BASELINE_FEATURES.flatMap((f) => {
      const q = baselineQueries(
        `${recordedFeatureName(f)}{namespace=~".+", deployment=~".+"}`,
        DEFAULT_BASELINE_WINDOWS,
      );
      return baselineQueryNamesOf(f)
        .filter((stat) => RECORDED_BASELINE_INTERVALS[stat] === interval)
        .map((stat) => ({ record: recordedBaselineName(f, stat), expr: q[stat] }));
    });
  const groups: RecordingRuleGroup[] = [
    {
      name: 'aiops-healer-recording',
      rules: [
        { record: POD_DEPLOYMENT_RECORD, expr: POD_DEPLOYMENT_RECORD_EXPR },
        ...features,
        ...freshness,
        // after the per-metric rules: reads their series of the same evaluation
        {
          record: SAMPLE_TIMESTAMP_MIN_RECORD,
          expr: `min by (namespace, deployment) (${SAMPLE_TIMESTAMP_RECORD})`,
        },
      ],
    },
    { name: 'aiops-healer-slo-windows', interval: '1m', rules: slo('1m') },
    { name: 'aiops-healer-slo-windows-long', interval: '5m', rules: slo('5m') },
    // The baselines are statistics of the recorded features' own history.
    { name: 'aiops-healer-baselines-recent', interval: '1m', rules: baselineGroup('1m') },
    { name: 'aiops-healer-baselines', interval: '5m', rules: baselineGroup('5m') },
  ];
  return groups.map((g) => ({ ...g, rules: [...g.rules, evaluationMarker(g.name)] }));
}

/** Where a recorded series comes from: its rule group's name and interval (ms; unset: global). */
export interface RecordedGroup {
  group: string;
  intervalMs?: number;
}

const durationMs = (d: string): number => {
  const m = /^(\d+)(s|m|h)$/.exec(d);
  if (!m) throw new Error(`recording rule interval ${d}: expected <n>s, <n>m or <n>h`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
};

let groupsByRecord: Map<string, RecordedGroup> | undefined;

/** The rule group that records a series (by name), or undefined when no rule records it. */
export function recordedGroupOf(record: string): RecordedGroup | undefined {
  groupsByRecord ??= new Map(
    recordingRuleGroups().flatMap((g) =>
      g.rules.map((r): [string, RecordedGroup] => [
        r.record,
        { group: g.name, ...(g.interval ? { intervalMs: durationMs(g.interval) } : {}) },
      ]),
    ),
  );
  return groupsByRecord.get(record);
}
