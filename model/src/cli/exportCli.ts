import { readFile, writeFile } from 'node:fs/promises';
import { CsvError } from '../data/csv.js';
import {
  ExportError,
  exportTrainingCsv,
  parseDuration,
  parseIncidents,
  parseTime,
} from '../export/prometheusExport.js';

export interface ExportCliOptions {
  prometheus?: string;
  namespace?: string;
  deployment?: string;
  from?: string;
  to?: string;
  step?: string;
  window?: string;
  incidents?: string;
  out?: string;
}

export const EXPORT_USAGE =
  'usage: npm run export -w model -- --prometheus URL --namespace REGEX [--deployment REGEX] --from TIME --to TIME ' +
  '[--step 30s] [--window 2m] --incidents incidents.csv --out my.csv   (TIME: ISO 8601 or unix seconds)';

/** The `export` command; returns the process exit code. */
export async function main(
  opts: ExportCliOptions,
  log: (line: string) => void = console.log,
): Promise<number> {
  const problems: string[] = [];
  for (const k of ['prometheus', 'namespace', 'from', 'to', 'incidents', 'out'] as const) {
    if (!opts[k]) problems.push(`--${k} is required`);
  }
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
    problems.push(`--from "${opts.from}" is not an ISO 8601 time or unix seconds`);
  if (opts.to && to === undefined)
    problems.push(`--to "${opts.to}" is not an ISO 8601 time or unix seconds`);
  if (from !== undefined && to !== undefined && to <= from)
    problems.push('--to must be after --from');
  const step = parseDuration(opts.step ?? '30s');
  if (step === undefined) problems.push(`--step "${opts.step}" is not a duration like 30s or 1m`);
  const window = opts.window ?? '2m';
  if (parseDuration(window) === undefined)
    problems.push(`--window "${window}" is not a duration like 2m`);
  if (problems.length > 0) {
    for (const p of problems) log(p);
    log(EXPORT_USAGE);
    return 2;
  }
  try {
    const incidents = parseIncidents(await readFile(opts.incidents as string, 'utf8'));
    const result = await exportTrainingCsv({
      prometheusUrl,
      namespace: opts.namespace as string,
      deployment: opts.deployment ?? '.+',
      from: from as number,
      to: to as number,
      stepSeconds: step as number,
      window,
      incidents,
    });
    await writeFile(opts.out as string, result.csv);
    log(
      `wrote ${opts.out}: ${result.rows} rows (${result.positives} labelled 1) from ${result.series} deployments; ` +
        `dropped ${result.dropped.missingRequired} without a required feature, ${result.dropped.outOfRange} out of range`,
    );
    return result.rows > 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof CsvError) {
      log(`${opts.incidents}: ${err.message}`);
      return 1;
    }
    if (err instanceof ExportError) {
      log(`export failed: ${err.message}`);
      return 1;
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      log(`cannot read ${(err as NodeJS.ErrnoException).path}`);
      return 1;
    }
    throw err;
  }
}
