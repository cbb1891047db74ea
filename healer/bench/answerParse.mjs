// `node bench/answerParse.mjs [N]`: one Prometheus instant-vector answer of N samples (default
// 10,000, as a recorded feature's at 10,000 deployments) read into a typed column by deployment
// index, side by side in one process, alternating rounds: the streaming parser
// (src/sources/vectorAnswer.ts, fed 64 KB chunks) against what the source did before (the chunks
// joined into one string, `JSON.parse`, a loop over the sample objects). CPU per answer
// (process.cpuUsage) and GC pauses; writes bench/results/<date>-healer-answer-parse.json at the
// repository root (BENCH_OUT another name) and prints a table.
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeResults } from './results.mjs';
import { VectorAnswerParser, parseSampleValue } from '@aiops/healer/sources/vectorAnswer';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = 5;
const PER_ROUND = 40;

const result = Array.from({ length: N }, (_, i) => ({
  metric: {
    __name__: 'namespace_deployment:aiops_cpu_usage_pct',
    deployment: `app-${i}`,
    namespace: `bench-${i % 20}`,
  },
  value: [1764553200.123, String(Math.random() * 100)],
}));
const answer = Buffer.from(
  JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }),
);
const chunks = [];
for (let at = 0; at < answer.length; at += 65_536) chunks.push(answer.subarray(at, at + 65_536));
const index = new Map();
for (let i = 0; i < N; i++) {
  const ns = `bench-${i % 20}`;
  if (!index.has(ns)) index.set(ns, new Map());
  index.get(ns).set(`app-${i}`, i);
}
const column = new Float64Array(N);

const variants = {
  streamed: () => {
    const parser = new VectorAnswerParser({
      labels: ['namespace', 'deployment'],
      sample: ([ns, dep], _at, value) => {
        const i = index.get(ns)?.get(dep);
        if (i !== undefined) column[i] = value;
      },
    });
    for (const c of chunks) parser.write(c);
    parser.end();
  },
  'JSON.parse': () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    for (const s of body.data.result) {
      const i = index.get(s.metric.namespace)?.get(s.metric.deployment);
      if (i !== undefined) column[i] = parseSampleValue(s.value[1]);
    }
  },
};

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const runs = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
const load = [loadavg()[0]];
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(variants)) {
    for (let k = 0; k < 5; k++) run(); // warm up
    await new Promise((r) => setImmediate(r)); // GC entries of the warm-up are reported
    gcMs = 0;
    const t = process.cpuUsage();
    for (let k = 0; k < PER_ROUND; k++) run();
    const used = process.cpuUsage(t);
    await new Promise((r) => setImmediate(r));
    runs[name].push({
      cpuMsPerAnswer: (used.user + used.system) / 1000 / PER_ROUND,
      gcMsPerAnswer: gcMs / PER_ROUND,
    });
  }
  load.push(loadavg()[0]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = Object.entries(runs).map(([variant, rs]) => ({
  variant,
  samples: N,
  answerMb: +(answer.length / 1e6).toFixed(2),
  cpuMsPerAnswer: +median(rs.map((r) => r.cpuMsPerAnswer)).toFixed(2),
  gcMsPerAnswer: +median(rs.map((r) => r.gcMsPerAnswer)).toFixed(2),
  rounds: rs.map((r) => ({
    cpuMs: +r.cpuMsPerAnswer.toFixed(2),
    gcMs: +r.gcMsPerAnswer.toFixed(2),
  })),
}));
console.log(
  '| variant | samples | answer (MB) | CPU ms / answer (median) | GC pause ms / answer |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.variant} | ${r.samples} | ${r.answerMb} | ${r.cpuMsPerAnswer} | ${r.gcMsPerAnswer} |`,
  );
await writeResults('healer-answer-parse', { loadAverage1m: load, rows });
