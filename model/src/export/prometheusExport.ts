/**
 * Exports a deployment fleet's history from Prometheus as a labelled long-format file for
 * retraining — streamed chunk by chunk (never one table or one string in memory), labelled from
 * the cluster's own history, no hand-written file needed:
 *
 * - **firing alerts**: `ALERTS{alertstate="firing"}` matching a selector (default: severity
 *   critical or page), per deployment — by their `deployment` label or their pod's owner;
 * - **kube-state-metrics terminations**: a container waiting in CrashLoopBackOff, or restarted
 *   after an OOMKilled/Error termination;
 * - **the healer's own Events** (AutoHealRestart, AutoHealCacheClear, AutoHealRollback,
 *   AutoHealNeedsAttention) from a `kubectl get events -A -o json` file: the 2 minutes before;
 * - **SLO breaches computed on the export**: a row with 5 % or more 5xx, fewer than half of the
 *   desired pods ready, or p95 over a given objective;
 * - optionally a hand-written incidents file.
 *
 * A row is labelled 1 when an incident of its deployment is under way or starts within the
 * model's horizon (5 minutes), the same label as the synthetic training data.
 */
import { FEATURES, FEATURE_NAMES, LABEL_HORIZON_MINUTES, type FeatureName } from '../schema.js';
import { DEFAULT_FEATURE_QUERIES, POD_DEPLOYMENT_JOIN, renderQuery } from '../queries.js';
import { csvHeader, csvRow, parseTimestamp } from '../replay/csv.js';

/** The export failed talking to Prometheus or reading its answer. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    readonly code: 'http' | 'prometheus' | 'response' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An input file (incidents, Events) is malformed; names the line or item and the field. */
export class LabelSourceError extends Error {
  override readonly name = 'LabelSourceError';
}

export interface Incident {
  namespace?: string;
  deployment: string;
  /** Unix seconds. */
  start: number;
  end: number;
  source: string;
}

/**
 * Parses a timestamp (the incidents file, `--from`/`--to`, an Event's time) by the replay file's
 * rule: an epoch number (seconds, ms, µs or ns by magnitude) or an ISO 8601 time, UTC when it names
 * no zone — not the zone of the machine running the export, which `Date.parse` would use.
 */
export function parseTime(text: string): number | undefined {
  return parseTimestamp(text);
}

/** Parses a Prometheus duration such as `30s`, `2m`, `1h30m` into seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const s =
    Number(m[1] ?? 0) * 86400 +
    Number(m[2] ?? 0) * 3600 +
    Number(m[3] ?? 0) * 60 +
    Number(m[4] ?? 0);
  return s > 0 ? s : undefined;
}

/**
 * Parses a hand-written incidents CSV with the columns `deployment,start,end` (and optionally
 * `namespace`); `deployment` may also be written `namespace/name`. Times: {@link parseTime}.
 */
export function parseIncidents(text: string): Incident[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0)
    throw new LabelSourceError(
      'line 1: the incidents file is empty; expected a header deployment,start,end',
    );
  const header = (lines[0] as string).split(',').map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  for (const required of ['deployment', 'start', 'end']) {
    if (col(required) < 0)
      throw new LabelSourceError(
        `line 1, field ${required}: required column is missing from the header`,
      );
  }
  return lines.slice(1).map((line, i) => {
    const lineNo = i + 2;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length) {
      throw new LabelSourceError(
        `line ${lineNo}: has ${cells.length} fields, the header has ${header.length}`,
      );
    }
    let deployment = cells[col('deployment')] as string;
    let namespace = col('namespace') >= 0 ? cells[col('namespace')] || undefined : undefined;
    if (deployment.includes('/'))
      [namespace, deployment] = deployment.split('/', 2) as [string, string];
    if (deployment === '') throw new LabelSourceError(`line ${lineNo}, field deployment: is empty`);
    const start = parseTime(cells[col('start')] as string);
    if (start === undefined)
      throw new LabelSourceError(
        `line ${lineNo}, field start: "${cells[col('start')]}" is not an ISO 8601 time or an epoch number`,
      );
    const end = parseTime(cells[col('end')] as string);
    if (end === undefined)
      throw new LabelSourceError(
        `line ${lineNo}, field end: "${cells[col('end')]}" is not an ISO 8601 time or an epoch number`,
      );
    if (end < start) throw new LabelSourceError(`line ${lineNo}, field end: is before start`);
    return {
      ...(namespace === undefined ? {} : { namespace }),
      deployment,
      start,
      end,
      source: 'incidents file',
    };
  });
}

/** The healer's Events that mean it judged a deployment failing (it acted or paged). */
export const HEALER_INCIDENT_REASONS = [
  'AutoHealRestart',
  'AutoHealCacheClear',
  'AutoHealRollback',
  'AutoHealNeedsAttention',
];
/** A healer action follows `enterCycles` cycles of high risk: its incident starts this much earlier. */
const EVENT_LEAD_SECONDS = 120;

