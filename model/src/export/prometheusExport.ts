import { FEATURES, FEATURE_NAMES, LABEL_HORIZON_MINUTES, type FeatureName } from '../schema.js';
import { DEFAULT_FEATURE_QUERIES, renderQuery } from '../queries.js';
import { CsvError, formatTrainingCsv } from '../data/csv.js';

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

export interface Incident {
  namespace?: string;
  deployment: string;
  /** Unix seconds. */
  start: number;
  end: number;
}

/** Parses a timestamp: unix seconds or an ISO 8601 date; undefined when neither. */
export function parseTime(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** Parses a Prometheus duration such as `30s`, `2m`, `1h30m` into seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const s = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return s > 0 ? s : undefined;
}

/**
 * Parses an incidents CSV with the columns `deployment,start,end` (and optionally `namespace`);
 * `deployment` may also be written `namespace/name`. Times are ISO 8601 or unix seconds.
 */
export function parseIncidents(text: string): Incident[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0)
    throw new CsvError(
      1,
      undefined,
      'the incidents file is empty; expected a header deployment,start,end',
    );
  const header = (lines[0] as string).split(',').map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  for (const required of ['deployment', 'start', 'end']) {
    if (col(required) < 0)
      throw new CsvError(1, required, 'required column is missing from the header');
  }
  return lines.slice(1).map((line, i) => {
    const lineNo = i + 2;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length)
      throw new CsvError(
        lineNo,
        undefined,
        `has ${cells.length} fields, the header has ${header.length}`,
      );
    let deployment = cells[col('deployment')] as string;
    let namespace = col('namespace') >= 0 ? cells[col('namespace')] || undefined : undefined;
    if (deployment.includes('/'))
      [namespace, deployment] = deployment.split('/', 2) as [string, string];
    if (deployment === '') throw new CsvError(lineNo, 'deployment', 'is empty');
    const start = parseTime(cells[col('start')] as string);
    if (start === undefined)
      throw new CsvError(
        lineNo,
        'start',
        `"${cells[col('start')]}" is not an ISO 8601 time or unix seconds`,
      );
    const end = parseTime(cells[col('end')] as string);
    if (end === undefined)
      throw new CsvError(
        lineNo,
        'end',
        `"${cells[col('end')]}" is not an ISO 8601 time or unix seconds`,
      );
    if (end < start) throw new CsvError(lineNo, 'end', 'is before start');
    return namespace === undefined
      ? { deployment, start, end }
      : { namespace, deployment, start, end };
  });
}

export interface ExportOptions {
  prometheusUrl: string;
  /** Regex of namespaces. */
  namespace: string;
  /** Regex of deployments. */
  deployment: string;
  /** Unix seconds. */
  from: number;
  to: number;
  stepSeconds: number;
  /** Rate window of the templates, e.g. `2m`. */
  window: string;
  incidents: readonly Incident[];
  queries?: Partial<Record<FeatureName, string>>;
  fetchFn?: typeof fetch;
}

export interface ExportResult {
  csv: string;
  rows: number;
  positives: number;
  /** Samples dropped: a required feature missing, or a value outside the schema's range. */
  dropped: { missingRequired: number; outOfRange: number };
  series: number;
}

interface RangeAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: {
    resultType?: string;
    result?: { metric?: Record<string, string>; values?: [number, string][] }[];
  };
}

/** Prometheus refuses more than 11,000 points per series; stay below. */
const MAX_POINTS = 10_000;

async function queryRange(
  opts: ExportOptions,
  feature: FeatureName,
  query: string,
  start: number,
  end: number,
): Promise<NonNullable<NonNullable<RangeAnswer['data']>['result']>> {
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
    throw new ExportError('network', `${feature}: cannot reach Prometheus at ${url.origin}`, {
      cause: err,
    });
  }
  let answer: RangeAnswer;
  try {
    answer = (await res.json()) as RangeAnswer;
  } catch (err) {
    throw new ExportError(
      'response',
      `${feature}: Prometheus answered HTTP ${res.status} without JSON`,
      { cause: err },
    );
  }
  if (!res.ok || answer.status !== 'success') {
    throw new ExportError(
      res.ok ? 'prometheus' : 'http',
      `${feature}: Prometheus answered HTTP ${res.status}: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no message'}`,
    );
  }
  if (answer.data?.resultType !== 'matrix' || !Array.isArray(answer.data.result)) {
    throw new ExportError(
      'response',
      `${feature}: expected a matrix result, got ${String(answer.data?.resultType)}`,
    );
  }
  return answer.data.result;
}

