/**
 * Features from Prometheus: one instant query per feature for every watched deployment at once
 * (the templates aggregate `by (namespace, deployment)`), plus one freshness query, so the number
 * of queries per cycle does not grow with the number of deployments.
 *
 * Fresh data: an instant query stamps every result with the evaluation time, so the age of the
 * data behind a feature is read from the samples' own timestamps (`timestamp()`) in one more
 * query, built from the metric names the templates use — whatever the features are. A feature
 * whose newest underlying sample is older than `maxSampleAgeMs` is stale. A response carrying
 * `warnings` (a Thanos or Mimir partial response) is not trusted: inconclusive.
 *
 * Beside them, the same way, the context of each deployment: its baseline statistics (quantiles
 * over a trailing window, last week, slope — its own normal) and its SLO windows.
 */
import {
  POD_DEPLOYMENT_RECORD,
  baselineQueries,
  renderQuery,
  sloWindowQueries,
  type BaselineQueryName,
  type PodJoin,
} from '@aiops/model/queries';
import { BASELINE_FEATURES, FEATURE_NAMES, type FeatureName } from '@aiops/model/schema';
import { DEFAULT_BASELINE_WINDOWS, type BaselineWindows } from '@aiops/model/features/windows';
import { buildContext, type ContextValue } from './context.js';
import axios, { type AxiosInstance } from 'axios';
import { withRetry, type Sleep } from '../retry.js';
import { targetKey, type FeatureResult, type FeatureSource, type Target } from './types.js';
import { buildInstance, type Sample } from './vector.js';

/** A PromQL query that failed after its retries; `feature` names which one. */
export class PrometheusQueryError extends Error {
  override readonly name = 'PrometheusQueryError';
  constructor(
    /** The feature, or `(freshness)`. */
    readonly feature: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`query for ${feature}: ${message}`, options);
  }
}

export interface PrometheusSourceOptions {
  url: string;
  window: string;
  queries: Record<FeatureName, string>;
  maxSampleAgeMs: number;
  timeoutMs: number;
  retries: number;
  now: () => number;
  sleep?: Sleep;
  random?: () => number;
  /** Read the samples' own timestamps (one more query per cycle). Default true. */
  checkSampleAge?: boolean;
  /**
   * The pod → deployment join: `recorded` reads the recording rule's series
   * (deploy/prometheus/recording.yml), `inline` evaluates it in every query, `auto` (default)
   * reads the recorded series when Prometheus has them (one probe per `podJoinProbeMs`).
   */
  podJoin?: PodJoin | 'auto';
  podJoinProbeMs?: number;
  /** Called when `auto` picks a join (first probe and each change), with why. */
  onPodJoin?: (join: PodJoin, why: string) => void;
  /** Called once per HTTP query (for metrics and the benchmark): a feature or `(freshness)`. */
  onQuery?: (query: string, ok: boolean, seconds: number) => void;
  /**
   * Windows of the baseline queries (default: the model's, 1 h ending 5 min ago on a 1-min grid),
   * or false to send no baseline.
   */
  baseline?: BaselineWindows | false;
  /** Query the SLO windows for the SLO layer (default true). */
  slo?: boolean;
}