/**
 * The healer's incidents from a Kubernetes Event list (`kubectl get events -A -o json`): Events
 * with a healer reason about a Deployment, each an incident from 2 minutes before it to it.
 */
export function parseHealerEvents(text: string): Incident[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new LabelSourceError(`the Events file is not JSON (${(err as Error).message})`);
  }
  const items = (doc as { items?: unknown })?.items;
  if (!Array.isArray(items))
    throw new LabelSourceError(
      'the Events file has no "items" list (expected kubectl get events -o json)',
    );
  /** The fields of a core/v1 or events.k8s.io/v1 Event this reads. */
  interface KubeEvent {
    reason?: string;
    eventTime?: string;
    lastTimestamp?: string;
    firstTimestamp?: string;
    metadata?: { namespace?: string };
    involvedObject?: { kind?: string; name?: unknown; namespace?: string };
    regarding?: { kind?: string; name?: unknown; namespace?: string };
  }
  const out: Incident[] = [];
  (items as KubeEvent[]).forEach((e, i) => {
    if (!HEALER_INCIDENT_REASONS.includes(e?.reason ?? '')) return;
    const obj = e.involvedObject ?? e.regarding;
    if (obj?.kind !== 'Deployment' || typeof obj.name !== 'string') return;
    const when = parseTime(String(e.eventTime ?? e.lastTimestamp ?? e.firstTimestamp ?? ''));
    if (when === undefined)
      throw new LabelSourceError(
        `items[${i}] (${String(e.reason)} ${obj.name}): no eventTime, lastTimestamp or firstTimestamp`,
      );
    const namespace = obj.namespace ?? e.metadata?.namespace;
    out.push({
      ...(namespace !== undefined ? { namespace } : {}),
      deployment: obj.name,
      start: when - EVENT_LEAD_SECONDS,
      end: when,
      source: `healer Event ${String(e.reason)}`,
    });
  });
  return out;
}

export interface LabelSources {
  /** Selector of the firing alerts that count (null: alerts are not used). */
  alerts: string | null;
  /** kube-state-metrics crash loops and OOM kills. */
  terminations: boolean;
  /** SLO breaches on the exported rows. */
  slo: { maxErrorRate: number; minReadyRatio: number; maxP95Seconds?: number } | null;
  /** Incidents from files: the healer's Events, hand-written incidents. */
  incidents: readonly Incident[];
}

export const DEFAULT_ALERTS = 'ALERTS{alertstate="firing", severity=~"critical|page"}';
export const DEFAULT_LABEL_SOURCES: LabelSources = {
  alerts: DEFAULT_ALERTS,
  terminations: true,
  slo: { maxErrorRate: 0.05, minReadyRatio: 0.5 },
  incidents: [],
};

/** Per-deployment label queries (one series per `{namespace, deployment}`, > 0 while an incident). */
export function labelQueries(
  sources: LabelSources,
  scope: { namespace: string; deployment: string; window: string },
): Record<string, string> {
  const q: Record<string, string> = {};
  const perPod = (expr: string): string =>
    `(${expr}) * on (namespace, pod) group_left (deployment) (${POD_DEPLOYMENT_JOIN})`;
  if (sources.alerts !== null) {
    const sel = sources.alerts;
    q.alerts = renderQuery(
      `max by (namespace, deployment) (${sel.replace(/\}$/, ', deployment=~"{{deployment}}"}')}) or max by (namespace, deployment) (${perPod(`max by (namespace, pod) (${sel})`)})`,
      scope,
    );
  }
  if (sources.terminations) {
    q.terminations = renderQuery(
      `max by (namespace, deployment) (${perPod(
        `max by (namespace, pod) (kube_pod_container_status_waiting_reason{namespace=~"{{namespace}}", reason="CrashLoopBackOff"}) or ` +
          `max by (namespace, pod) ((increase(kube_pod_container_status_restarts_total{namespace=~"{{namespace}}"}[{{window}}]) > 0) and on (namespace, pod, container) (kube_pod_container_status_last_terminated_reason{namespace=~"{{namespace}}", reason=~"OOMKilled|Error"} > 0))`,
      )}) > 0`,
      scope,
    );
  }
  return q;
}

export interface ExportOptions {
  prometheusUrl: string;
  namespace: string;
  deployment: string;
  /** Unix seconds. */
  from: number;
  to: number;
  stepSeconds: number;
  /** Rate window of the templates, e.g. `2m`. */
  window: string;
  labels: LabelSources;
  queries?: Partial<Record<FeatureName, string>>;
  fetchFn?: typeof fetch;
  /** Time per chunk (default 6 h): bounds memory whatever the range. */
  chunkSeconds?: number;
  /** Receives the file piece by piece, in order; awaited (backpressure). */
  write: (text: string) => Promise<void> | void;
}

