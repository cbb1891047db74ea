// Healer cycles in their own process (so the RSS is the healer's alone), built by the same
// factory main.ts uses: client-node on the simulator, Prometheus features, the real backend's
// /predict, Events, the status store and budgets. Prints one JSON line with the measurements.
// Env: KUBECONFIG_PATH, PROMETHEUS_URL, BACKEND_URL, CYCLES (default 2), POD_JOIN, FEATURE_RULES,
// MAX_SAMPLE_AGE_MS, MAX_CONCURRENT_QUERIES, CONTEXT_REFRESHES_PER_CYCLE, COMPRESS_ANSWERS (true:
// gzip), WATCH_TARGETS (informers), HEAP_SNAPSHOT_DIR (a heap snapshot after the cycles),
// EVALUATE_URL (recordedChild.mjs: after the cycles, its 1-minute groups evaluate, one cycle, then
// every group, EVALUATED_CYCLES more cycles — the cycles that read the groups' new values).
import { subscribe } from 'node:diagnostics_channel';
import { createServer, request as httpRequest } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { RULE_GROUP_EVALUATION_RECORD } from '@aiops/model/recording';
import { kubeconfigYaml } from '@aiops/simulator';
import { createKubeClients, loadKubeConfig } from '@aiops/healer/actions/kube';
import { StatusStore } from '@aiops/healer/api/store';
import { DEFAULT_BUDGET_LIMITS, LedgerBudgetGate } from '@aiops/healer/budget/index';
import { configFromSources } from '@aiops/healer/config';
import { createHealer } from '@aiops/healer/loop/factory';
import { createKinds } from '@aiops/healer/kinds/index';
import { listWatchedTargets } from '@aiops/healer/sources/targets';
import { PredictClient } from '@aiops/healer/sources/predict';
import { PrometheusFeatureSource } from '@aiops/healer/sources/prometheus';

const env = process.env;
const config = configFromSources(
  {},
  {
    prometheus: {
      url: env.PROMETHEUS_URL,
      timeoutMs: 30_000,
      podJoin: env.POD_JOIN ?? 'auto',
      featureRules: env.FEATURE_RULES ?? 'auto',
      ...(env.MAX_SAMPLE_AGE_MS ? { maxSampleAgeMs: Number(env.MAX_SAMPLE_AGE_MS) } : {}),
      ...(env.COMPRESS_ANSWERS ? { compressAnswers: env.COMPRESS_ANSWERS === 'true' } : {}),
      ...(env.MAX_CONCURRENT_QUERIES
        ? { maxConcurrentQueries: Number(env.MAX_CONCURRENT_QUERIES) }
        : {}),
      ...(env.CONTEXT_REFRESHES_PER_CYCLE
        ? { contextRefreshesPerCycle: Number(env.CONTEXT_REFRESHES_PER_CYCLE) }
        : {}),
    },
    backend: { url: env.BACKEND_URL, timeoutMs: 30_000 },
    kube: { timeoutMs: 30_000, watchTargets: env.WATCH_TARGETS === 'true' },
    logLevel: 'warn',
  },
);
const registry = new Registry();
const store = new StatusStore({ thresholds: config.thresholds });

// Kubernetes API requests are counted by a proxy in front of the simulator: the steady state must
// cost a constant number of them, whatever the number of deployments.
const upstream = new URL(loadKubeConfig(env.KUBECONFIG_PATH).clusters[0].server);
const kubeRequests = new Map();
const proxy = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0].replace(/\/namespaces\/[^/]+/, '/namespaces/*');
  const verb = /[?&]watch=(true|1)/.test(req.url ?? '') ? 'WATCH' : req.method;
  const route = `${verb} ${path.replace(/\/(deployments|horizontalpodautoscalers|events)\/[^/]+/, '/$1/*')}`;
  kubeRequests.set(route, (kubeRequests.get(route) ?? 0) + 1);
  const up = httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      // a watch sends no body until something changes: its client waits for the headers
      res.flushHeaders();
      r.pipe(res);
    },
  );
  up.on('error', () => res.writeHead(502).end());
  // a watch the client ends must end upstream too
  res.on('close', () => up.destroy());
  req.pipe(up);
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const viaProxy = new KubeConfig();
viaProxy.loadFromString(kubeconfigYaml(`http://127.0.0.1:${proxy.address().port}`));
const kube = createKubeClients(viaProxy);
const {
  healer,
  source,
  predictor: healerPredictor,
  reporter,
  stopWatches,
} = createHealer({
  config,
  kube,
  logger: pino({ level: config.logLevel }),
  registry,
  sink: store,
  budget: new LedgerBudgetGate(DEFAULT_BUDGET_LIMITS),
});

