/**
 * Which PromQL a cycle sends: pure, so the choice between a recorded series and the template
 * evaluated at query time is table-tested apart from HTTP.
 *
 * A feature (or SLO window) is read from its recording rule (`@aiops/model/recording`) when the
 * rule's series exist and the configured template is the default one the rule records — with a
 * custom template, or a `window` other than the rule's, it is evaluated at query time as before.
 * The freshness query reads the recorded source sample times when every template is the default.
 * It returns only the stale rows (`< time() - maxAge`), so its answer is empty in the steady state
 * whatever the fleet. Whether the rules themselves still evaluate (a rule that stopped is stale
 * data too) is one series per rule group (`RULE_GROUP_EVALUATION_RECORD`, the `evaluations`
 * query): constant in the fleet size, where a `timestamp()` of every recorded feature's series
 * cost Prometheus 140,000 series per cycle at 10,000 deployments. The same series tells when a
 * slow group (baselines, long SLO windows: every 5 minutes) has new values, so its context is read
 * once per evaluation, not every cycle (`assessGroups`, the source's cache). With an older rules
 * file that lacks the marker, each recorded feature's own timestamp is checked as before.
 */
import {
  DEFAULT_FEATURE_QUERIES,
  baselineQueries,
  baselineQueryNamesOf,
  renderQuery,
  sloWindowQueries,
  type PodJoin,
  type QueryScope,
} from '@aiops/model/queries';
import {
  RECORDED_FEATURE_WINDOW,
  RULE_GROUP_EVALUATION_RECORD,
  SAMPLE_TIMESTAMP_MIN_RECORD,
  SAMPLE_TIMESTAMP_RECORD,
  freshnessTemplate,
  recordedBaselineName,
  recordedFeatureName,
  recordedGroupOf,
  recordedSloName,
  type RecordedGroup,
} from '@aiops/model/recording';
import { BASELINE_FEATURES, FEATURE_NAMES, type FeatureName } from '@aiops/model/schema';
import { DEFAULT_BASELINE_WINDOWS, type BaselineWindows } from '@aiops/model/features/windows';
import type { ContextSpec } from './context.js';
import type { Target } from './types.js';

/** Above this many deployments the deployment regex becomes `.+` and results are filtered here. */
export const MAX_NAMES_IN_REGEX = 50;