export interface ExportResult {
  rows: number;
  positives: number;
  /** Positives per label source (a row can have several). */
  bySource: Record<string, number>;
  /** Cells left empty because their value was outside the schema's range; rows without any required feature. */
  dropped: { outOfRangeCells: number; rowsWithoutRequired: number };
  deployments: number;
  queries: number;
  chunks: number;
}

interface MatrixSeries {
  metric?: Record<string, string>;
  values?: [number, string][];
}

/** Prometheus refuses more than 11,000 points per series; chunks stay well below. */
const MAX_POINTS = 10_000;

async function queryRange(
  opts: ExportOptions,
  what: string,
  query: string,
  start: number,
  end: number,
): Promise<MatrixSeries[]> {
  const url = new URL(
    'api/v1/query_range',
    opts.prometheusUrl.endsWith('/') ? opts.prometheusUrl : opts.prometheusUrl + '/',
  );
  const body = new URLSearchParams({
    query,
    start: String(start),
    end: String(end),
    step: String(opts.stepSeconds),
  });
  let res: Response;
  try {
    res = await (opts.fetchFn ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  } catch (err) {
    throw new ExportError('network', `${what}: cannot reach Prometheus at ${url.origin}`, {
      cause: err,
    });
  }
  let answer: {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType?: string; result?: MatrixSeries[] };
  };
  try {
    answer = (await res.json()) as typeof answer;
  } catch (err) {
    throw new ExportError(
      'response',
      `${what}: Prometheus answered HTTP ${res.status} without JSON`,
      { cause: err },
    );
  }
  if (!res.ok || answer.status !== 'success') {
    throw new ExportError(
      res.ok ? 'prometheus' : 'http',
      `${what}: Prometheus answered HTTP ${res.status}: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no message'}`,
    );
  }
  if (answer.data?.resultType !== 'matrix' || !Array.isArray(answer.data.result)) {
    throw new ExportError(
      'response',
      `${what}: expected a matrix result, got ${String(answer.data?.resultType)}`,
    );
  }
  return answer.data.result;
}

const N = FEATURES.length;
const IDX = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<FeatureName, number>;

/**
 * Streams the labelled export: for each time chunk, one range query per feature template and per
 * label query (all deployments at once), then the chunk's rows in time order.
 */
