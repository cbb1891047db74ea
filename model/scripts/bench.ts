/**
 * Model benchmark, results in bench/results/<date>-model.json at the repository root:
 *
 * 1. `predict` with explanations for 1 row and for 10,000 rows, rows as the healer sends them
 *    (every feature and a baseline for every signal): as prediction objects (`predict`), as the
 *    flat ScoredBatch the backend's /predict uses (`score`, every row fully explained; also on the
 *    rows parsed from JSON, as /predict receives them), and `score` plus every row written as
 *    JSON text (what /predict sends); the same rows, measured in alternating rounds in one run,
 *    wall clock and this process's CPU time per call;
 * 2. replay of one day × 50 deployments at 1-minute steps (72,000 rows): read the file, replay,
 *    write the output — the `npm run replay` path;
 * 3. the streaming export of 50 deployments × 14 days at 30 s (2 million rows) from a fake
 *    Prometheus in this process, run as a child process whose peak RSS is read from /proc.
 *
 *   npm run bench -w model [-- --skip-export] [--compare OTHER/model/dist]
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Predictor } from '../src/predictor.js';
import type { FeatureInput } from '../src/schema.js';
import { Rng } from '../src/rng.js';
import { DeploymentHistory } from '../src/features/tracker.js';
import { formatReplayOutput, replay } from '../src/replay/replay.js';
import { readReplayFile } from '../src/cli/replayCli.js';
import { writeColumns } from '../src/scoring/columns.js';
import { deploymentRows, writeBenchDay } from './benchRows.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const { values: args } = parseArgs({
  options: {
    'skip-export': { type: 'boolean', default: false },
    // Another build of this package's dist (e.g. main's, copied aside): its `score` runs in the
    // same alternating rounds as this one's, on the same rows, and its answers are compared.
    compare: { type: 'string' },
  },
});

interface Timing {
  medianUs: number;
  p95Us: number;
  minUs: number;
  /** CPU time of this process per call (user + system): less swayed by other work on the box. */
  cpuMedianUs: number;
  cpuMinUs: number;
}

/** Times `fn` in `rounds` rounds of `reps` calls; per-call statistics in microseconds. */
function measure(fn: () => void, reps: number, rounds: number): Timing {
  for (let i = 0; i < Math.max(3, rounds / 5); i++) for (let r = 0; r < reps; r++) fn();
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1000 / reps);
    const dc = process.cpuUsage(c);
    cpu.push((dc.user + dc.system) / reps);
  }
  samples.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const at = (xs: number[], q: number): number =>
    xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;
  return {
    medianUs: at(samples, 0.5),
    p95Us: at(samples, 0.95),
    minUs: at(samples, 0),
    cpuMedianUs: at(cpu, 0.5),
    cpuMinUs: at(cpu, 0),
  };
}

/** Several functions timed in alternating rounds, so a noisy neighbour hits each about equally. */
function measureSideBySide(
  fns: Record<string, () => void>,
  rounds: number,
): Record<string, Timing> {
  const names = Object.keys(fns);
  const parts: Record<string, Timing[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) measure(fns[n]!, 1, 3); // warm-up
  for (let i = 0; i < rounds; i++) for (const n of names) parts[n]!.push(measure(fns[n]!, 1, 1));
  const out: Record<string, Timing> = {};
  for (const n of names) {
    const xs = parts[n]!;
    const pick = (f: (t: Timing) => number, q: number): number => {
      const v = xs.map(f).sort((a, b) => a - b);
      return v[Math.min(v.length - 1, Math.floor(q * v.length))] as number;
    };
    out[n] = {
      medianUs: pick((t) => t.medianUs, 0.5),
      p95Us: pick((t) => t.medianUs, 0.95),
      minUs: pick((t) => t.minUs, 0),
      cpuMedianUs: pick((t) => t.cpuMedianUs, 0.5),
      cpuMinUs: pick((t) => t.cpuMinUs, 0),
    };
  }
  return out;
}

/** A timing in milliseconds, for the 10,000-row figures. */
function ms(t: Timing): Record<string, number> {
  const r = (x: number): number => Math.round(x) / 1000;
  return {
    median: r(t.medianUs),
    p95: r(t.p95Us),
    min: r(t.minUs),
    cpuMedian: r(t.cpuMedianUs),
    cpuMin: r(t.cpuMinUs),
  };
}

