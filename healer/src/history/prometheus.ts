import axios, { type AxiosInstance } from 'axios';
import type { RiskPoint } from '../api/types.js';
import type { HistoryRange } from '../api/server.js';
import { CachedRiskHistory, type HistoryCacheOptions } from './cache.js';
import type { RiskHistory } from './types.js';

/** The range query for one deployment's risk failed; `cause` is the HTTP error. */
export class HistoryQueryError extends Error {
  constructor(
    readonly deployment: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`risk history of ${deployment}: ${message}`, options);
    this.name = 'HistoryQueryError';
  }
}

export interface PrometheusRiskHistoryOptions {
  url: string;
  timeoutMs?: number;
  /** The gauge the healer exports. Default `aiops_deployment_risk`. */
  metric?: string;
  /** Called once per HTTP query (for metrics and the benchmark). */
  onQuery?: (ok: boolean, seconds: number) => void;
}

interface MatrixResponse {
  status: string;
  error?: string;
  data?: {
    resultType: string;
    result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
  };
}

/** PromQL string literal: backslashes and double quotes escaped. */
function literal(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Reads a deployment's risk back from Prometheus with one `query_range`. `max by` folds the series
 * of several healer replicas (each has its own `instance`) into one line.
 */
export class PrometheusRiskHistory implements RiskHistory {
  private readonly http: AxiosInstance;
  private readonly metric: string;

  constructor(private readonly opts: PrometheusRiskHistoryOptions) {
    this.http = axios.create({ baseURL: opts.url, timeout: opts.timeoutMs ?? 5_000 });
    this.metric = opts.metric ?? 'aiops_deployment_risk';
  }

  /** The PromQL for one deployment (exported for the docs and tests). */
  query(namespace: string, name: string): string {
    return `max by (namespace, deployment) (${this.metric}{namespace=${literal(namespace)},deployment=${literal(name)}})`;
  }

  async history(namespace: string, name: string, range: HistoryRange): Promise<RiskPoint[]> {
    const started = process.hrtime.bigint();
    let ok = false;
    try {
      const res = await this.http.get<MatrixResponse>('/api/v1/query_range', {
        params: {
          query: this.query(namespace, name),
          start: range.start.getTime() / 1000,
          end: range.end.getTime() / 1000,
          step: range.stepSeconds,
        },
      });
      const body = res.data;
      if (body.status !== 'success' || body.data?.resultType !== 'matrix') {
        throw new HistoryQueryError(
          `${namespace}/${name}`,
          `unexpected answer: ${body.error ?? body.status}`,
        );
      }
      ok = true;
      const values = body.data.result[0]?.values ?? [];
      const out: RiskPoint[] = [];
      for (const [t, v] of values) {
        const risk = Number(v);
        if (Number.isFinite(risk)) out.push({ t: new Date(t * 1000).toISOString(), risk });
      }
      return out;
    } catch (err) {
      if (err instanceof HistoryQueryError) throw err;
      const status = axios.isAxiosError(err) ? err.response?.status : undefined;
      throw new HistoryQueryError(
        `${namespace}/${name}`,
        status ? `Prometheus answered HTTP ${status}` : 'Prometheus unreachable',
        { cause: err },
      );
    } finally {
      this.opts.onQuery?.(ok, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

/**
 * Prometheus history, then the in-memory points newer than its last sample (the cycles it has not
 * scraped yet). Both sorted oldest first.
 */
export function mergeHistory(fromPrometheus: RiskPoint[], fromMemory: RiskPoint[]): RiskPoint[] {
  const last = fromPrometheus.at(-1);
  if (!last) return fromMemory;
  const lastMs = Date.parse(last.t);
  return [...fromPrometheus, ...fromMemory.filter((p) => Date.parse(p.t) > lastMs)];
}

/**
 * The `history` dependency of the status app: Prometheus (cached and throttled when `cache` is
 * given) merged with the store's ring, whose newest points are always fresh. When Prometheus
 * fails or is busy the error propagates, and the app serves the ring alone (and says so in logs).
 */
export function createRiskHistory(
  source: RiskHistory,
  memory: { riskPoints(namespace: string, name: string, start: Date, end: Date): RiskPoint[] },
  cache?: HistoryCacheOptions,
): (namespace: string, name: string, range: HistoryRange) => Promise<RiskPoint[]> {
  const front = cache ? new CachedRiskHistory(source, cache) : source;
  return async (namespace, name, range) => {
    const fromPrometheus = await front.history(namespace, name, range);
    return mergeHistory(fromPrometheus, memory.riskPoints(namespace, name, range.start, range.end));
  };
}
