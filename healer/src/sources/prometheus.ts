/**
 * Features from Prometheus: one instant query per feature for every watched deployment at once
 * (the templates aggregate `by (namespace, deployment)`), so the number of queries per cycle does
 * not grow with the number of deployments. Beside them, the same way, the context of each
 * deployment: its baseline statistics (quantiles over a trailing window, last week, slope — its own
 * normal) and its SLO windows.
 */
import {
  baselineQueries,
  renderQuery,
  sloWindowQueries,
  type BaselineQueryName,
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
    readonly feature: FeatureName,
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
  /** Called once per HTTP query (for metrics and the benchmark). */
  onQuery?: (feature: FeatureName, ok: boolean, seconds: number) => void;
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

  async fetch(targets: readonly Target[]): Promise<Map<string, FeatureResult>> {
    const out = new Map<string, FeatureResult>();
    if (targets.length === 0) return out;
    const now = this.opts.now();
    const scope = {
      namespace: regexOf(targets.map((t) => t.namespace)),
      deployment: targets.length <= MAX_NAMES_IN_REGEX ? regexOf(targets.map((t) => t.name)) : '.+',
      window: this.opts.window,
    };
    const samples = new Map<string, Map<FeatureName, Sample>>();
    for (const t of targets) samples.set(targetKey(t), new Map());

    const context = new Map<string, ContextValue[]>();
    for (const t of targets) context.set(targetKey(t), []);
    const contextDone = Promise.all(
      this.contextQueries(scope).map(async (c) => {
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
        const query = renderQuery(this.opts.queries[feature], scope);
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
  private contextQueries(scope: {
    namespace: string;
    deployment: string;
    window: string;
  }): ContextQuery[] {
    const out: ContextQuery[] = [];
    const windows =
      this.opts.baseline === undefined ? DEFAULT_BASELINE_WINDOWS : this.opts.baseline;
    if (windows !== false) {
      for (const feature of BASELINE_FEATURES) {
        const q = baselineQueries(renderQuery(this.opts.queries[feature], scope), windows);
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
      for (const { window, sli, query } of sloWindowQueries(this.opts.queries, scope)) {
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

  private async query(feature: FeatureName, query: string, now: number): Promise<VectorSample[]> {
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
