// The recording rules' output for N deployments, served as a scrape target: what a Prometheus that
// evaluates deploy/prometheus/recording.yml on its own, sized nodes holds. The bench's `recorded`
// mode scrapes this (honor_labels) instead of evaluating the rules on the bench box, so the healer's
// own cycle — its queries, parse, join, /predict and policy — is measured at 10,000 deployments with
// conclusive rows; the rules modes still measure the rules' evaluation cost beside it.
// Usage: node bench/recordedChild.mjs <deployments> <port> [no-markers]. Prints "ready <url>" when
// listening. `no-markers`: without the rule groups' evaluation series and the per-deployment oldest
// source time, as an older rules file — the healer then checks each recorded series' own
// timestamp and every deployment's per-metric source times, and reads every series every cycle
// (the bench's `recorded-legacy` mode, the path before the markers, side by side).
//
// Every series a rule records (recordingRuleGroups(), so the set follows the rules), one per
// deployment of the simulator's naming (`bench-<i % 10>/app-<i>`), with healthy values; the
// freshness series (`…sample_timestamp:max`, `:min`) carry the render time, so the data is fresh exactly
// while it keeps being scraped — the healer's stale check still sees a stopped target. Each rule
// group's evaluation series (`RULE_GROUP_EVALUATION_RECORD`) carries the time the group would have
// last evaluated at its interval (the render time for the global one), so the healer reads a slow
// group's series once per its interval, as against Prometheus evaluating the rules.
// `POST /evaluate?interval=1m|5m|all` makes the groups of that interval evaluate now (their series
// carry that time from the next scrape): the bench times the cycles after an evaluation.
import { createServer } from 'node:http';
import { POD_DEPLOYMENT_RECORD } from '@aiops/model/queries';
import {
  RULE_GROUP_EVALUATION_RECORD,
  SAMPLE_TIMESTAMP_MIN_RECORD,
  SAMPLE_TIMESTAMP_RECORD,
  recordedFeatureName,
  recordingRuleGroups,
} from '@aiops/model/recording';
import { FEATURE_NAMES } from '@aiops/model/schema';

const NAMESPACES = 10;
/** A healthy reading of each feature (inside the schema's range). */
const HEALTHY = {
  restart_count_last_5m: 0,
  cpu_usage_pct: 30,
  memory_usage_bytes: 2e8,
  ready_replica_ratio: 1,
  unavailable_replicas: 0,
  network_receive_bytes_per_s: 1e5,
  http_5xx_error_rate: 0.001,
  http_p95_latency_seconds: 0.12,
  http_requests_per_s: 50,
  memory_limit_ratio: 0.4,
  memory_growth_ratio_per_min: 0,
  cpu_throttle_ratio: 0.01,
  replicas: 1,
  http_caller_p95_latency_seconds: 0.15,
};
for (const f of FEATURE_NAMES)
  if (HEALTHY[f] === undefined) throw new Error(`recordedChild: no healthy value for ${f}`);
const FEATURE_OF = new Map(FEATURE_NAMES.map((f) => [recordedFeatureName(f), f]));

const SECONDS = { s: 1, m: 60, h: 3600 };
/** Evaluation times forced by `POST /evaluate` (seconds), by group interval. */
const forced = new Map();

/**
 * The group's last evaluation at its interval (seconds), or the one `POST /evaluate` forced since;
 * `now` for the global one.
 */
function evaluatedAt(interval, now) {
  const m = /^(\d+)([smh])$/.exec(interval ?? '');
  if (!m) return now;
  const every = Number(m[1]) * SECONDS[m[2]];
  return Math.max(Math.floor(now / every) * every, forced.get(interval) ?? -Infinity);
}

/** The value of one recorded series (`now`: seconds), by what its name records. */
function valueOf(record, now, interval) {
  if (record === SAMPLE_TIMESTAMP_RECORD || record === SAMPLE_TIMESTAMP_MIN_RECORD) return now;
  if (record === RULE_GROUP_EVALUATION_RECORD) return evaluatedAt(interval, now);
  const feature = FEATURE_OF.get(record);
  if (feature) return HEALTHY[feature];
  // baselines: namespace_deployment:aiops_<feature>:<stat>
  const b = /^namespace_deployment:aiops_(.+):(p10|p50|p90|count|last_week|recent|slope)$/.exec(
    record,
  );
  if (b && HEALTHY[b[1]] !== undefined)
    return b[2] === 'count' ? 60 : b[2] === 'slope' ? 0 : HEALTHY[b[1]];
  if (record.includes('slo_error_ratio')) return 0.001;
  if (record.includes('slo_p95_seconds')) return 0.12;
  if (record.includes('slo_requests')) return 50 * 3600;
  return 50; // the request rate per SLO window
}

const n = Number(process.argv[2]);
const port = Number(process.argv[3]);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(port)) {
  console.error('usage: recordedChild.mjs <deployments ≥ 1> <port>');
  process.exit(2);
}
const markers = process.argv[4] !== 'no-markers';
const series = recordingRuleGroups()
  .flatMap((g) => g.rules.map((r) => ({ ...r, interval: g.interval })))
  .filter((r) => r.record !== POD_DEPLOYMENT_RECORD)
  .filter(
    (r) =>
      markers ||
      (r.record !== RULE_GROUP_EVALUATION_RECORD && r.record !== SAMPLE_TIMESTAMP_MIN_RECORD),
  )
  .map((r) => ({
    record: r.record,
    interval: r.interval,
    extra: Object.entries(r.labels ?? {})
      .map(([k, v]) => `,${k}="${v}"`)
      .join(''),
  }));
const labels = Array.from(
  { length: n },
  (_, i) => `{namespace="bench-${i % NAMESPACES}",deployment="app-${i}"`,
);

const server = createServer((req, res) => {
  // `POST /evaluate?interval=5m` (or `all`): the groups of that interval evaluate now, as if
  // Prometheus had just evaluated them — the bench times the cycle that reads their new values.
  if (req.method === 'POST' && req.url?.startsWith('/evaluate')) {
    const which = new URL(req.url, 'http://x').searchParams.get('interval') ?? 'all';
    const at = Math.floor(Date.now() / 1000);
    const groups = [];
    for (const { record, interval, extra } of series)
      if (
        record === RULE_GROUP_EVALUATION_RECORD &&
        interval &&
        (which === 'all' || which === interval)
      ) {
        forced.set(interval, at);
        groups.push(/rule_group="([^"]+)"/.exec(extra)?.[1]);
      }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ at, groups }));
    return;
  }
  if (req.url !== '/metrics') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  const now = Date.now() / 1000;
  // one chunk per series name, written as the socket drains: the text is never held whole
  let k = 0;
  const next = () => {
    while (k < series.length) {
      const { record, interval, extra } = series[k++];
      const v = valueOf(record, now, interval);
      let chunk = '';
      // one series per group, not per deployment
      if (record === RULE_GROUP_EVALUATION_RECORD) chunk = `${record}{${extra.slice(1)}} ${v}\n`;
      else for (const l of labels) chunk += `${record}${l}${extra}} ${v}\n`;
      if (!res.write(chunk)) {
        res.once('drain', next);
        return;
      }
    }
    res.end();
  };
  next();
});
server.listen(port, '127.0.0.1', () =>
  console.log(`ready http://127.0.0.1:${port} (${series.length} series per deployment)`),
);
process.once('SIGTERM', () => server.close(() => process.exit(0)));