// In-cycle phase timings: wrap the parts the cycle awaits (bench only; the loop is unchanged).
const spent = {};
/** The awaited parts running now (what the memory's peak is reached in). */
const running = new Set();
function timed(obj, method, label) {
  const orig = obj[method].bind(obj);
  obj[method] = async (...args) => {
    const t0 = performance.now();
    running.add(label);
    try {
      return await orig(...args);
    } finally {
      running.delete(label);
      spent[label] = (spent[label] ?? 0) + performance.now() - t0;
    }
  };
}
timed(healer.deps, 'listTargets', 'list');
timed(source, 'fetch', 'features');
timed(healerPredictor, 'predict', 'predict');
timed(reporter, 'report', 'report');

async function queriesSoFar() {
  const m = await registry.getSingleMetric('aiops_healer_prometheus_queries_total')?.get();
  return (m?.values ?? []).reduce((a, v) => a + v.value, 0);
}
/** The healer's own account of its Prometheus answers so far (absent in older builds). */
async function answersSoFar() {
  const seconds = await registry
    .getSingleMetric('aiops_healer_prometheus_query_seconds_total')
    ?.get();
  const bytes = await registry.getSingleMetric('aiops_healer_prometheus_answer_bytes_total')?.get();
  const of = (phase) => seconds?.values.find((v) => v.labels.phase === phase)?.value ?? 0;
  return { wait: of('wait'), parse: of('parse'), bytes: bytes?.values[0]?.value ?? 0 };
}

/** The groups' evaluation times Prometheus serves now (s), by group. */
async function evaluationsServed() {
  const url = `${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(RULE_GROUP_EVALUATION_RECORD)}`;
  const body = await (await fetch(url)).json();
  return new Map(body.data.result.map((r) => [r.metric.rule_group, Number(r.value[1])]));
}

