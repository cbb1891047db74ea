/**
 * `npm run bench -w backend`: one run on loopback with one load generator (wrk) and one body.
 *  1. bare node:http ceiling, 2. Express floor, 3. the backend: single-object POST /predict at
 *  64 connections; then 4. batches of 1,000 and 10,000 instances against the backend, timed by
 *  the server (`elapsed_ms`) and by the client (round trip); then 5. the scoring paths side by
 *  side: a backend scoring on the main thread alone (SCORING_THREADS=1) and one with its scoring
 *  threads (SCORING_THREADS=BENCH_THREADS or auto, every batch pooled), requests alternating,
 *  batches of 250 … 5,000 rows and the 10,000-row columnar-answer batches (with and without
 *  baselines) in both request bodies, and the 10,000 rows with `?explain=3`; the server's split
 *  includes writing the answer.
 *  Writes bench/results/<date>-<BENCH_NAME or backend>.json at the repository root and prints a
 *  table with ratios.
 *
 * Env: BENCH_DURATION (seconds per load run, default 6), BENCH_ROUNDS (alternating rounds per
 * server, median reported, default 5), BENCH_CONNECTIONS (default 64),
 * BENCH_BATCH_RUNS (timed requests per batch size, default 30), BENCH_THREADS (the pooled
 * backend's SCORING_THREADS, default auto), BENCH_BASELINE_DIR (the `backend/` folder of another
 * build, e.g. main's: its in-thread and pooled backends join the side-by-side batches, requests
 * alternating with this build's, and must answer the same bytes), BENCH_NODE_FLAGS and
 * BENCH_BASELINE_NODE_FLAGS (node flags of this build's and the other build's backends, e.g.
 * `--max-semi-space-size=32`; default none).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BASELINE_FEATURES,
  FEATURES,
  ORIGINAL_HEALTHY_EXAMPLE,
  type FeatureInput,
  columnarRequestOf,
} from '@aiops/model';

const here = path.dirname(fileURLToPath(import.meta.url));
const backendDir = path.resolve(here, '..', '..'); // dist/scripts → backend
const repoRoot = path.resolve(backendDir, '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const BATCH_RUNS = Number(process.env.BENCH_BATCH_RUNS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const flagsOf = (v: string | undefined): string[] => (v ?? '').split(' ').filter(Boolean);
const NODE_FLAGS = flagsOf(process.env.BENCH_NODE_FLAGS);
const BASELINE_NODE_FLAGS = flagsOf(process.env.BENCH_BASELINE_NODE_FLAGS);
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

interface LoadResult {
  name: string;
  requestsPerSec: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number };
  requests: number;
  errors: number;
  /** Server process CPU time per request, in microseconds. */
  serverCpuUsPerRequest: number;
}

type RequestForm = 'rows' | 'columns';

interface BatchResult {
  instances: number;
  /** The `?explain=` sent: all contributions, or the top N. */
  explain: string;
  /** Whether every row carried a baseline for every signal (as the healer sends after an hour). */
  context: boolean;
  /** `?format=`: prediction objects (default) or the compact columnar answer the healer asks for. */
  format: 'objects' | 'columns';
  /**
   * The request body: one object per row (`{"instances": [...]}`) or one array per feature and
   * baseline statistic (`{"columns": {...}, "baseline": {...}}`, what the healer sends).
   */
  request: RequestForm;
  /**
   * The backend that answered: `in-thread` (SCORING_THREADS=1, the main thread alone) or
   * `pooled` (the scoring threads; `threads` of them), side by side in the same run.
   */
  path: string;
  threads: number;
  answerBytes: number;
  bodyBytes: number;
  serverMs: { median: number; p95: number; max: number };
  /**
   * Medians of the server's own split of `serverMs` (its Server-Timing header): receiving and
   * parsing the body, validating it, scoring.
   */
  serverPhasesMs: { body: number; validate: number; score: number; write: number };
  /**
   * Median of body + validate + score + write per request: from the request's arrival until the
   * whole answer is written and handed to the socket (what `elapsed_ms` leaves out: writing it).
   */
  serverAnsweredMs: { median: number; p95: number; max: number };
  roundTripMs: { median: number; p95: number; max: number };
  /**
   * The server process's CPU time (every thread, from /proc) per request, mean over the timed
   * requests: what a request costs, whatever else the machine is doing. Pooling spends a little
   * more CPU than one thread; it saves wall time only where a core is free for the worker.
   */
  serverCpuMsPerRequest: number;
  instancesPerSec: number;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function requireWrk(): string {
  const r = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error('wrk is not installed: apt-get install wrk');
    process.exit(1);
  }
  return r.stdout.trim();
}