const predictor = await Predictor.load({ engine: 'cpu' });

// 1. predict, with a baseline for every signal (the healer's rows).
const rng = new Rng(7);
const history = new DeploymentHistory();
const healerRows: FeatureInput[] = [];
for (const r of deploymentRows(rng, 240, 60, 1_700_000_000)) {
  history.observe(r.t, r.values);
  healerRows.push({ ...(r.values as FeatureInput), baseline: history.context(r.t) });
}
const many = Array.from({ length: 10_000 }, (_, i) => healerRows[120 + (i % 120)] as FeatureInput);
// The same rows as POST /predict hands them to score(): parsed from a JSON body, 10,000 objects
// sharing one hidden class. (`many` repeats 120 objects built by spread, each its own hidden
// class: every property read of a row is megamorphic there, which a parsed body never is.)
const parsed = JSON.parse(JSON.stringify(many)) as FeatureInput[];
const one = [healerRows[200] as FeatureInput];
const loadBefore = os.loadavg()[0];
const single = measure(() => predictor.predict(one), 1000, 200);
let jsonBytes = 0;
let columnBytes = 0;
// The other build, when given: its own Predictor class, loading the same committed artifact.
const other =
  args.compare === undefined
    ? undefined
    : await (
        (await import(pathToFileURL(path.resolve(args.compare, 'src', 'predictor.js')).href)) as {
          Predictor: typeof Predictor;
        }
      ).Predictor.load({ engine: 'cpu' });
let compared: Record<string, unknown> | undefined;
if (other !== undefined) {
  const a = other.score(parsed);
  const b = predictor.score(parsed);
  let numbers = 0;
  for (let i = 0; i < a.numbers.length; i++) if (!Object.is(a.numbers[i], b.numbers[i])) numbers++;
  let json = 0;
  for (let r = 0; r < a.length; r++) if (a.json(r) !== b.json(r)) json++;
  compared = { dist: args.compare, numbersDiffering: numbers, jsonRowsDiffering: json };
}
const tenK = measureSideBySide(
  {
    objects: () => void predictor.predict(many),
    flat: () => void predictor.score(many),
    flatParsed: () => void predictor.score(parsed),
    json: () => {
      const scored = predictor.score(many);
      jsonBytes = 0;
      for (let r = 0; r < scored.length; r++) jsonBytes += scored.json(r).length;
    },
    columns: () => {
      columnBytes = writeColumns(predictor.score(parsed)).length;
    },
    riskOnly: () => {
      for (const r of many) predictor.risk(r);
    },
    ...(other === undefined ? {} : { flatParsedOther: () => void other.score(parsed) }),
  },
  30,
);

// 2. replay of one day × 50 deployments at 1-minute steps, through the CLI's read/replay/write.
const tmp = await mkdtemp(path.join(os.tmpdir(), 'aiops-bench-model-'));
const dayFile = path.join(tmp, 'day.csv');
await writeBenchDay(dayFile, 50, 60);
const replayRuns: number[] = [];
let replayRows = 0;
let episodes = 0;
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const table = await readReplayFile(dayFile);
  const result = replay(table, predictor);
  const sink = createWriteStream(path.join(tmp, 'out.csv'));
  for (const piece of formatReplayOutput(table, result))
    if (!sink.write(piece)) await once(sink, 'drain');
  sink.end();
  await once(sink, 'finish');
  replayRuns.push((performance.now() - t0) / 1000);
  replayRows = table.rows;
  episodes = result.episodes.length;
}
replayRuns.sort((a, b) => a - b);