/** Makes recordedChild's groups of `interval` evaluate now; resolves once Prometheus serves it. */
async function evaluate(interval) {
  const res = await fetch(`${env.EVALUATE_URL}/evaluate?interval=${interval}`, { method: 'POST' });
  const { at, groups } = await res.json();
  const deadline = Date.now() + 180_000;
  for (;;) {
    const served = await evaluationsServed();
    if (groups.every((g) => (served.get(g) ?? 0) >= at)) return;
    if (Date.now() > deadline) throw new Error(`groups ${groups} not evaluated at ${at} in time`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The cycles to run: cold and warm, then (EVALUATE_URL) those after the groups evaluated. */
const plan = [
  ...Array.from({ length: Number(env.CYCLES ?? 2) }, (_, i) => ({
    label: i === 0 ? 'cold' : i === 1 ? 'warm' : `warm +${i - 1}`,
  })),
  ...(env.EVALUATE_URL
    ? [
        { label: 'after 1m groups', evaluate: '1m' },
        ...Array.from({ length: Number(env.EVALUATED_CYCLES ?? 4) }, (_, i) => ({
          label: `after all groups +${i}`,
          ...(i === 0 ? { evaluate: 'all' } : {}),
        })),
      ]
    : []),
];

// What the healer holds before any cycle: code, dependencies, the wired components.
const rssAtStartBytes = process.memoryUsage().rss;
// The HTTP requests in flight now, by kind (Prometheus queries, /predict, the API server): how
// many answers are in flight when the buffers outside the heap peak.
const inFlight = new Map();
const kindOf = (req) =>
  (req.path ?? '').startsWith('/api/v1/query')
    ? 'prometheus'
    : (req.path ?? '').startsWith('/predict')
      ? 'predict'
      : 'other';
subscribe('http.client.request.start', ({ request }) => {
  const k = kindOf(request);
  inFlight.set(k, (inFlight.get(k) ?? 0) + 1);
  request.once('close', () => inFlight.set(k, inFlight.get(k) - 1));
});
// The garbage collector's pauses (main thread), summed: each cycle's GC share of its wall time.
const gc = { ms: 0, count: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.ms += e.duration;
    gc.count += 1;
  }
}).observe({ entryTypes: ['gc'] });
const cycles = [];
for (const { label, evaluate: interval } of plan) {
  if (interval) await evaluate(interval);
  // the peak of each part of the memory through the cycle (sampled every 50 ms, when the cycle
  // yields): what sets the peak RSS — JS heap, buffers outside it
  const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  // what was running when the buffers outside the heap, and the heap, were at their peak
  const at = { external: undefined, heapUsed: undefined, rss: undefined };
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(at))
      if (m[k] > peak[k])
        at[k] = {
          mb: Math.round(m[k] / 2 ** 20),
          externalMb: Math.round(m.external / 2 ** 20),
          heapUsedMb: Math.round(m.heapUsed / 2 ** 20),
          in: [...running],
          inFlight: Object.fromEntries([...inFlight].filter(([, n]) => n > 0)),
        };
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  };
  const sampler = setInterval(sample, 50);
  const before = await queriesSoFar();
  const answersBefore = await answersSoFar();
  kubeRequests.clear();
  for (const k of Object.keys(spent)) delete spent[k];
  const gc0 = { ...gc };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const report = await healer.runCycle();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // the observer's entries arrive on a later turn: let them in before reading the sums
  await new Promise((r) => setImmediate(r));
  sample();
  clearInterval(sampler);
  const answers = await answersSoFar();
  cycles.push({
    label,
    wallMs: Math.round(wallMs),
    // The healer process's own CPU in the cycle (user + system): what the healer costs, apart
    // from the time it waits for Prometheus, the backend and the API server.
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    gcMs: Math.round(gc.ms - gc0.ms),
    gcCount: gc.count - gc0.count,
    watched: report.watched,
    conclusive: report.rows.filter((r) => !r.inconclusive).length,
    inconclusive: report.rows.filter((r) => r.inconclusive).length,
    warming: report.rows.filter((r) => r.warmingUp).length,
    atRisk: report.rows.filter((r) => r.atRisk).length,
    fleetHold: report.fleetHold,
    errors: report.errors.slice(0, 3),
    healerQueries: (await queriesSoFar()) - before,
    kubeRequests: {
      total: [...kubeRequests.values()].reduce((a, n) => a + n, 0),
      byRoute: Object.fromEntries(kubeRequests),
    },
    rssBytes: process.memoryUsage().rss,
    // where the memory is after the cycle: JS heap, buffers outside it
    heap: Object.fromEntries(
      Object.entries(process.memoryUsage())
        .filter(([k]) => k !== 'rss')
        .map(([k, v]) => [k, Math.round(v / 2 ** 20)]),
    ),
    peakMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
    // what the cycle was in (awaited parts, HTTP requests in flight) at each peak's sample
    peakAt: at,
    // the process's peak RSS so far: which cycle raised it
    maxRssSoFarMb: Math.round((process.resourceUsage().maxRSS * 1024) / 2 ** 20),
    inCycleMs: Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, Math.round(v)])),
    // the cycle's own phases (Healer.cycle's marks): they add up to its wall time
    phasesMs: report.phasesMs,
    // Prometheus' answers: the time the queries waited for them (summed over the queries in
    // flight at once, so not wall time), the time parsing them, their size
    prometheusAnswers: {
      waitMs: Math.round((answers.wait - answersBefore.wait) * 1000),
      parseMs: Math.round((answers.parse - answersBefore.parse) * 1000),
      mb: +((answers.bytes - answersBefore.bytes) / 2 ** 20).toFixed(1),
    },
  });
}
const cycleMaxRss = process.resourceUsage().maxRSS * 1024;
if (env.HEAP_SNAPSHOT_DIR)
  writeHeapSnapshot(`${env.HEAP_SNAPSHOT_DIR}/healer-${cycles[0].watched}.heapsnapshot`);