/** A deterministic pseudo-random generator (mulberry32), so every run sends the same bodies. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid rows spread over plausible values (every feature sent, like the healer does). */
function rows(n: number, seed: number): FeatureInput[] {
  const r = rng(seed);
  const plausibleMax: Record<string, number> = {
    restart_count_last_5m: 8,
    cpu_usage_pct: 150,
    memory_usage_bytes: 2e9,
    unavailable_replicas: 5,
    network_receive_bytes_per_s: 1e7,
    http_p95_latency_seconds: 5,
    http_requests_per_s: 2000,
  };
  return Array.from({ length: n }, () => {
    const row: Record<string, number> = {};
    for (const f of FEATURES) {
      const hi = Math.min(f.max, plausibleMax[f.name] ?? f.max);
      const lo = Math.max(f.min, -hi);
      const v = lo + r() * (hi - lo);
      row[f.name] = Math.round(v * 1000) / 1000;
    }
    return row as FeatureInput;
  });
}

/** The same rows, each with its own normal: a baseline for every signal, around its value. */
function rowsWithContext(n: number, seed: number): FeatureInput[] {
  const r = rng(seed + 1);
  return rows(n, seed).map((row) => {
    const baseline: Record<string, Record<string, number>> = {};
    for (const f of BASELINE_FEATURES) {
      const v = row[f] ?? 0;
      const spec = FEATURES.find((x) => x.name === f)!;
      const within = (x: number) => Math.min(spec.max, Math.max(spec.min, x));
      const p50 = within(v * (0.8 + 0.4 * r()));
      baseline[f] = {
        p10: within(p50 * 0.9),
        p50,
        p90: within(p50 * 1.1),
        recent: within(v),
        last_week: p50,
        slope: 0,
      };
    }
    return { ...row, baseline } as FeatureInput;
  });
}

/** Every server this bench started: killed by PID if the bench ends early (a failed request). */
const started: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(`[${name}] ${b.toString()}`));
  child.stdout?.resume();
  return child;
}

async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ORIGINAL_HEALTHY_EXAMPLE),
      });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

function parseMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