export async function exportHistory(opts: ExportOptions): Promise<ExportResult> {
  if (!(opts.to > opts.from))
    throw new RangeError(`to (${opts.to}) must be after from (${opts.from})`);
  const step = opts.stepSeconds;
  const chunk = Math.min(opts.chunkSeconds ?? 6 * 3600, (MAX_POINTS - 1) * step);
  const horizon = LABEL_HORIZON_MINUTES * 60;
  const scope = { namespace: opts.namespace, deployment: opts.deployment, window: opts.window };
  const featureQueries = FEATURE_NAMES.map(
    (f) => [f, renderQuery(opts.queries?.[f] ?? DEFAULT_FEATURE_QUERIES[f], scope)] as const,
  );
  const labelQ = Object.entries(labelQueries(opts.labels, scope));
  const fileIncidents = new Map<string, Incident[]>();
  for (const inc of opts.labels.incidents) {
    const key = inc.deployment;
    const list = fileIncidents.get(key) ?? [];
    list.push(inc);
    fileIncidents.set(key, list);
  }
  const result: ExportResult = {
    rows: 0,
    positives: 0,
    bySource: {},
    dropped: { outOfRangeCells: 0, rowsWithoutRequired: 0 },
    deployments: 0,
    queries: 0,
    chunks: 0,
  };
  const deployments = new Set<string>();
  await opts.write(csvHeader(FEATURE_NAMES, true) + '\n');
  // Align chunks to the step grid so consecutive chunks neither overlap nor leave a gap.
  for (let c0 = opts.from; c0 <= opts.to; c0 += chunk) {
    const c1 = Math.min(opts.to, c0 + chunk - step);
    result.chunks++;
    // Rows of this chunk (key `ns\0dep` → values per step), and the horizon after it, read only
    // to label the chunk's last rows.
    const steps = Math.round((c1 - c0) / step) + 1;
    const extended = steps + Math.round(horizon / step);
    const table = new Map<
      string,
      { namespace: string; deployment: string; values: Float64Array }
    >();
    const rowOf = (ns: string, dep: string): Float64Array => {
      const key = `${ns}\u0000${dep}`;
      let e = table.get(key);
      if (!e) {
        e = { namespace: ns, deployment: dep, values: new Float64Array(extended * N).fill(NaN) };
        table.set(key, e);
      }
      return e.values;
    };
    for (const [feature, query] of featureQueries) {
      result.queries++;
      for (const s of await queryRange(opts, feature, query, c0, c1 + horizon)) {
        const v = rowOf(s.metric?.namespace ?? '', s.metric?.deployment ?? '');
        for (const [ts, raw] of s.values ?? []) {
          const k = Math.round((Number(ts) - c0) / step);
          if (k >= 0 && k < extended) v[k * N + IDX[feature]] = Number(raw);
        }
      }
    }
    // Incident steps per deployment, including the look-ahead past the chunk's end.
    const incidentSteps = new Map<string, Map<string, Set<number>>>();
    const mark = (ns: string, dep: string, source: string, t: number): void => {
      const key = `${ns}\u0000${dep}`;
      let m = incidentSteps.get(key);
      if (!m) incidentSteps.set(key, (m = new Map()));
      let set = m.get(source);
      if (!set) m.set(source, (set = new Set()));
      set.add(Math.round((t - c0) / step));
    };
    for (const [source, query] of labelQ) {
      result.queries++;
      for (const s of await queryRange(opts, `labels (${source})`, query, c0, c1 + horizon)) {
        for (const [ts, raw] of s.values ?? []) {
          if (Number(raw) > 0)
            mark(s.metric?.namespace ?? '', s.metric?.deployment ?? '', source, Number(ts));
        }
      }
    }
    const lines: string[] = [];
    const ordered = [...table.values()].sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.deployment.localeCompare(b.deployment),
    );
    const horizonSteps = Math.round(horizon / step);
    for (let k = 0; k < steps; k++) {
      const t = c0 + k * step;
      for (const e of ordered) {
        const values: Partial<Record<FeatureName, number>> = {};
        let required = false;
        for (let f = 0; f < N; f++) {
          const v = e.values[k * N + f] as number;
          if (!Number.isFinite(v)) continue;
          const spec = FEATURES[f]!;
          if (v < spec.min || v > spec.max) {
            result.dropped.outOfRangeCells++;
            continue;
          }
          values[spec.name] = v;
          if (spec.required) required = true;
        }
        if (!required) {
          result.dropped.rowsWithoutRequired++;
          continue;
        }
        const sources = labelSourcesAt(
          e,
          k,
          t,
          horizonSteps,
          incidentSteps,
          fileIncidents,
          opts.labels,
          horizon,
        );
        const label: 0 | 1 = sources.length > 0 ? 1 : 0;
        if (label) {
          result.positives++;
          for (const src of sources) result.bySource[src] = (result.bySource[src] ?? 0) + 1;
        }
        deployments.add(`${e.namespace}/${e.deployment}`);
        lines.push(
          csvRow(
            { t, namespace: e.namespace, deployment: e.deployment, values, label },
            FEATURE_NAMES,
          ),
        );
        result.rows++;
        if (lines.length >= 2000) await opts.write(lines.splice(0).join('\n') + '\n');
      }
    }
    if (lines.length > 0) await opts.write(lines.join('\n') + '\n');
  }
  result.deployments = deployments.size;
  return result;
}

/** Which sources make the row at step k (time t) an incident row: under way now or within the horizon. */
function labelSourcesAt(
  e: { namespace: string; deployment: string; values: Float64Array },
  k: number,
  t: number,
  horizonSteps: number,
  incidentSteps: Map<string, Map<string, Set<number>>>,
  files: Map<string, Incident[]>,
  labels: LabelSources,
  horizon: number,
): string[] {
  const out: string[] = [];
  const m = incidentSteps.get(`${e.namespace}\u0000${e.deployment}`);
  if (m) {
    for (const [source, set] of m) {
      for (let j = k; j <= k + horizonSteps; j++) {
        if (set.has(j)) {
          out.push(source);
          break;
        }
      }
    }
  }
  if (labels.slo) {
    const slo = labels.slo;
    const steps = e.values.length / N;
    for (let j = k; j <= Math.min(k + horizonSteps, steps - 1); j++) {
      const err = e.values[j * N + IDX.http_5xx_error_rate] as number;
      const ready = e.values[j * N + IDX.ready_replica_ratio] as number;
      const p95 = e.values[j * N + IDX.http_p95_latency_seconds] as number;
      if (
        err >= slo.maxErrorRate ||
        ready < slo.minReadyRatio ||
        (slo.maxP95Seconds !== undefined && p95 >= slo.maxP95Seconds)
      ) {
        out.push('slo');
        break;
      }
    }
  }
  for (const inc of files.get(e.deployment) ?? []) {
    if (inc.namespace !== undefined && inc.namespace !== e.namespace) continue;
    if (t <= inc.end && t + horizon >= inc.start) {
      out.push(inc.source);
      break;
    }
  }
  return out;
}