// Where the time goes: each phase again on its own, after the cycles.
const time = async (fn) => {
  const t0 = performance.now();
  const value = await fn();
  return { ms: Math.round(performance.now() - t0), value };
};
const list = await time(() =>
  listWatchedTargets(createKinds(kube, config.kinds), {
    namespaces: config.namespaces,
    labelSelector: config.labelSelector,
  }),
);
const targets = list.value.targets.map(({ object: o }) => ({
  namespace: o.metadata.namespace,
  name: o.metadata.name,
}));
const perQuerySeconds = {};
const probeOptions = {
  url: config.prometheus.url,
  window: config.prometheus.window,
  queries: config.prometheus.queries,
  maxSampleAgeMs: config.prometheus.maxSampleAgeMs,
  timeoutMs: config.prometheus.timeoutMs,
  podJoin: config.prometheus.podJoin,
  featureRules: config.prometheus.featureRules,
  maxConcurrentQueries: config.prometheus.maxConcurrentQueries,
  retries: 0,
};
const probe = new PrometheusFeatureSource({
  ...probeOptions,
  now: Date.now,
  onQuery: (query, _ok, seconds) => {
    // the slowest of a kind (a baseline feature's 7 statistics share its name)
    perQuerySeconds[query] = Math.max(perQuerySeconds[query] ?? 0, Math.round(seconds * 1000));
  },
});
await probe.fetch(targets);
// Freshness stays honest: the same queries evaluated as if the data stopped arriving
// maxSampleAgeMs + 20 s ago must leave every deployment inconclusive, whether the features are
// read from recording rules or evaluated inline: stale while Prometheus still serves the last
// samples (5 min lookback), no series after that.
const aheadMs = config.prometheus.maxSampleAgeMs + 20_000;
const staleRun = await new PrometheusFeatureSource({
  ...probeOptions,
  now: () => Date.now() + aheadMs,
}).fetch(targets);
const staleResults = [...staleRun.values()];
const staleCheck = {
  evaluatedAheadSeconds: aheadMs / 1000,
  deployments: staleResults.length,
  inconclusive: staleResults.filter((r) => r.kind === 'inconclusive').length,
  inconclusiveStale: staleResults.filter(
    (r) => r.kind === 'inconclusive' && r.reason.includes('stale sample'),
  ).length,
  example: staleResults.find((r) => r.kind === 'inconclusive')?.reason.slice(0, 160),
};
const features = await time(() => source.fetch(targets));
const inputs = [...features.value.values()].filter((f) => f.kind === 'ok').map((f) => f.features);
const predictor = new PredictClient({
  url: config.backend.url,
  timeoutMs: 30_000,
  retries: 0,
  explain: config.backend.explain,
});
const predict = await time(() => predictor.predict(inputs));
const phasesMs = {
  listDeployments: list.ms,
  features: features.ms,
  predict: predict.ms,
  perQueryMs: perQuerySeconds,
};
stopWatches();
proxy.closeAllConnections();
proxy.close();
console.log(
  JSON.stringify({
    cycles,
    phasesMs,
    staleCheck,
    // measured before the extra phase probes above, which hold their own answers
    maxRssBytes: cycleMaxRss,
    rssAtStartBytes,
    maxRssAfterProbesBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
// Open upstream connections (a watch's) must not keep the measurement process alive.
process.exit(0);
