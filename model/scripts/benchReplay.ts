/**
 * Replay of a stranger-sized file: one day × 50 deployments at 10-second steps (432,000 rows, the
 * densest step exporters commonly write), through the replay command as a child process — read,
 * replay, write — its wall clock and peak RSS read by /usr/bin/time. With `--compare OTHER/model`
 * (another build, e.g. /work/base/model) that build's command replays the same file in alternating
 * rounds of the same run. Results in bench/results/<date>-model-replay10s.json.
 *
 *   npx tsc -b model && npx tsx model/scripts/benchReplay.ts [--compare /work/base/model] [--rounds 2]
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { writeBenchDay } from './benchRows.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODEL = path.resolve(HERE, '..');
const ROOT = path.resolve(MODEL, '..');
const { values: args } = parseArgs({
  options: { compare: { type: 'string' }, rounds: { type: 'string', default: '2' } },
});
const DEPLOYMENTS = 50;
const STEP_SECONDS = 10;

const tmp = await mkdtemp(path.join(os.tmpdir(), 'aiops-bench-replay-'));
const file = path.join(tmp, 'day-10s.csv');
await writeBenchDay(file, DEPLOYMENTS, STEP_SECONDS);

interface Run {
  seconds: number;
  peakRssMb: number;
  summary: string;
}

/** One replay by the build in `modelDir` (its compiled dist), timed by /usr/bin/time. */
async function run(modelDir: string): Promise<Run> {
  const { stderr, stdout } = await promisify(execFile)(
    '/usr/bin/time',
    [
      '-f',
      'TIME %e %M',
      process.execPath,
      path.join(modelDir, 'dist', 'scripts', 'replay.js'),
      '--csv',
      file,
      '--out',
      path.join(tmp, 'out.csv'),
    ],
    { cwd: modelDir, maxBuffer: 64 * 2 ** 20 },
  );
  const m = /TIME ([\d.]+) (\d+)/.exec(stderr);
  if (!m) throw new Error(`no timing in: ${stderr}`);
  return {
    seconds: Number(m[1]),
    peakRssMb: Math.round(Number(m[2]) / 102.4) / 10,
    summary: (/replayed [^\n]*/.exec(stdout) ?? [''])[0].slice(0, 240),
  };
}

const builds: Record<string, string> = {
  this: MODEL,
  ...(args.compare ? { other: path.resolve(args.compare) } : {}),
};
const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(builds).map((b) => [b, []]));
const loadBefore = os.loadavg()[0];
for (let i = 0; i < Number(args.rounds); i++) {
  for (const [name, dir] of Object.entries(builds)) runs[name]!.push(await run(dir));
}
const fileMb = (await stat(file)).size / 2 ** 20;
await rm(tmp, { recursive: true, force: true });

const summarise = (xs: Run[]): Record<string, unknown> => ({
  secondsMin: Math.min(...xs.map((x) => x.seconds)),
  secondsMax: Math.max(...xs.map((x) => x.seconds)),
  peakRssMbMax: Math.max(...xs.map((x) => x.peakRssMb)),
  runs: xs,
});
const result = {
  benchmark: 'model-replay10s',
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  loadAverage1m: { before: loadBefore, after: os.loadavg()[0] },
  file: {
    deployments: DEPLOYMENTS,
    stepSeconds: STEP_SECONDS,
    rows: (DEPLOYMENTS * 1440 * 60) / STEP_SECONDS,
    mb: Math.round(fileMb * 10) / 10,
  },
  this: summarise(runs.this!),
  ...(args.compare ? { other: { dir: args.compare, ...summarise(runs.other!) } } : {}),
  note: 'npm run replay end to end (node start, model load, read, replay, write) as a child process, the builds alternating in one run; wall clock and peak RSS from /usr/bin/time on a shared 2-core machine (loadAverage1m says how busy)',
};
const dir = path.join(ROOT, 'bench', 'results');
await mkdir(dir, { recursive: true });
const out = path.join(dir, `${result.date.slice(0, 10)}-model-replay10s.json`);
await writeFile(out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${out}`);