/** The label of one sample: an incident of its deployment is under way or starts within the horizon. */
function labelOf(
  incidents: readonly Incident[],
  namespace: string,
  deployment: string,
  t: number,
): 0 | 1 {
  const horizon = LABEL_HORIZON_MINUTES * 60;
  for (const inc of incidents) {
    if (inc.deployment !== deployment) continue;
    if (inc.namespace !== undefined && inc.namespace !== namespace) continue;
    if (t >= inc.start - horizon && t <= inc.end) return 1;
  }
  return 0;
}

/**
 * Builds a training CSV from a Prometheus: one range query per feature (the healer's templates),
 * joined on (namespace, deployment, timestamp), labelled from the incidents.
 */
export async function exportTrainingCsv(opts: ExportOptions): Promise<ExportResult> {
  if (!(opts.to > opts.from))
    throw new RangeError(`--to (${opts.to}) must be after --from (${opts.from})`);
  const scope = { namespace: opts.namespace, deployment: opts.deployment, window: opts.window };
  const table = new Map<
    string,
    { namespace: string; deployment: string; t: number; values: number[] }
  >();
  const span = MAX_POINTS * opts.stepSeconds;
  for (const [i, feature] of FEATURE_NAMES.entries()) {
    const template = opts.queries?.[feature] ?? DEFAULT_FEATURE_QUERIES[feature];
    const query = renderQuery(template, scope);
    for (let start = opts.from; start <= opts.to; start += span + opts.stepSeconds) {
      const end = Math.min(opts.to, start + span);
      for (const series of await queryRange(opts, feature, query, start, end)) {
        const namespace = series.metric?.namespace ?? '';
        const deployment = series.metric?.deployment ?? '';
        for (const [ts, raw] of series.values ?? []) {
          const key = `${namespace}\u0000${deployment}\u0000${ts}`;
          let row = table.get(key);
          if (!row) {
            row = {
              namespace,
              deployment,
              t: Number(ts),
              values: new Array<number>(FEATURES.length).fill(NaN),
            };
            table.set(key, row);
          }
          row.values[i] = Number(raw);
        }
      }
    }
  }
  const dropped = { missingRequired: 0, outOfRange: 0 };
  const out: { features: number[]; label: 0 | 1; extra: Record<string, string> }[] = [];
  const sorted = [...table.values()].sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) ||
      a.deployment.localeCompare(b.deployment) ||
      a.t - b.t,
  );
  for (const row of sorted) {
    if (FEATURES.some((f, i) => f.required && !Number.isFinite(row.values[i]))) {
      dropped.missingRequired++;
      continue;
    }
    if (
      FEATURES.some(
        (f, i) =>
          Number.isFinite(row.values[i]) &&
          ((row.values[i] as number) < f.min || (row.values[i] as number) > f.max),
      )
    ) {
      dropped.outOfRange++;
      continue;
    }
    out.push({
      features: row.values.map((v) => (Number.isFinite(v) ? v : NaN)),
      label: labelOf(opts.incidents, row.namespace, row.deployment, row.t),
      extra: {
        timestamp: new Date(row.t * 1000).toISOString(),
        namespace: row.namespace,
        deployment: row.deployment,
      },
    });
  }
  const series = new Set(sorted.map((r) => `${r.namespace}/${r.deployment}`)).size;
  return {
    csv: formatTrainingCsv(out, ['timestamp', 'namespace', 'deployment']),
    rows: out.length,
    positives: out.reduce((a, r) => a + r.label, 0),
    dropped,
    series,
  };
}