interface ContextQuery {
  feature: FeatureName;
  query: string;
  value: (v: number) => ContextValue;
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** The query of the samples' own timestamps, named in errors and metrics. */
export const FRESHNESS = '(freshness)';
/** The probe for the recorded pod → deployment join (`podJoin: auto`). */
export const POD_JOIN_PROBE = '(pod join)';

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
 * One query for the newest sample time of every metric the templates use, per deployment and
 * metric: series labelled with the deployment directly (kube-state-metrics), or through the
 * pod → deployment join (cAdvisor, the apps), the join done once for all metrics. `timestamp()`
 * is applied to each selector itself — on anything else it returns the evaluation time.
 * Undefined when the templates name no metric.
 */
export function freshnessTemplate(templates: readonly string[]): string | undefined {
  const names = [...new Set(templates.flatMap(metricNames))];
  if (names.length === 0) return undefined;
  const tagged = (by: string, labels: string): string =>
    names
      .map(
        (n) =>
          `label_replace(max by (${by}) (timestamp(${n}{${labels}})), "metric", "${n}", "", "")`,
      )
      .join(' or ');
  const direct = tagged(
    'namespace, deployment',
    'namespace=~"{{namespace}}", deployment=~"{{deployment}}"',
  );
  const perPod = tagged('namespace, pod', 'namespace=~"{{namespace}}", pod!=""');
  return `max by (namespace, deployment, metric) (${direct}) or max by (namespace, deployment, metric) ((${perPod}) * on (namespace, pod) group_left (deployment) ({{pod_deployment}}))`;
}

/** Above this many deployments the deployment regex becomes `.+` and results are filtered here. */
const MAX_NAMES_IN_REGEX = 50;

function regexOf(values: Iterable<string>): string {
  return [...new Set(values)].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/** Prometheus sample values are strings: `0.5`, `NaN`, `+Inf`, `-Inf`. */
export function parseSampleValue(v: string): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

/** Retry only what may pass next time: network errors, timeouts, 5xx, 429. */
function retryable(err: unknown): boolean {
  if (!axios.isAxiosError(err)) return false;
  const status = err.response?.status;
  return status === undefined || status >= 500 || status === 429;
}

export class PrometheusFeatureSource implements FeatureSource {
  private readonly http: AxiosInstance;

  constructor(private readonly opts: PrometheusSourceOptions) {
    this.http = axios.create({ baseURL: opts.url, timeout: opts.timeoutMs });
  }

  private probed: { join: PodJoin; at: number } | undefined;

  /**
   * The join to render: as configured, or with `auto` whether Prometheus has the recorded
   * series for these namespaces (a failed probe keeps the last answer, else inline).
   */
  async podJoin(namespace: string, now: number): Promise<PodJoin> {
    const mode = this.opts.podJoin ?? 'auto';
    if (mode !== 'auto') return mode;
    if (this.probed && now - this.probed.at < (this.opts.podJoinProbeMs ?? 300_000))
      return this.probed.join;
    let join: PodJoin;
    let why: string;
    try {
      const rows = await this.query(
        POD_JOIN_PROBE,
        `count(${POD_DEPLOYMENT_RECORD}{namespace=~"${namespace}"})`,
        now,
      );
      join = rows.length > 0 ? 'recorded' : 'inline';
      why =
        join === 'recorded'
          ? `Prometheus records ${POD_DEPLOYMENT_RECORD}`
          : `Prometheus has no ${POD_DEPLOYMENT_RECORD} series: load deploy/prometheus/recording.yml (in the PrometheusRule) — the inline join costs Prometheus ~10× more per cycle`;
    } catch (err) {
      join = this.probed?.join ?? 'inline';
      why = `probe failed (${err instanceof Error ? err.message : String(err)})`;
    }
    if (join !== this.probed?.join) this.opts.onPodJoin?.(join, why);
    this.probed = { join, at: now };
    return join;
  }

  async fetch(targets: readonly Target[]): Promise<Map<string, FeatureResult>> {
    const out = new Map<string, FeatureResult>();
    if (targets.length === 0) return out;
    const now = this.opts.now();
    const scope = {
      namespace: regexOf(targets.map((t) => t.namespace)),
      deployment: targets.length <= MAX_NAMES_IN_REGEX ? regexOf(targets.map((t) => t.name)) : '.+',
      window: this.opts.window,
    };
    const join = await this.podJoin(scope.namespace, now);
    const samples = new Map<string, Map<FeatureName, Sample>>();
    for (const t of targets) samples.set(targetKey(t), new Map());
    const fresh = this.freshness(scope, now, join);
    const context = new Map<string, ContextValue[]>();
    for (const t of targets) context.set(targetKey(t), []);
    const contextDone = Promise.all(
      this.contextQueries(scope, join).map(async (c) => {
        let result: VectorSample[];
        try {
          result = await this.query(c.feature, c.query, now);
        } catch {
          return; // context is best effort: without it, the model has no history for that signal
        }
        for (const s of result) {
          context
            .get(`${s.metric.namespace}/${s.metric.deployment}`)
            ?.push(c.value(parseSampleValue(s.value[1])));
        }
      }),
    );

    await Promise.all(
      FEATURE_NAMES.map(async (feature) => {
        const query = renderQuery(this.opts.queries[feature], scope, join);
        let result: VectorSample[];
        try {
          result = await this.query(feature, query, now);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          for (const m of samples.values()) m.set(feature, { kind: 'failed', reason });
          return;
        }
        const seen = new Set<string>();
        for (const s of result) {
          const key = `${s.metric.namespace}/${s.metric.deployment}`;
          const m = samples.get(key);
          if (!m) continue;
          if (seen.has(key)) {
            m.set(feature, { kind: 'failed', reason: `several series for ${key}` });
            continue;
          }
          seen.add(key);
          m.set(feature, {
            kind: 'value',
            value: parseSampleValue(s.value[1]),
            at: s.value[0] * 1000,
          });
        }
      }),
    );
    const newest = await fresh;
    if (newest) this.applySampleTimes(samples, newest);
    await contextDone;
    const minPoints =
      this.opts.baseline === false ? 0 : (this.opts.baseline ?? DEFAULT_BASELINE_WINDOWS).minPoints;
    for (const t of targets) {
      const key = targetKey(t);
      const r = buildInstance(samples.get(key)!, now, this.opts.maxSampleAgeMs);
      if (r.kind === 'ok')
        Object.assign(r.features, buildContext(context.get(key) ?? [], minPoints, t.annotations));
      out.set(key, r);
    }
    return out;
  }

  /** The context queries of one cycle: a fixed number, whatever the number of deployments. */
  private contextQueries(
    scope: { namespace: string; deployment: string; window: string },
    join: PodJoin,
  ): ContextQuery[] {
    const out: ContextQuery[] = [];
    const windows =
      this.opts.baseline === undefined ? DEFAULT_BASELINE_WINDOWS : this.opts.baseline;
    if (windows !== false) {
      for (const feature of BASELINE_FEATURES) {
        const q = baselineQueries(renderQuery(this.opts.queries[feature], scope, join), windows);
        for (const stat of Object.keys(q) as BaselineQueryName[]) {
          out.push({
            feature,
            query: q[stat],
            value: (value) => ({ kind: 'baseline', feature, stat, value }),
          });
        }
      }
    }
    if (this.opts.slo !== false) {
      for (const { window, sli, query } of sloWindowQueries(this.opts.queries, scope, join)) {
        const feature: FeatureName =
          sli === 'error_ratio'
            ? 'http_5xx_error_rate'
            : sli === 'requests'
              ? 'http_requests_per_s'
              : 'http_p95_latency_seconds';
        out.push({ feature, query, value: (value) => ({ kind: 'slo', window, sli, value }) });
      }
    }
    return out;
  }

  /**
   * Newest sample time per `namespace/deployment` and metric, from the freshness query; a failed
   * freshness query fails every feature (the data cannot be vouched for).
   */
  private async freshness(
    scope: { namespace: string; deployment: string; window: string },
    now: number,
    join: PodJoin,
  ): Promise<Map<string, Map<string, number>> | { failed: string } | undefined> {
    if (this.opts.checkSampleAge === false) return undefined;
    const template = freshnessTemplate(FEATURE_NAMES.map((f) => this.opts.queries[f]));
    if (!template) return undefined;
    try {
      const rows = await this.query(FRESHNESS, renderQuery(template, scope, join), now);
      const out = new Map<string, Map<string, number>>();
      for (const r of rows) {
        const key = `${r.metric.namespace}/${r.metric.deployment}`;
        const m = out.get(key) ?? new Map<string, number>();
        m.set(r.metric.metric ?? '', parseSampleValue(r.value[1]) * 1000);
        out.set(key, m);
      }
      return out;
    } catch (err) {
      return { failed: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * A feature's sample time becomes the oldest of its metrics' newest samples (a ratio of a
   * fresh and a stale metric is stale); metrics this deployment has no series of are skipped.
   */
  private applySampleTimes(
    samples: Map<string, Map<FeatureName, Sample>>,
    newest: Map<string, Map<string, number>> | { failed: string },
  ): void {
    if (!(newest instanceof Map)) {
      for (const m of samples.values())
        for (const f of FEATURE_NAMES) {
          if (m.get(f)?.kind === 'value') m.set(f, { kind: 'failed', reason: newest.failed });
        }
      return;
    }
    const uses = new Map(FEATURE_NAMES.map((f) => [f, metricNames(this.opts.queries[f])]));
    for (const [key, m] of samples) {
      const times = newest.get(key);
      if (!times) continue;
      for (const [f, s] of m) {
        if (s.kind !== 'value') continue;
        const ts = (uses.get(f) ?? []).map((n) => times.get(n)).filter((t) => t !== undefined);
        if (ts.length > 0) m.set(f, { ...s, at: Math.min(s.at, ...ts) });
      }
    }
  }

  private async query(feature: string, query: string, now: number): Promise<VectorSample[]> {
    const started = performance.now();
    try {
      const body = await withRetry(
        async () => {
          const res = await this.http.get('/api/v1/query', {
            params: { query, time: (now / 1000).toFixed(3) },
          });
          return res.data as unknown;
        },
        {
          retries: this.opts.retries,
          retryable,
          ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
          ...(this.opts.random ? { random: this.opts.random } : {}),
        },
      );
      const data = (body as { status?: string; data?: { resultType?: string; result?: unknown } })
        ?.data;
      if ((body as { status?: string })?.status !== 'success' || data?.resultType !== 'vector') {
        throw new PrometheusQueryError(
          feature,
          `expected a vector, got ${data?.resultType ?? JSON.stringify(body).slice(0, 100)}`,
        );
      }
      const warnings = (body as { warnings?: unknown }).warnings;
      if (Array.isArray(warnings) && warnings.length > 0) {
        // Thanos/Mimir answer with what they have and a warning: part of the data is missing.
        throw new PrometheusQueryError(
          feature,
          `partial response, Prometheus warned: ${warnings.map(String).join('; ').slice(0, 200)}`,
        );
      }
      this.opts.onQuery?.(feature, true, (performance.now() - started) / 1000);
      return (data.result as VectorSample[]) ?? [];
    } catch (err) {
      this.opts.onQuery?.(feature, false, (performance.now() - started) / 1000);
      if (err instanceof PrometheusQueryError) throw err;
      const detail = axios.isAxiosError(err)
        ? err.response
          ? `HTTP ${err.response.status} ${JSON.stringify(err.response.data).slice(0, 200)}`
          : (err.code ?? err.message)
        : String(err);
      throw new PrometheusQueryError(feature, detail, { cause: err });
    }
  }
}