function runWrk(
  wrk: string,
  name: string,
  url: string,
  luaFile: string,
  seconds: number,
  pid: number,
): LoadResult {
  const cpu0 = cpuSeconds(pid);
  const r = spawnSync(
    wrk,
    ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', luaFile, url],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const cpu = cpuSeconds(pid) - cpu0;
  const out = r.stdout;
  const pct = (p: string): number =>
    parseMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = socket ? socket.slice(1).reduce((s, x) => s + Number(x), 0) : 0;
  return {
    name,
    requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    latencyMs: { p50: pct('50'), p75: pct('75'), p90: pct('90'), p99: pct('99') },
    requests,
    errors: non2xx + socketErrors,
    serverCpuUsPerRequest: Math.round((cpu / requests) * 1e6),
  };
}

/**
 * CPU time (user + system) a process has used, from /proc. CPU per request is far less
 * sensitive than req/s to other work on a shared machine.
 */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/**
 * One POST on its own connection (no pool: under heavy load fetch's pooled keep-alive sockets
 * were closed under a 16 MB upload, and the run died with EPIPE); the status and the body text.
 */
function postOnce(
  url: string,
  body: string,
): Promise<{ status: number; text: string; serverTiming: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            serverTiming: String(res.headers['server-timing'] ?? ''),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Times one batch configuration, once per request form in `requests`: the forms take turns
 * request by request (the order reversed every other turn), so each sees the same neighbours.
 */
/** A backend the batches are sent to: its name in the results and its URL. */
interface BatchTarget {
  path: string;
  threads: number;
  url: string;
  pid: number;
  /** The backend process, when started for the comparison. */
  child?: ChildProcess;
}

/**
 * Times one batch configuration on each target and in each request form in `requests`: every
 * (target, form) pair takes its turn request by request (the order reversed every other turn),
 * so each sees the same neighbours. Every pair must answer the same bytes.
 */
async function timeBatch(
  targets: readonly BatchTarget[],
  n: number,
  explain: string,
  context: boolean,
  format: 'objects' | 'columns',
  requests: readonly RequestForm[],
): Promise<BatchResult[]> {
  const instances = context ? rowsWithContext(n, n) : rows(n, n);
  const query = `?explain=${explain}${format === 'columns' ? '&format=columns' : ''}`;
  const bodies = new Map(
    requests.map((request) => [
      request,
      JSON.stringify(request === 'rows' ? { instances } : columnarRequestOf(instances)),
    ]),
  );
  const runs = targets.flatMap((target) =>
    requests.map((request) => ({
      target,
      request,
      body: bodies.get(request)!,
      answerBytes: 0,
      answers: new Set<string>(),
      server: [] as number[],
      answered: [] as number[],
      client: [] as number[],
      cpuSeconds: 0,
      phases: { body: [], validate: [], score: [], write: [] } as Record<
        'body' | 'validate' | 'score' | 'write',
        number[]
      >,
    })),
  );
  for (let i = 0; i < BATCH_RUNS + 5; i++) {
    for (const run of i % 2 === 0 ? runs : [...runs].reverse()) {
      const cpu0 = cpuSeconds(run.target.pid);
      const t0 = performance.now();
      const res = await postOnce(`${run.target.url}${query}`, run.body);
      // The round trip ends when the last byte arrives; parsing it is the client's cost.
      const t1 = performance.now();
      const cpu = cpuSeconds(run.target.pid) - cpu0;
      let answer: { predictions?: unknown[]; risk?: unknown[]; elapsed_ms?: number };
      try {
        answer = JSON.parse(res.text) as typeof answer;
      } catch {
        answer = {};
      }
      run.answerBytes = Buffer.byteLength(res.text);
      if (res.status !== 200 || (answer.predictions ?? answer.risk)?.length !== n) {
        throw new Error(`batch of ${n}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      }
      if (i === 0) run.answers.add(res.text.replace(/"elapsed_ms":[0-9.e+-]+/, ''));
      if (i >= 5) {
        run.server.push(answer.elapsed_ms ?? NaN);
        run.client.push(t1 - t0);
        run.cpuSeconds += cpu;
        let total = 0;
        for (const k of ['body', 'validate', 'score', 'write'] as const) {
          const m = new RegExp(`${k};dur=([\\d.]+)`).exec(res.serverTiming);
          // No write phase (NaN): the answer was streamed as it was written (objects, main thread).
          const v = m ? Number(m[1]) : NaN;
          run.phases[k].push(v);
          total += v;
        }
        run.answered.push(total);
      }
    }
  }
  // Every path and form carries the same rows: the answers must be the same bytes.
  const distinct = new Set(runs.flatMap((r) => [...r.answers]));
  if (distinct.size !== 1) throw new Error(`batch of ${n}: the answers differ between paths/forms`);
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return { median: r2(quantile(s, 0.5)), p95: r2(quantile(s, 0.95)), max: r2(s[s.length - 1]!) };
  };
  return runs.map((run) => {
    const serverMs = stats(run.server);
    return {
      instances: n,
      explain,
      context,
      format,
      request: run.request,
      path: run.target.path,
      threads: run.target.threads,
      bodyBytes: Buffer.byteLength(run.body),
      answerBytes: run.answerBytes,
      serverMs,
      serverPhasesMs: {
        body: stats(run.phases.body).median,
        validate: stats(run.phases.validate).median,
        score: stats(run.phases.score).median,
        write: stats(run.phases.write).median,
      },
      serverAnsweredMs: stats(run.answered),
      roundTripMs: stats(run.client),
      serverCpuMsPerRequest: Math.round((run.cpuSeconds / run.client.length) * 1e4) / 10,
      instancesPerSec: Math.round((n / serverMs.median) * 1000),
    };
  });
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

async function main(): Promise<void> {
  const wrk = requireWrk();
  const loadBefore = os.loadavg()[0]!;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'backend-bench-'));
  const body = JSON.stringify(ORIGINAL_HEALTHY_EXAMPLE);
  const lua = path.join(tmp, 'post.lua');
  writeFileSync(
    lua,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${body}]==]\n`,
  );
  const servers = path.join(backendDir, 'dist', 'scripts', 'benchServers.js');
  const mainJs = path.join(backendDir, 'dist', 'src', 'main.js');

  // The backend first: its real answer to the body is the constant the reference servers send.
  const port = await freePort();
  const backend = start('backend', [...NODE_FLAGS, mainJs], {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  const url = `http://127.0.0.1:${port}/predict`;
  await waitFor(url);
  const answer = (await (
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  ).json()) as Record<string, unknown>;
  const answerFile = path.join(tmp, 'answer.json');
  writeFileSync(answerFile, JSON.stringify(answer));

  // All three servers stay up; rounds alternate between them so a noisy neighbour on the
  // machine hits each about equally. Each server's median round is reported.
  const targets: { name: string; url: string; pid: number; child?: ChildProcess }[] = [];
  for (const kind of ['bare', 'floor'] as const) {
    const p = await freePort();
    const child = start(kind, [servers, kind, String(p), answerFile]);
    const u = `http://127.0.0.1:${p}/predict`;
    await waitFor(u);
    targets.push({
      name: kind === 'bare' ? 'node:http (ceiling)' : 'Express floor',
      url: u,
      pid: child.pid!,
      child,
    });
  }
  targets.push({ name: 'backend POST /predict', url, pid: backend.pid! });
  for (const t of targets) runWrk(wrk, t.name, t.url, lua, 3, t.pid); // warm-up (JIT, pools)
  const rounds: LoadResult[][] = targets.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    // Every other round in reverse order, so neither the floor nor the backend always runs first
    // (the Express floor and the backend stay next to each other either way).
    const order = r % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
    for (const i of order) {
      const t = targets[i]!;
      rounds[i]!.push(runWrk(wrk, t.name, t.url, lua, DURATION, t.pid));
    }
  }
  const load = rounds.map((rs) => {
    const sorted = [...rs].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const cpu = rs.map((x) => x.serverCpuUsPerRequest).sort((a, b) => a - b);
    return {
      ...median,
      serverCpuUsPerRequest: cpu[Math.floor(cpu.length / 2)]!,
      errors: rs.reduce((s, x) => s + x.errors, 0),
      rounds: rs.map((x) => ({
        requestsPerSec: Math.round(x.requestsPerSec),
        p99Ms: x.latencyMs.p99,
        serverCpuUsPerRequest: x.serverCpuUsPerRequest,
      })),
    };
  });
  for (const t of targets) if (t.child) await stop(t.child);

  const batches: BatchResult[] = [];
  const threadsOf = async (u: string): Promise<number> => {
    const text = await (await fetch(u.replace('/predict', '/metrics'))).text();
    return Number(/^scoring_threads (\d+)/m.exec(text)?.[1] ?? 1);
  };
  const defaults: BatchTarget = {
    path: 'default',
    threads: await threadsOf(url),
    url,
    pid: backend.pid!,
  };
  // The older batch table, on the backend with its defaults (SCORING_THREADS=auto).
  const rowsOnly = ['rows'] as const;
  for (const [n, explain, context, format] of [
    [1_000, 'all', false, 'objects'],
    [10_000, 'all', false, 'objects'],
    [1_000, '3', false, 'objects'],
    [10_000, '3', false, 'objects'],
    [10_000, 'all', true, 'objects'],
  ] as const) {
    console.log(
      `batch of ${n}, explain=${explain}${context ? ', with baselines' : ''}, ${format}…`,
    );
    batches.push(...(await timeBatch([defaults], n, explain, context, format, rowsOnly)));
  }
  const memory = rssMb(backend.pid!);
  await stop(backend);

  // The scoring paths side by side: one backend on the main thread alone, one with the scoring
  // threads (every batch pooled, to find where pooling starts to pay), requests alternating.
  const sideBySide: BatchTarget[] = [];
  const baselineDir = process.env.BENCH_BASELINE_DIR;
  const builds = [{ prefix: '', args: [...NODE_FLAGS, mainJs] }];
  if (baselineDir) {
    builds.push({
      prefix: 'baseline ',
      args: [
        ...BASELINE_NODE_FLAGS,
        path.join(path.resolve(baselineDir), 'dist', 'src', 'main.js'),
      ],
    });
  }
  for (const [args, path, env] of builds.flatMap(({ prefix, args }) =>
    (
      [
        ['in-thread', { SCORING_THREADS: '1' }],
        [
          'pooled',
          { SCORING_THREADS: process.env.BENCH_THREADS ?? 'auto', SCORING_POOL_MIN_ROWS: '1' },
        ],
      ] as const
    ).map(([p, env]) => [args, `${prefix}${p}`, env] as const),
  )) {
    const p = await freePort();
    const child = start(path, args, {
      PORT: String(p),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    });
    const u = `http://127.0.0.1:${p}/predict`;
    await waitFor(u);
    sideBySide.push({ path, threads: await threadsOf(u), url: u, pid: child.pid!, child });
  }
  const both = ['rows', 'columns'] as const;
  const columnsOnly = ['columns'] as const;
  for (const [n, context, requests, explain] of [
    [250, false, columnsOnly, 'all'],
    [500, false, columnsOnly, 'all'],
    [1_000, false, columnsOnly, 'all'],
    [2_000, false, columnsOnly, 'all'],
    [5_000, false, columnsOnly, 'all'],
    // The bar (10,000 explained rows) and the healer's body (a baseline for every signal).
    [10_000, false, both, 'all'],
    [10_000, true, both, 'all'],
    // The same rows with the top 3 contributions only (what the healer asks for is similar).
    [10_000, false, columnsOnly, '3'],
  ] as const) {
    console.log(
      `batch of ${n}${context ? ', with baselines' : ''}, explain=${explain}, columns answer, request ${requests.join(' and ')}, in-thread and pooled…`,
    );
    batches.push(...(await timeBatch(sideBySide, n, explain, context, 'columns', requests)));
  }
  const comparisonMemory = sideBySide.map((t) => ({
    path: t.path,
    ...rssMb(t.child!.pid!),
  }));
  for (const t of sideBySide) await stop(t.child!);

  const [bare, floor, real] = load as unknown as [LoadResult, LoadResult, LoadResult];
  // The bar's ratio per round, from the floor and backend runs of that round (back to back, so
  // they saw about the same neighbours), then the median over rounds: steadier than the ratio of
  // two medians taken from different rounds.
  const perRound = rounds[2]!.map((b, r) => {
    const f = rounds[1]![r]!;
    return {
      requestsPerSec: b.requestsPerSec / f.requestsPerSec,
      cpu: f.serverCpuUsPerRequest / b.serverCpuUsPerRequest,
    };
  });
  const medianOf = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  const backendVsFloorPerRound = perRound.map((x) => r3(x.requestsPerSec));
  const cpuFloorVsBackendPerRound = perRound.map((x) => r3(x.cpu));
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      /** 1-minute load average before and after: other work on the machine skews req/s and p99. */
      loadAverage: { before: loadBefore, after: os.loadavg()[0]! },
    },
    /** The other build in the side-by-side batches (`baseline …` paths), if any. */
    baselineDir: baselineDir ?? null,
    nodeFlags: { backend: NODE_FLAGS, baseline: BASELINE_NODE_FLAGS },
    loadGenerator: `wrk -t1 -c${CONNECTIONS} -d${DURATION}s, ${ROUNDS} alternating rounds (order reversed every other round), median; ratios per round, median of rounds (loopback, one body: the original healthy example)`,
    single: load,
    ratios: {
      /** The bar (≥ 0.85): backend req/s over the floor's in the same round, median of rounds. */
      backendVsFloor: r3(medianOf(backendVsFloorPerRound)),
      backendVsFloorPerRound,
      backendVsFloorMin: Math.min(...backendVsFloorPerRound),
      /** Ratio of the two servers' median rounds (how this was reported before). */
      backendVsFloorOfMedians: r3(real.requestsPerSec / floor.requestsPerSec),
      backendVsBare: Math.round((real.requestsPerSec / bare.requestsPerSec) * 1000) / 1000,
      floorVsBare: Math.round((floor.requestsPerSec / bare.requestsPerSec) * 1000) / 1000,
      /**
       * Floor CPU per request / backend CPU per request, median of the rounds: the same ratio,
       * less swayed by neighbours.
       */
      cpuFloorVsBackend: r3(medianOf(cpuFloorVsBackendPerRound)),
      cpuFloorVsBackendPerRound,
    },
    batches,
    backendMemoryMb: memory,
    comparisonMemoryMb: comparisonMemory,
    targets: {
      singleVsFloorAtLeast: 0.85,
      p99MsAtMost: 10,
      batch1kServerMsAtMost: 10,
      batch10kServerMsAtMost: 50,
      rssMbAtMost: 200,
    },
  };
  const outDir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  // BENCH_NAME tells runs apart in one day (e.g. `backend-perf5`).
  const outFile = path.join(
    outDir,
    `${result.date.slice(0, 10)}-${process.env.BENCH_NAME ?? 'backend'}.json`,
  );
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);

  const f = (x: number, d = 0) =>
    x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`\n${result.loadGenerator}`);
  console.log(
    `load average ${loadBefore.toFixed(1)} → ${result.machine.loadAverage.after.toFixed(1)} on ${result.machine.cpus} CPUs\n`,
  );
  console.log(
    '| server | req/s | vs floor | vs bare | p50 ms | p99 ms | errors | server CPU µs/req | CPU floor/this |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of load) {
    console.log(
      `| ${l.name} | ${f(l.requestsPerSec)} | ${f(l.requestsPerSec / floor.requestsPerSec, 2)}× | ${f(l.requestsPerSec / bare.requestsPerSec, 2)}× | ${f(l.latencyMs.p50, 2)} | ${f(l.latencyMs.p99, 2)} | ${l.errors} | ${f(l.serverCpuUsPerRequest)} | ${f(floor.serverCpuUsPerRequest / l.serverCpuUsPerRequest, 2)}× |`,
    );
  }
  console.log(
    `\nbackend / Express floor, per round: ${backendVsFloorPerRound.join(', ')} → median ${result.ratios.backendVsFloor} (bar ≥ 0.85); CPU floor / backend per round: ${cpuFloorVsBackendPerRound.join(', ')}`,
  );
  console.log(
    '\n| batch | explain | baselines | request | format | path (threads) | body | answer | server ms (elapsed_ms, median / p95) | body / validate / score / write ms | answered ms (median / p95) | round trip ms (median / p95) | server CPU ms/req |',
  );
  console.log(
    '| ---: | ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const b of batches) {
    const ph = b.serverPhasesMs;
    console.log(
      `| ${f(b.instances)} | ${b.explain} | ${b.context ? 'yes' : 'no'} | ${b.request} | ${b.format} | ${b.path} (${b.threads}) | ${f(b.bodyBytes / 1e6, 2)} MB | ${f(b.answerBytes / 1e6, 2)} MB | ${f(b.serverMs.median, 2)} / ${f(b.serverMs.p95, 2)} | ${f(ph.body, 1)} / ${f(ph.validate, 1)} / ${f(ph.score, 1)} / ${Number.isNaN(ph.write) ? '–' : f(ph.write, 1)} | ${Number.isNaN(b.serverAnsweredMs.median) ? '–' : `${f(b.serverAnsweredMs.median, 2)} / ${f(b.serverAnsweredMs.p95, 2)}`} | ${f(b.roundTripMs.median, 2)} / ${f(b.roundTripMs.p95, 2)} | ${f(b.serverCpuMsPerRequest, 1)} |`,
    );
  }
  console.log(`\nbackend RSS after the runs: ${memory.rss} MB (peak ${memory.peak} MB)`);
  for (const m of comparisonMemory)
    console.log(`${m.path} backend RSS after its batches: ${m.rss} MB (peak ${m.peak} MB)`);
  console.log(`written to ${path.relative(repoRoot, outFile)}`);
}

await main();