// 3. the streaming export, 50 deployments × 14 days at 30 s, in a child process.
let exportResult: Record<string, unknown> = { skipped: true };
if (!args['skip-export']) {
  const deployments = Array.from({ length: 50 }, (_, d) => `deploy-${d}`);
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const p = new URLSearchParams(body);
      const start = Number(p.get('start'));
      const end = Number(p.get('end'));
      const step = Number(p.get('step'));
      const query = p.get('query') ?? '';
      const isLabel = query.includes('ALERTS') || query.includes('CrashLoopBackOff');
      res.setHeader('content-type', 'application/json');
      res.write('{"status":"success","data":{"resultType":"matrix","result":[');
      deployments.forEach((deployment, d) => {
        if (isLabel && d % 10 !== 0) return;
        let s = `${d === 0 || (isLabel && d === 0) ? '' : ','}{"metric":{"namespace":"bench","deployment":"${deployment}"},"values":[`;
        let first = true;
        for (let t = start; t <= end; t += step) {
          const v = isLabel
            ? Math.floor(t / 3600) % 24 === d % 24
              ? 1
              : 0
            : ((t / step + d) % 97) / 97;
          s += `${first ? '' : ','}[${t},"${v}"]`;
          first = false;
        }
        res.write(s + ']}');
      });
      res.end(']}}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const outFile = path.join(tmp, 'export.csv');
  const from = 1_700_000_000;
  const to = from + 14 * 86_400 - 30;
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(HERE, 'export.ts'),
      '--prometheus',
      `http://127.0.0.1:${port}`,
      '--namespace',
      'bench',
      '--from',
      String(from),
      '--to',
      String(to),
      '--step',
      '30s',
      '--out',
      outFile,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: path.resolve(HERE, '..'),
      env: { ...process.env, INIT_CWD: tmp },
    },
  );
  let peakKb = 0;
  const poll = setInterval(() => {
    void readFile(`/proc/${child.pid}/status`, 'utf8')
      .then((s) => {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(s);
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      })
      .catch(() => undefined);
  }, 100);
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(poll);
  server.close();
  exportResult = {
    deployments: 50,
    days: 14,
    stepSeconds: 30,
    exitCode: code,
    seconds: (performance.now() - t0) / 1000,
    peakRssMb: peakKb / 1024,
    fileMb: (await stat(outFile).catch(() => ({ size: 0 }))).size / 2 ** 20,
    output: output.trim().split('\n').slice(-2).join(' '),
    budgetMb: 1024,
  };
}
await rm(tmp, { recursive: true, force: true });

const result = {
  benchmark: 'model',
  date: new Date().toISOString(),
  model: predictor.version,
  node: process.version,
  cpus: os.cpus().length,
  loadAverage1m: { before: loadBefore, after: os.loadavg()[0] },
  predictOneRowUs: single,
  predict10kRowsWithExplanationsMs: ms(tenK.objects!),
  score10kRowsWithExplanationsMs: ms(tenK.flat!),
  score10kParsedRowsWithExplanationsMs: ms(tenK.flatParsed!),
  score10kRowsWithExplanationsAsJsonMs: { ...ms(tenK.json!), jsonMb: jsonBytes / 2 ** 20 },
  score10kParsedRowsAsColumnsMs: { ...ms(tenK.columns!), columnsMb: columnBytes / 2 ** 20 },
  risk10kRowsWithoutExplanationsMs: ms(tenK.riskOnly!),
  ...(compared === undefined
    ? {}
    : {
        compare: {
          ...compared,
          score10kParsedRowsWithExplanationsMs: ms(tenK.flatParsedOther!),
          note: 'the other build (--compare) timed in the same alternating rounds as flatParsed, on the same rows; numbersDiffering / jsonRowsDiffering: its ScoredBatch and JSON against this build (0: bit-identical)',
        },
      }),
  tenKNote:
    'the same 10,000 healer rows (every feature, a baseline for every signal), every row explained in full (13 contributions), timed in 30 alternating rounds: objects = predict() building prediction objects; flat = score() into a ScoredBatch (what POST /predict computes); flatParsed = the same on the rows parsed from JSON, as POST /predict receives them (flat rows are 120 objects built by object spread, each its own hidden class, which makes every read of a row megamorphic); json = score() plus every row written as JSON text (what POST /predict sends); columns = score() of the parsed rows plus the compact columnar answer written as bytes (what POST /predict?format=columns sends, as the healer asks); riskOnly = risk() per row, no explanation (replay)',
  replayOneDay50Deployments: {
    rows: replayRows,
    episodes,
    seconds: { median: replayRuns[1], min: replayRuns[0], max: replayRuns[2] },
  },
  export50Deployments14Days: exportResult,
  budget: { predict10kRowsMs: 50, replaySeconds: 10, exportPeakRssMb: 1024 },
  note: "wall clock on a shared 2-core machine; loadAverage1m shows how busy it was, which inflates medians (minimums are closest to the uncontended cost); cpu* is this process's CPU time per call, less swayed by neighbours",
};
predictor.dispose();
other?.dispose();
const dir = path.join(ROOT, 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = path.join(dir, `${result.date.slice(0, 10)}-model.json`);
await writeFile(file, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file}`);