function regexOf(values: Iterable<string>): string {
  return [...new Set(values)].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/**
 * The scope of these targets' queries: their namespaces, and their names up to
 * `MAX_NAMES_IN_REGEX` (above, every deployment: the answers are filtered by the target index).
 */
export function targetScope(targets: readonly Target[], window: string): QueryScope {
  return {
    namespace: regexOf(targets.map((t) => t.namespace)),
    deployment: targets.length <= MAX_NAMES_IN_REGEX ? regexOf(targets.map((t) => t.name)) : '.+',
    window,
  };
}

/** A context column's name whatever the scope: `baseline:<feature>:<stat>`, `slo:<window>:<sli>`. */
export const contextColumnId = (s: ContextSpec): string =>
  s.kind === 'baseline' ? `baseline:${s.feature}:${s.stat}` : `slo:${s.window}:${s.sli}`;

/** Recorded series Prometheus has (by name), or `all` when configured to trust they exist. */
export type Available = ReadonlySet<string> | 'all';

export interface PlanOptions {
  queries: Record<FeatureName, string>;
  scope: QueryScope;
  join: PodJoin;
  available: Available;
  /** Undefined: no freshness query. */
  maxSampleAgeMs?: number;
  baseline: BaselineWindows | false;
  slo: boolean;
}

export interface FeatureQuery {
  feature: FeatureName;
  query: string;
  /** The recorded series read, when recorded. */
  record?: string;
  /** The rule group recording it, when its evaluation is read from `evaluations`. */
  group?: RecordedGroup;
}

export interface ContextQuery {
  feature: FeatureName;
  /**
   * The statistic whatever the scope (`contextColumnId(spec)`): a changed scope changes `query`,
   * not what the column holds (the source's warm-up is per column).
   */
  id: string;
  query: string;
  /**
   * What its values are (the same for every deployment): a baseline statistic or an SLO window
   * (which a page waits on: re-read first).
   */
  spec: ContextSpec;
  /** The rule group recording it, when its evaluation is read from `evaluations`. */
  group?: RecordedGroup;
}

export interface QueryPlan {
  features: FeatureQuery[];
  freshness?: string;
  /**
   * When `freshness` reads the per-deployment oldest source time (rows without a `metric`
   * label): the query of the per-metric times, for the deployments it found stale.
   */
  freshnessDetail?: (stale: QueryScope) => string;
  /** The rule groups' last evaluation times (`RULE_GROUP_EVALUATION_RECORD`), when read. */
  evaluations?: string;
  context: ContextQuery[];
  /** Recorded series this plan wanted but Prometheus lacks (for the fallback warning). */
  missing: string[];
}

/** The recorded series a plan may read: what the `auto` probe asks Prometheus about. */
export const RECORD_NAME_PATTERN =
  'namespace_deployment:aiops_.+|namespace_deployment_metric:aiops_.+';

const has = (available: Available, name: string): boolean =>
  available === 'all' || available.has(name);

/** Whether a rule records exactly this template at this window. */
function recordsTemplate(feature: FeatureName, template: string, window: string): boolean {
  return (
    template === DEFAULT_FEATURE_QUERIES[feature] &&
    (window === RECORDED_FEATURE_WINDOW || !template.includes('{{window}}'))
  );
}

const sameWindows = (a: BaselineWindows, b: BaselineWindows): boolean =>
  (Object.keys(b) as (keyof BaselineWindows)[]).every((k) => a[k] === b[k]);

/**
 * A recorded series for the scope. Every deployment (`.+`, above 50 targets) is no matcher at all:
 * a recorded series always carries its `deployment` label (rows without one are dropped on
 * arrival), and `deployment=~".+"` made Prometheus merge the postings of every deployment name
 * in every query — 88 times per cycle at 10,000 deployments.
 */
const selector = (name: string, scope: QueryScope): string =>
  scope.deployment === '.+'
    ? `${name}{namespace=~"${scope.namespace}"}`
    : `${name}{namespace=~"${scope.namespace}", deployment=~"${scope.deployment}"}`;

export function planQueries(o: PlanOptions): QueryPlan {
  const missing: string[] = [];
  const want = (name: string): boolean => {
    if (has(o.available, name)) return true;
    missing.push(name);
    return false;
  };
  let markers: boolean | undefined;
  /** The group of a recorded series, when the groups' evaluations are read (asked once). */
  const groupOf = (record: string): { group?: RecordedGroup } => {
    markers ??= want(RULE_GROUP_EVALUATION_RECORD);
    const group = markers ? recordedGroupOf(record) : undefined;
    return group ? { group } : {};
  };
  const features: FeatureQuery[] = FEATURE_NAMES.map((feature) => {
    const template = o.queries[feature];
    const record = recordedFeatureName(feature);
    if (recordsTemplate(feature, template, o.scope.window) && want(record))
      return { feature, query: selector(record, o.scope), record, ...groupOf(record) };
    return { feature, query: renderQuery(template, o.scope, o.join) };
  });
  const byFeature = new Map(features.map((f) => [f.feature, f]));

  let freshness: string | undefined;
  let freshnessDetail: ((stale: QueryScope) => string) | undefined;
  if (o.maxSampleAgeMs !== undefined) {
    const allDefault = FEATURE_NAMES.every((f) => o.queries[f] === DEFAULT_FEATURE_QUERIES[f]);
    const recordedSource = allDefault && want(SAMPLE_TIMESTAMP_RECORD);
    const cutoff = `(time() - ${o.maxSampleAgeMs / 1000})`;
    // One series per deployment first; the per-metric ones only for the deployments found stale.
    const twoStep = recordedSource && want(SAMPLE_TIMESTAMP_MIN_RECORD);
    if (twoStep)
      freshnessDetail = (stale) => `(${selector(SAMPLE_TIMESTAMP_RECORD, stale)}) < ${cutoff}`;
    const source = twoStep
      ? selector(SAMPLE_TIMESTAMP_MIN_RECORD, o.scope)
      : recordedSource
        ? selector(SAMPLE_TIMESTAMP_RECORD, o.scope)
        : freshnessTemplate(FEATURE_NAMES.map((f) => o.queries[f]));
    // Filtered before it is labelled: label_replace then runs on the stale rows only (none in
    // the steady state), not on every deployment's series of every feature — at 10,000
    // deployments that was 140,000 label rewrites per cycle.
    // Without the groups' evaluation series (an older rules file), each rule's own lag.
    const ruleLag = features
      .filter((f) => f.record !== undefined && f.group === undefined)
      .map(
        (f) =>
          `label_replace(timestamp(${selector(f.record!, o.scope)}) < ${cutoff}, "metric", "${f.record}", "", "")`,
      );
    const arms = [
      ...(source ? [`(${renderQuery(source, o.scope, o.join)}) < ${cutoff}`] : []),
      ...ruleLag,
    ];
    if (arms.length > 0) freshness = arms.join(' or ');
  }

  const context: ContextQuery[] = [];
  if (o.baseline !== false) {
    for (const feature of BASELINE_FEATURES) {
      const f = byFeature.get(feature)!;
      const q = baselineQueries(f.query, o.baseline);
      // The rules record the statistics with the default windows, of the recorded feature.
      const recordable =
        f.record !== undefined && sameWindows(o.baseline, DEFAULT_BASELINE_WINDOWS);
      for (const stat of baselineQueryNamesOf(feature)) {
        const record = recordedBaselineName(feature, stat);
        const recorded = recordable && want(record);
        const spec: ContextSpec = { kind: 'baseline', feature, stat };
        context.push({
          feature,
          id: contextColumnId(spec),
          query: recorded ? selector(record, o.scope) : q[stat],
          spec,
          ...(recorded ? groupOf(record) : {}),
        });
      }
    }
  }
  if (o.slo) {
    const sloDefault = (
      ['http_5xx_error_rate', 'http_requests_per_s', 'http_p95_latency_seconds'] as const
    ).every((f) => o.queries[f] === DEFAULT_FEATURE_QUERIES[f]);
    for (const { window, sli, query } of sloWindowQueries(o.queries, o.scope, o.join)) {
      const feature: FeatureName =
        sli === 'error_ratio'
          ? 'http_5xx_error_rate'
          : sli === 'requests'
            ? 'http_requests_per_s'
            : 'http_p95_latency_seconds';
      const record = recordedSloName(sli, window);
      const recorded = sloDefault && want(record);
      const spec: ContextSpec = { kind: 'slo', window, sli };
      context.push({
        feature,
        id: contextColumnId(spec),
        query: recorded ? selector(record, o.scope) : query,
        spec,
        ...(recorded ? groupOf(record) : {}),
      });
    }
  }
  const read = [...features, ...context].some((q) => q.group !== undefined);
  return {
    features,
    freshness,
    ...(freshnessDetail ? { freshnessDetail } : {}),
    ...(read ? { evaluations: RULE_GROUP_EVALUATION_RECORD } : {}),
    context,
    missing,
  };
}

/** A rule group's last evaluation (ms since epoch), or why its series cannot be trusted. */
export type GroupState = { at: number } | { stale: string };

/**
 * Each rule group's state from its last evaluation time (`evaluated`: the `evaluations` answer,
 * ms by group name). Stale: no evaluation series (the group is not loaded, or stopped over
 * Prometheus' 5-minute lookback ago), or older than its interval plus `maxAgeMs` (undefined: no
 * age check). Pure, so the boundaries are table-tested.
 */
export function assessGroups(
  groups: Iterable<RecordedGroup>,
  evaluated: ReadonlyMap<string, number>,
  now: number,
  maxAgeMs: number | undefined,
): Map<string, GroupState> {
  const out = new Map<string, GroupState>();
  for (const { group, intervalMs = 0 } of groups) {
    if (out.has(group)) continue;
    const at = evaluated.get(group);
    const allowed = maxAgeMs === undefined ? Infinity : maxAgeMs + intervalMs;
    if (at === undefined || !Number.isFinite(at))
      out.set(group, {
        stale: `rule group ${group} has no ${RULE_GROUP_EVALUATION_RECORD} series: its recording rules are not loaded or stopped evaluating`,
      });
    else if (now - at > allowed)
      out.set(group, {
        stale: `rule group ${group} last evaluated ${Math.round((now - at) / 1000)} s ago > ${Math.round(allowed / 1000)} s`,
      });
    else out.set(group, { at });
  }
  return out;
}
