import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import {
  DEFAULT_ALERTS,
  ExportError,
  LabelSourceError,
  exportHistory,
  parseDuration,
  parseHealerEvents,
  parseIncidents,
  parseTime,
  type Incident,
} from '../export/prometheusExport.js';

export interface ExportCliOptions {
  prometheus?: string;
  namespace?: string;
  deployment?: string;
  from?: string;
  to?: string;
  step?: string;
  window?: string;
  out?: string;
  /** Alert selector, or `none`. */
  alerts?: string;
  /** `none` turns the kube-state-metrics terminations off. */
  terminations?: string;
  /** `kubectl get events -A -o json` output: the healer's own Events. */
  events?: string;
  /** Optional hand-written incidents (deployment,start,end). */
  incidents?: string;
  /** A p95 objective (seconds) for the SLO-breach labels. */
  sloP95?: string;
  chunk?: string;
}

export const EXPORT_USAGE =
  'usage: npm run export -w model -- --prometheus URL --namespace REGEX [--deployment REGEX] --from TIME --to TIME ' +
  '[--step 30s] [--window 2m] --out my.csv [--alerts SELECTOR|none] [--terminations none] [--events events.json] ' +
  '[--incidents incidents.csv] [--slo-p95 SECONDS] [--chunk 6h]   (TIME: ISO 8601, UTC when no zone is written, or an epoch number)';

/** The `export` command; returns the process exit code. */
export async function main(
  opts: ExportCliOptions,
  log: (line: string) => void = console.log,
): Promise<number> {
  const problems: string[] = [];
  for (const k of ['prometheus', 'namespace', 'from', 'to', 'out'] as const)
    if (!opts[k]) problems.push(`--${k} is required`);
  let prometheusUrl = '';
  if (opts.prometheus) {
    try {
      prometheusUrl = new URL(opts.prometheus).toString();
    } catch (_err) {
      problems.push(`--prometheus "${opts.prometheus}" is not a URL`);
    }
  }
  const from = opts.from ? parseTime(opts.from) : undefined;
  const to = opts.to ? parseTime(opts.to) : undefined;
  if (opts.from && from === undefined)
    problems.push(`--from "${opts.from}" is not an ISO 8601 time or an epoch number`);
  if (opts.to && to === undefined)
    problems.push(`--to "${opts.to}" is not an ISO 8601 time or an epoch number`);
  if (from !== undefined && to !== undefined && to <= from)
    problems.push('--to must be after --from');
  const step = parseDuration(opts.step ?? '30s');
  if (step === undefined) problems.push(`--step "${opts.step}" is not a duration like 30s or 1m`);
  const window = opts.window ?? '2m';
  if (parseDuration(window) === undefined)
    problems.push(`--window "${window}" is not a duration like 2m`);
  const chunk = parseDuration(opts.chunk ?? '6h');
  if (chunk === undefined) problems.push(`--chunk "${opts.chunk}" is not a duration like 6h`);
  const sloP95 = opts.sloP95 === undefined ? undefined : Number(opts.sloP95);
  if (sloP95 !== undefined && !(sloP95 > 0))
    problems.push(`--slo-p95 "${opts.sloP95}" must be a positive number of seconds`);
  if (problems.length > 0) {
    for (const p of problems) log(p);
    log(EXPORT_USAGE);
    return 2;
  }
  const incidents: Incident[] = [];
  for (const [file, parse] of [
    [opts.events, parseHealerEvents],
    [opts.incidents, parseIncidents],
  ] as const) {
    if (!file) continue;
    try {
      incidents.push(...parse(await readFile(file, 'utf8')));
    } catch (err) {
      if (err instanceof LabelSourceError) {
        log(`${file}: ${err.message}`);
        return 1;
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        log(`cannot read ${file}`);
        return 1;
      }
      throw err;
    }
  }
  const out = createWriteStream(opts.out as string);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    const r = await exportHistory({
      prometheusUrl,
      namespace: opts.namespace as string,
      deployment: opts.deployment ?? '.+',
      from: from as number,
      to: to as number,
      stepSeconds: step as number,
      window,
      chunkSeconds: chunk,
      labels: {
        alerts: opts.alerts === 'none' ? null : (opts.alerts ?? DEFAULT_ALERTS),
        terminations: opts.terminations !== 'none',
        slo: {
          maxErrorRate: 0.05,
          minReadyRatio: 0.5,
          ...(sloP95 !== undefined ? { maxP95Seconds: sloP95 } : {}),
        },
        incidents,
      },
      write,
    });
    out.end();
    await once(out, 'finish');
    const sources = Object.entries(r.bySource)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    log(
      `wrote ${opts.out}: ${r.rows} rows (${r.positives} labelled 1${sources ? `: ${sources}` : ''}) from ${r.deployments} deployments ` +
        `in ${r.chunks} chunks (${r.queries} range queries); ${r.dropped.outOfRangeCells} cells out of range left empty, ` +
        `${r.dropped.rowsWithoutRequired} rows without any required feature skipped`,
    );
    return r.rows > 0 ? 0 : 1;
  } catch (err) {
    out.destroy();
    if (err instanceof ExportError) {
      log(`export failed: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
