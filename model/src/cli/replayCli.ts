import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import {
  ReplayCsvError,
  ReplayTableBuilder,
  tableNotes,
  type ReplayTable,
  type TableOptions,
} from '../replay/csv.js';
import { formatReplayOutput, replay, DEFAULT_CYCLE_SECONDS } from '../replay/replay.js';
import { DEFAULT_ENTRY_RULE, checkEntryRule, type EntryRule } from '../alerting/entryRule.js';
import { Predictor } from '../predictor.js';
import { ArtifactError } from '../artifact.js';

export interface ReplayCliOptions {
  csv?: string;
  out?: string;
  model?: string;
  high?: string;
  low?: string;
  enterCycles?: string;
  exitCycles?: string;
  cycleSeconds?: string;
  sloAvailability?: string;
  sloP95?: string;
  noSlo?: boolean;
  /** Refuse unknown columns and out-of-range values (default: leave them out, with a note). */
  strict?: boolean;
}

export const REPLAY_USAGE =
  'usage: npm run replay -w model -- --csv FILE [--out FILE] [--model DIR] [--high 0.8] [--low 0.5] ' +
  '[--enter-cycles 3] [--exit-cycles 3] [--cycle-seconds 30] [--slo-availability 0.999] [--slo-p95 SECONDS] [--no-slo] [--strict]';

/** Reads a replay file line by line. */
export async function readReplayFile(file: string, opts: TableOptions = {}): Promise<ReplayTable> {
  const b = new ReplayTableBuilder(opts);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) b.push(line);
  return b.finish();
}

const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** The `replay` command; returns the process exit code. */
export async function main(
  opts: ReplayCliOptions,
  io: { log: (line: string) => void; stdout: Writable; warn?: (line: string) => void } = {
    log: console.log,
    stdout: process.stdout,
  },
): Promise<number> {
  // Notes about the input go to stderr, whichever stream the CSV and the summary take.
  const warn = io.warn ?? ((line: string) => void process.stderr.write(line + '\n'));
  const problems: string[] = [];
  if (!opts.csv) problems.push('--csv is required');
  const num = (name: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const x = Number(v);
    if (!Number.isFinite(x)) problems.push(`--${name} "${v}" is not a number`);
    return x;
  };
  const rule: EntryRule = {
    high: num('high', opts.high, DEFAULT_ENTRY_RULE.high),
    low: num('low', opts.low, DEFAULT_ENTRY_RULE.low),
    enterCycles: num('enter-cycles', opts.enterCycles, DEFAULT_ENTRY_RULE.enterCycles),
    exitCycles: num('exit-cycles', opts.exitCycles, DEFAULT_ENTRY_RULE.exitCycles),
  };
  try {
    checkEntryRule(rule);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const cycleSeconds = num('cycle-seconds', opts.cycleSeconds, DEFAULT_CYCLE_SECONDS);
  if (!(cycleSeconds >= 0)) problems.push('--cycle-seconds must be ≥ 0 (0: one cycle per row)');
  const availability =
    opts.sloAvailability === undefined
      ? undefined
      : num('slo-availability', opts.sloAvailability, NaN);
  if (availability !== undefined && !(availability >= 0.5 && availability < 1)) {
    problems.push('--slo-availability must be an objective between 0.5 and 1, e.g. 0.999');
  }
  const p95 = opts.sloP95 === undefined ? undefined : num('slo-p95', opts.sloP95, NaN);
  if (p95 !== undefined && !(p95 > 0))
    problems.push('--slo-p95 must be a positive number of seconds');
  if (problems.length > 0) {
    for (const p of problems) io.log(p);
    io.log(REPLAY_USAGE);
    return 2;
  }
  let table: ReplayTable;
  try {
    table = await readReplayFile(opts.csv as string, { strict: opts.strict === true });
  } catch (err) {
    if (err instanceof ReplayCsvError) {
      io.log(`${opts.csv}: ${err.message}`);
      return 1;
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.log(`cannot read ${opts.csv}`);
      return 1;
    }
    throw err;
  }
  for (const note of tableNotes(table)) warn(`${opts.csv}: note: ${note} (--strict refuses them)`);
  let predictor: Predictor;
  try {
    predictor = await Predictor.load({
      ...(opts.model ? { dir: path.resolve(opts.model) } : {}),
      engine: 'cpu',
    });
  } catch (err) {
    if (err instanceof ArtifactError) {
      io.log(err.message);
      return 1;
    }
    throw err;
  }
  try {
    const t0 = performance.now();
    const result = replay(table, predictor, {
      rule,
      cycleSeconds,
      slo: {
        ...(availability !== undefined ? { availability } : {}),
        ...(p95 !== undefined ? { latency_p95_seconds: p95 } : {}),
      },
      sloLayer: opts.noSlo !== true,
    });
    const ms = performance.now() - t0;
    // The CSV goes to --out, or to stdout with the summary on stderr.
    const sink: Writable = opts.out ? createWriteStream(opts.out) : io.stdout;
    const say = opts.out ? io.log : (line: string) => process.stderr.write(line + '\n');
    for (const piece of formatReplayOutput(table, result)) {
      if (!sink.write(piece)) await once(sink, 'drain');
    }
    if (opts.out) {
      sink.end();
      await once(sink, 'finish');
    }
    const atRiskRows = result.atRisk.reduce((a, b) => a + b, 0);
    say(
      `replayed ${result.rows} rows of ${result.deployments} deployments in ${(ms / 1000).toFixed(2)} s with ${predictor.version} ` +
        `(entry: risk ≥ ${rule.high} for ${rule.enterCycles} cycles, exit: < ${rule.low} for ${rule.exitCycles}; ` +
        `${cycleSeconds > 0 ? `a cycle every ${cycleSeconds} s` : 'one cycle per row'}; ` +
        `SLO layer: ${availability !== undefined || p95 !== undefined ? `availability ${availability ?? '–'}, p95 ${p95 ?? '–'} s` : 'no objective given'}): ${atRiskRows} rows at risk, ` +
        `${result.episodes.length} episodes, ${result.inconclusiveRows} rows inconclusive` +
        (result.imputedRequired > 0
          ? `, ${result.imputedRequired} missing required cells filled at their normal`
          : '') +
        (opts.out ? `; wrote ${opts.out}` : ''),
    );
    if (result.repeatedRows > 0) {
      warn(
        `${opts.csv}: note: ${result.repeatedRows} rows repeat the timestamp, namespace and deployment of an earlier row: ` +
          `merged with it into one observation (${result.conflictingCells} cells differed; the later row's value kept)`,
      );
    }
    for (const e of result.episodes) {
      say(
        `episode ${e.namespace}/${e.deployment} ${iso(e.start)} → ${iso(e.end)} (${e.rows} rows) peak ${e.peakRisk.toFixed(2)} ` +
          `by the ${e.layer} layer; top: ${e.topFeatures.join(', ') || '–'}`,
      );
    }
    return 0;
  } finally {
    predictor.dispose();
  }
}
