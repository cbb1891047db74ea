/**
 * PrometheusFeatureSource against a local HTTP server speaking the Prometheus query API: one query
 * per feature whatever the number of deployments, retries with jitter on 5xx, and every kind of
 * bad data ends as an inconclusive deployment.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  BASELINE_FEATURES,
  DEFAULT_FEATURE_QUERIES,
  FEATURES,
  FEATURE_NAMES,
  baselineQueries,
  baselineQueryNamesOf,
  renderQuery,
  sloWindowQueries,
  type FeatureName,
} from '@aiops/model';
import {
  RULE_GROUP_EVALUATION_RECORD,
  SAMPLE_TIMESTAMP_MIN_RECORD,
  SAMPLE_TIMESTAMP_RECORD,
  recordedBaselineName,
  recordedFeatureName,
  recordingRuleGroups,
} from '@aiops/model/recording';
import { freshnessTemplate, metricNames, PrometheusFeatureSource } from './prometheus.js';
import { inputOf, type FeatureResult } from './types.js';

const NOW = 1_700_000_000_000;
type Answer = (feature: FeatureName, query: string) => { status: number; body: unknown } | 'hang';

let server: Server;
let url: string;
let queries: string[];
let answer: Answer;
/** Answers the context (baseline, SLO) queries when a test sets it; otherwise they get a 400. */
let contextAnswer: ((query: string) => { status: number; body: unknown }) | undefined;
/** Answers queries that are not a feature's (the pod-join probe); 400 when unset. */
let other: ((query: string) => { status: number; body: unknown }) | undefined;
/** How the server writes an answer's JSON (a test may escape it as Go's encoder can). */
let encode: (body: unknown) => string;
/** Each request's Accept-Encoding. */
let acceptEncodings: (string | undefined)[];

/** The test templates are `Q:<feature>`, so the server knows which feature was asked. */
function featureOf(query: string): FeatureName | undefined {
  return FEATURE_NAMES.find((n) => query === `Q:${n}` || query.startsWith(`Q:${n} `));
}
const TEMPLATES = Object.fromEntries(FEATURE_NAMES.map((n) => [n, `Q:${n}`])) as Record<
  FeatureName,
  string
>;
const vector = (rows: { ns: string; name: string; v: string; t?: number }[]) => ({
  status: 200,
  body: {
    status: 'success',
    data: {
      resultType: 'vector',
      result: rows.map((r) => ({
        metric: { namespace: r.ns, deployment: r.name },
        value: [(r.t ?? NOW) / 1000, r.v],
      })),
    },
  },
});
/** The probe's answer: one row per recorded series name Prometheus has. */
const probed = (names: readonly string[]) => ({
  status: 200,
  body: {
    status: 'success',
    data: {
      resultType: 'vector',
      result: names.map((n) => ({ metric: { __name__: n }, value: [NOW / 1000, '42'] })),
    },
  },
});
const healthyFor =
  (targets: { ns: string; name: string }[]): Answer =>
  (feature) =>
    vector(
      targets.map((t) => ({ ...t, v: String(FEATURES.find((f) => f.name === feature)!.default) })),
    );

/** Starts a local server; its base URL. */
async function listen(s: Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}
async function stop(s: Server): Promise<void> {
  s.closeAllConnections();
  await new Promise<void>((r) => s.close(() => r()));
}

beforeEach(async () => {
  queries = [];
  acceptEncodings = [];
  encode = (body) => JSON.stringify(body);
  contextAnswer = undefined;
  other = undefined;
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const q = u.searchParams.get('query') ?? '';
    queries.push(q);
    acceptEncodings.push(req.headers['accept-encoding']);
    const f = featureOf(q);
    const a = f
      ? answer(f, q)
      : (contextAnswer?.(q) ??
        other?.(q) ?? { status: 400, body: { status: 'error', error: 'unknown query' } });
    if (a === 'hang') return;
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(encode(a.body));
  });
  url = await listen(server);
});
afterEach(() => stop(server));

const source = (over: Partial<ConstructorParameters<typeof PrometheusFeatureSource>[0]> = {}) =>
  new PrometheusFeatureSource({
    url,
    window: '2m',
    queries: TEMPLATES,
    maxSampleAgeMs: 120_000,
    timeoutMs: 10_000, // generous: a loaded CI box must not turn a slow answer into a retry
    retries: 2,
    now: () => NOW,
    sleep: async () => undefined,
    random: () => 0.5,
    podJoin: 'inline',
    ...over,
  });

/** Context queries per cycle: 7 statistics per baseline signal, the SLO windows' SLIs. */
const CONTEXT_QUERIES =
  BASELINE_FEATURES.reduce((n, f) => n + baselineQueryNamesOf(f).length, 0) +
  sloWindowQueries(TEMPLATES, { namespace: 'x', deployment: 'x' }).length;

describe('PrometheusFeatureSource', () => {
  it('times each answer (wait, parse, size); an escaped answer reads as the plain one', async () => {
    const targets = Array.from({ length: 30 }, (_, i) => ({ namespace: 'prod', name: `app-${i}` }));
    answer = healthyFor(targets.map((t) => ({ ns: t.namespace, name: t.name })));
    const answers: { bytes: number; parseSeconds: number; waitSeconds: number }[] = [];
    const plain = await source({
      onQuery: (_q, ok, _s, a) => {
        if (ok && a) answers.push(a);
      },
    }).fetch(targets);
    // valid JSON meaning the same, as an encoder that escapes may write it
    encode = (body) => JSON.stringify(body).replace(/-/g, '\\u002d');
    const escaped = await source().fetch(targets);
    expect([...plain.values()].every((r) => r.kind === 'ok')).toBe(true);
    expect(escaped).toEqual(plain);
    expect(answers.length).toBeGreaterThanOrEqual(FEATURE_NAMES.length);
    for (const a of answers) {
      expect(a.bytes).toBeGreaterThan(0);
      expect(a.parseSeconds).toBeGreaterThanOrEqual(0);
      expect(a.waitSeconds).toBeGreaterThanOrEqual(0);
    }
  });

  it.each([
    [undefined, 'identity'],
    [false, 'identity'],
    [true, 'gzip'],
  ])('compressAnswers %s asks for Accept-Encoding: %s', async (compressAnswers, expected) => {
    const targets = [{ namespace: 'prod', name: 'web' }];
    answer = healthyFor([{ ns: 'prod', name: 'web' }]);
    await source(compressAnswers === undefined ? {} : { compressAnswers }).fetch(targets);
    expect(new Set(acceptEncodings)).toEqual(new Set([expected]));
  });

  it.each([1, 10, 200])(
    'sends the same queries for %i deployments: one per feature, plus the context',
    async (n) => {
      const targets = Array.from({ length: n }, (_, i) => ({
        namespace: i % 2 ? 'prod' : 'dev',
        name: `app-${i}`,
      }));
      answer = healthyFor(targets.map((t) => ({ ns: t.namespace, name: t.name })));
      const out = await source().fetch(targets);
      expect(queries).toHaveLength(FEATURE_NAMES.length + CONTEXT_QUERIES);
      expect(CONTEXT_QUERIES).toBe(75);
      expect([...out.values()].every((r) => r.kind === 'ok')).toBe(true);
      expect(out.size).toBe(n);
    },
  );

  it('renders the templates with the namespaces and deployments', async () => {
    answer = healthyFor([{ ns: 'prod', name: 'web' }]);
    await source({ queries: DEFAULT_FEATURE_QUERIES }).fetch([{ namespace: 'prod', name: 'web' }]);
    expect(
      queries.some((q) => q.includes('namespace=~"prod"') && q.includes('deployment=~"web"')),
    ).toBe(true);
    expect(queries.every((q) => !q.includes('{{'))).toBe(true);
  });

  it('a deployment with a missing required series is inconclusive; the others are fine', async () => {
    const base = healthyFor([
      { ns: 'prod', name: 'a' },
      { ns: 'prod', name: 'b' },
    ]);
    answer = (f, q) =>
      f === 'http_5xx_error_rate' ? vector([{ ns: 'prod', name: 'a', v: '0' }]) : base(f, q);
    const out = await source().fetch([
      { namespace: 'prod', name: 'a' },
      { namespace: 'prod', name: 'b' },
    ]);
    expect(out.get('prod/a')?.kind).toBe('ok');
    expect(out.get('prod/b')).toEqual({
      kind: 'inconclusive',
      reason: 'no series for http_5xx_error_rate',
    });
  });

  it.each([
    ['NaN', 'NaN', 'cpu_usage_pct is NaN'],
    ['+Inf', '+Inf', 'cpu_usage_pct is Infinity'],
  ])('%s value is inconclusive', async (_n, v, reason) => {
    const base = healthyFor([{ ns: 'prod', name: 'a' }]);
    answer = (f, q) =>
      f === 'cpu_usage_pct' ? vector([{ ns: 'prod', name: 'a', v }]) : base(f, q);
    expect((await source().fetch([{ namespace: 'prod', name: 'a' }])).get('prod/a')).toEqual({
      kind: 'inconclusive',
      reason,
    });
  });

  it('a stale sample is inconclusive', async () => {
    const base = healthyFor([{ ns: 'prod', name: 'a' }]);
    answer = (f, q) =>
      f === 'ready_replica_ratio'
        ? vector([{ ns: 'prod', name: 'a', v: '1', t: NOW - 600_000 }])
        : base(f, q);
    const r = (await source().fetch([{ namespace: 'prod', name: 'a' }])).get('prod/a');
    expect(r).toEqual({
      kind: 'inconclusive',
      reason: 'stale sample for ready_replica_ratio (600 s old > 120 s)',
    });
  });

  it('retries a 503 with backoff and then succeeds', async () => {
    const base = healthyFor([{ ns: 'prod', name: 'a' }]);
    let failures = 0;
    answer = (f, q) =>
      f === 'cpu_usage_pct' && failures++ < 2 ? { status: 503, body: 'overloaded' } : base(f, q);
    const delays: number[] = [];
    const out = await source({ sleep: async (ms) => void delays.push(ms) }).fetch([
      { namespace: 'prod', name: 'a' },
    ]);
    expect(out.get('prod/a')?.kind).toBe('ok');
    expect(delays).toEqual([150, 300]); // jittered exponential backoff (random 0.5)
  });

  it('a query failing after its retries makes every deployment inconclusive, naming it', async () => {
    const base = healthyFor([{ ns: 'prod', name: 'a' }]);
    answer = (f, q) =>
      f === 'memory_usage_bytes'
        ? { status: 500, body: { status: 'error', error: 'boom' } }
        : base(f, q);
    const r = (await source().fetch([{ namespace: 'prod', name: 'a' }])).get('prod/a');
    expect(r?.kind).toBe('inconclusive');
    // Named first; queries still queued behind the limiter then are not sent, and say so.
    expect(r?.kind === 'inconclusive' && r.reason).toMatch(
      /^query for memory_usage_bytes failed: query for memory_usage_bytes: HTTP 500 \{"status":"error","error":"boom"\}(; query for \w+ failed: query for \w+: not sent: query for memory_usage_bytes: HTTP 500 .*)?$/,
    );
    expect(queries.filter((q) => q === 'Q:memory_usage_bytes')).toHaveLength(3);
  });

  it('does not retry a 400 (bad PromQL)', async () => {
    const base = healthyFor([{ ns: 'prod', name: 'a' }]);
    answer = (f, q) =>
      f === 'cpu_usage_pct'
        ? { status: 400, body: { status: 'error', error: 'parse error' } }
        : base(f, q);
    await source().fetch([{ namespace: 'prod', name: 'a' }]);
    expect(queries.filter((q) => q === 'Q:cpu_usage_pct')).toHaveLength(1);
  });

  it('a slow Prometheus times out and is inconclusive', async () => {
    answer = () => 'hang';
    const r = (
      await source({ retries: 0, timeoutMs: 50 }).fetch([{ namespace: 'prod', name: 'a' }])
    ).get('prod/a');
    expect(r?.kind === 'inconclusive' && r.reason).toContain('ECONNABORTED');
  });

  it('once a feature query failed, the queries still queued are not sent (one timeout per cycle, not one per query)', async () => {
    answer = () => 'hang';
    const out = await source({ retries: 0, timeoutMs: 50, maxConcurrentQueries: 3 }).fetch([
      { namespace: 'prod', name: 'a' },
    ]);
    const r = out.get('prod/a');
    expect(r?.kind === 'inconclusive' && r.sourceFailed).toBe(true);
    expect(r?.kind === 'inconclusive' && r.reason).toContain('not sent: query for');
    expect(queries).toHaveLength(3);
  });

  it('adds each deployment’s baseline and SLO windows from the context queries, best effort', async () => {
    answer = healthyFor([{ ns: 'prod', name: 'a' }]);
    const lat = baselineQueries('Q:http_p95_latency_seconds');
    const cpu = baselineQueries('Q:cpu_usage_pct');
    const answers = new Map<string, string>([
      [lat.p10, '0.1'],
      [lat.p50, '0.12'],
      [lat.p90, '0.2'],
      [lat.count, '61'],
      [lat.slope, 'NaN'],
      [lat.peak, '0.9'],
      // cpu: only 4 grid points, too few for its quantiles
      [cpu.p50, '30'],
      [cpu.count, '4'],
      [cpu.recent, '31'],
      ['300 * (Q:http_requests_per_s)', '600'],
    ]);
    contextAnswer = (q) => {
      const v = answers.get(q);
      if (v !== undefined) return vector([{ ns: 'prod', name: 'a', v }]);
      return { status: 400, body: { status: 'error', error: 'unknown query' } };
    };
    const r = (
      await source().fetch([
        { namespace: 'prod', name: 'a', annotations: { 'aiops.io/slo-availability': '99.5%' } },
      ])
    ).get('prod/a');
    expect(r?.kind).toBe('ok');
    const f = r?.kind === 'ok' ? inputOf(r) : undefined;
    expect(f?.baseline).toEqual({
      http_p95_latency_seconds: { p10: 0.1, p50: 0.12, p90: 0.2, peak: 0.9 },
      cpu_usage_pct: { recent: 31 },
    });
    expect(f?.slo?.availability).toBe(0.995);
    expect(f?.slo?.windows?.['5m']?.requests).toBe(600);
  });

  it('sends no baseline queries when told not to', async () => {
    answer = healthyFor([{ ns: 'prod', name: 'a' }]);
    const out = await source({ baseline: false, slo: false }).fetch([
      { namespace: 'prod', name: 'a' },
    ]);
    expect(queries).toHaveLength(FEATURE_NAMES.length);
    const r = out.get('prod/a');
    expect(r?.kind === 'ok' && inputOf(r).baseline).toBeUndefined();
  });

  it('no targets: no queries', async () => {
    answer = () => ({ status: 500, body: {} });
    expect((await source().fetch([])).size).toBe(0);
    expect(queries).toHaveLength(0);
  });
});

describe('freshness: the samples own timestamps', () => {
  it.each<[string, string[]]>([
    ['a plain selector', ['up{job="x"}']],
    [
      'a rate over a selector',
      ['rate(http_requests_total{namespace=~"{{namespace}}"}[{{window}}])'],
    ],
    [
      'several, in order, without repeats',
      [
        'sum(a_total{x="1"}) / sum(b_bytes{namespace=~"{{namespace}}"}) + a_total{y="2"} * ({{pod_deployment}})',
      ],
    ],
    ['placeholders are not metrics', ['({{pod_deployment}}) * on (namespace) group_left x']],
    ['no selector at all', ['Q:cpu_usage_pct']],
  ])('metricNames: %s', (_n, [template]) => {
    const expected: Record<string, string[]> = {
      'up{job="x"}': ['up'],
      'rate(http_requests_total{namespace=~"{{namespace}}"}[{{window}}])': ['http_requests_total'],
      'sum(a_total{x="1"}) / sum(b_bytes{namespace=~"{{namespace}}"}) + a_total{y="2"} * ({{pod_deployment}})':
        ['a_total', 'b_bytes'],
      '({{pod_deployment}}) * on (namespace) group_left x': [],
      'Q:cpu_usage_pct': [],
    };
    expect(metricNames(template!)).toEqual(expected[template!]);
  });

  it('builds one query, timestamp() directly on each selector, for every metric of the defaults', () => {
    const q = freshnessTemplate(Object.values(DEFAULT_FEATURE_QUERIES))!;
    for (const name of [
      'container_cpu_usage_seconds_total',
      'kube_deployment_spec_replicas',
      'http_requests_total',
    ])
      expect(q).toContain(`timestamp(${name}{`);
    expect(q).not.toMatch(/timestamp\((label_replace|rate|sum|max)/);
    expect(freshnessTemplate(['Q:a', 'Q:b'])).toBeUndefined();
  });

  const METRIC_TEMPLATES = Object.fromEntries(
    FEATURE_NAMES.map((n) => [n, `m_${n}{namespace=~"{{namespace}}"}`]),
  ) as Record<FeatureName, string>;
  const FRESHNESS_ONLY = { queries: METRIC_TEMPLATES, baseline: false, slo: false } as const;
  const healthy = (f: FeatureName) => String(FEATURES.find((x) => x.name === f)!.default);
  let times: Partial<Record<FeatureName, number>>;
  beforeEach(() => {
    times = {};
    answer = () => ({ status: 400, body: {} });
  });
  // The context queries (baseline, SLO windows) are off here: these cases are about the features' freshness.
  /** Answers the feature queries, and the freshness query with `times` (default: now). */
  function serve(
    extra: (q: string) => { status: number; body: unknown } | undefined = () => undefined,
  ) {
    const rows = (q: string) => {
      const e = extra(q);
      if (e) return e;
      if (q.includes('timestamp(')) {
        return {
          status: 200,
          body: {
            status: 'success',
            data: {
              resultType: 'vector',
              result: FEATURE_NAMES.map((f) => ({
                metric: { namespace: 'prod', deployment: 'a', metric: `m_${f}` },
                value: [NOW / 1000, String((times[f] ?? NOW) / 1000)],
              })),
            },
          },
        };
      }
      const f = FEATURE_NAMES.find((n) => q === `m_${n}{namespace=~"prod"}`)!;
      return vector([{ ns: 'prod', name: 'a', v: healthy(f) }]);
    };
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      queries.push(q);
      const a = rows(q);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  }

  it('one more query per cycle; fresh samples are ok', async () => {
    serve();
    const out = await source(FRESHNESS_ONLY).fetch([{ namespace: 'prod', name: 'a' }]);
    expect(out.get('prod/a')?.kind).toBe('ok');
    expect(queries).toHaveLength(FEATURE_NAMES.length + 1);
  });

  it.each<[string, number, string | undefined]>([
    ['boundary: exactly maxSampleAgeMs old is fresh', NOW - 120_000, undefined],
    [
      '1 s past maxSampleAgeMs is stale',
      NOW - 121_000,
      'stale sample for cpu_usage_pct (121 s old > 120 s)',
    ],
    ['10 min old is stale', NOW - 600_000, 'stale sample for cpu_usage_pct (600 s old > 120 s)'],
  ])('%s', async (_n, t, reason) => {
    times.cpu_usage_pct = t;
    serve();
    const r = (await source(FRESHNESS_ONLY).fetch([{ namespace: 'prod', name: 'a' }])).get(
      'prod/a',
    );
    if (reason) expect(r).toEqual({ kind: 'inconclusive', reason });
    else expect(r?.kind).toBe('ok');
  });

  it('an optional feature with a stale sample is omitted (imputed), not inconclusive', async () => {
    times.http_p95_latency_seconds = NOW - 600_000;
    serve();
    const r = (await source(FRESHNESS_ONLY).fetch([{ namespace: 'prod', name: 'a' }])).get(
      'prod/a',
    );
    expect(r?.kind === 'ok' && r.omitted).toEqual([
      {
        feature: 'http_p95_latency_seconds',
        reason: 'stale sample for http_p95_latency_seconds (600 s old > 120 s)',
      },
    ]);
  });

  it('a failed freshness query leaves every deployment inconclusive (the data is not vouched for)', async () => {
    serve((q) =>
      q.includes('timestamp(')
        ? { status: 400, body: { status: 'error', error: 'bad' } }
        : undefined,
    );
    const r = (await source(FRESHNESS_ONLY).fetch([{ namespace: 'prod', name: 'a' }])).get(
      'prod/a',
    );
    expect(r?.kind === 'inconclusive' && r.reason).toMatch(/query for \(freshness\): HTTP 400/);
    expect(r?.kind === 'inconclusive' && r.sourceFailed).toBe(true);
  });

  it('Prometheus warnings (a Thanos/Mimir partial response) make the feature inconclusive', async () => {
    serve((q) =>
      q === 'm_restart_count_last_5m{namespace=~"prod"}'
        ? {
            status: 200,
            body: {
              status: 'success',
              warnings: ['partial response: store gateway eu-1 unreachable'],
              data: {
                resultType: 'vector',
                result: [
                  { metric: { namespace: 'prod', deployment: 'a' }, value: [NOW / 1000, '0'] },
                ],
              },
            },
          }
        : undefined,
    );
    const r = (await source(FRESHNESS_ONLY).fetch([{ namespace: 'prod', name: 'a' }])).get(
      'prod/a',
    );
    expect(r?.kind).toBe('inconclusive');
    expect(r?.kind === 'inconclusive' && r.reason).toContain(
      'query for restart_count_last_5m: partial response, Prometheus warned: partial response: store gateway eu-1 unreachable',
    );
  });
});

describe('the pod → deployment join (podJoin)', () => {
  const JOINED = Object.fromEntries(
    FEATURE_NAMES.map((n) => [n, `Q:${n} {{pod_deployment}}`]),
  ) as Record<FeatureName, string>;
  /** The features alone: these cases are about the join, so no freshness or context queries. */
  const FEATURES_ONLY = {
    queries: JOINED,
    checkSampleAge: false,
    baseline: false,
    slo: false,
  } as const;
  const probeAnswer = (rows: number) => (q: string) =>
    q.startsWith(
      'count by (__name__) ({__name__=~"namespace_deployment_pod:kube_pod_owner:relabel|',
    )
      ? probed(rows > 0 ? ['namespace_deployment_pod:kube_pod_owner:relabel'] : [])
      : { status: 400, body: { status: 'error', error: 'unknown query' } };
  const t = [{ ns: 'prod', name: 'api' }];
  const targets = [{ namespace: 'prod', name: 'api' }];

  it('auto reads the recorded series when Prometheus has them, and probes once per podJoinProbeMs', async () => {
    answer = healthyFor(t);
    other = probeAnswer(1);
    const picked: string[] = [];
    const s = source({
      ...FEATURES_ONLY,
      podJoin: 'auto',
      onPodJoin: (j) => picked.push(j),
    });
    const out = await s.fetch(targets);
    expect(out.get('prod/api')?.kind).toBe('ok');
    await s.fetch(targets);
    expect(queries.filter((q) => q.startsWith('count by (__name__)')).length).toBe(1);
    const features = queries.filter((q) => q.startsWith('Q:'));
    expect(features).toHaveLength(2 * FEATURE_NAMES.length);
    for (const q of features) {
      expect(q).toContain('namespace_deployment_pod:kube_pod_owner:relabel{namespace=~"prod"}');
      expect(q).not.toContain('kube_replicaset_owner');
    }
    expect(picked).toEqual(['recorded']);
  });

  it('the baseline and SLO-window queries read the same join as the features', async () => {
    answer = healthyFor(t);
    other = probeAnswer(1);
    await source({ queries: JOINED, checkSampleAge: false, podJoin: 'recorded' }).fetch(targets);
    const context = queries.filter((q) => !q.startsWith('Q:') && q.includes('Q:'));
    expect(context.length).toBeGreaterThan(0);
    for (const q of context) {
      expect(q).toContain('namespace_deployment_pod:kube_pod_owner:relabel');
      expect(q).not.toContain('kube_replicaset_owner');
    }
  });

  it('auto falls back to the inline join and says why when the recorded series are missing', async () => {
    answer = healthyFor(t);
    other = probeAnswer(0);
    const picked: { join: string; why: string }[] = [];
    const s = source({
      ...FEATURES_ONLY,
      podJoin: 'auto',
      onPodJoin: (join, why) => picked.push({ join, why }),
    });
    expect((await s.fetch(targets)).get('prod/api')?.kind).toBe('ok');
    for (const q of queries.filter((x) => x.startsWith('Q:'))) {
      expect(q).toContain('kube_replicaset_owner');
    }
    expect(picked).toHaveLength(1);
    expect(picked[0]!.join).toBe('inline');
    expect(picked[0]!.why).toContain('deploy/prometheus/recording.yml');
  });

  it('auto keeps the last answer when the probe fails, and re-probes after podJoinProbeMs', async () => {
    answer = healthyFor(t);
    other = probeAnswer(1);
    let now = NOW;
    const s = source({
      ...FEATURES_ONLY,
      podJoin: 'auto',
      podJoinProbeMs: 1000,
      now: () => now,
    });
    expect(await s.podJoin('prod', now)).toBe('recorded');
    other = () => ({ status: 500, body: 'down' });
    now += 2000;
    expect(await s.podJoin('prod', now)).toBe('recorded');
    other = probeAnswer(0);
    now += 2000;
    expect(await s.podJoin('prod', now)).toBe('inline');
  });

  it.each(['recorded', 'inline'] as const)(
    '%s is used as configured, with no probe',
    async (join) => {
      answer = healthyFor(t);
      const s = source({
        ...FEATURES_ONLY,
        podJoin: join,
      });
      await s.fetch(targets);
      expect(queries.some((q) => q.startsWith('count by (__name__)'))).toBe(false);
      expect(
        queries.every((q) => q.includes('kube_replicaset_owner') === (join === 'inline')),
      ).toBe(true);
    },
  );
});

describe('recorded features (featureRules)', () => {
  const RECORDS = [
    'namespace_deployment_pod:kube_pod_owner:relabel',
    ...FEATURE_NAMES.map(recordedFeatureName),
    SAMPLE_TIMESTAMP_RECORD,
    SAMPLE_TIMESTAMP_MIN_RECORD,
    RULE_GROUP_EVALUATION_RECORD,
  ];
  const GROUPS = recordingRuleGroups().map((g) => g.name);
  const healthy = (f: FeatureName) => String(FEATURES.find((x) => x.name === f)!.default);
  /** The freshness query's rows (the stale ones), by metric label and age. */
  let staleRows: { metric: string; ageMs: number }[];
  /** Each rule group's last evaluation (ms), as its evaluation series answers; absent: none. */
  let evaluated: Map<string, number>;
  /** The value the recorded context (baseline, SLO) series answer. */
  let contextValue: string;
  let probeNames: string[];
  let inFlight: number;
  let peak: number;
  /** A vector of rows whose value is a time (ms → s), as the freshness and evaluations answer. */
  const rowsOf = (rows: [Record<string, string>, number][]) => ({
    status: 200,
    body: {
      status: 'success',
      data: {
        resultType: 'vector',
        result: rows.map(([metric, ms]) => ({ metric, value: [NOW / 1000, String(ms / 1000)] })),
      },
    },
  });
  /** Answers the probe, the recorded features, the inline default ones and the freshness query. */
  function serveRecorded(delayMs = 0) {
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      queries.push(q);
      peak = Math.max(peak, ++inFlight);
      const reply = (a: { status: number; body: unknown }) =>
        setTimeout(() => {
          inFlight--;
          res.writeHead(a.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(a.body));
        }, delayMs);
      if (q.startsWith('count by (__name__)')) return reply(probed(probeNames));
      if (q === RULE_GROUP_EVALUATION_RECORD)
        return reply(
          rowsOf(
            [...evaluated].map(([group, at]) => [
              { __name__: RULE_GROUP_EVALUATION_RECORD, rule_group: group },
              at,
            ]),
          ),
        );
      if (/^namespace_deployment:aiops_[a-z0-9_]+:[a-z0-9_]+\{/.test(q))
        return reply(vector([{ ns: 'prod', name: 'a', v: contextValue }]));
      // the oldest source time per deployment: no `metric` label
      if (q.startsWith(`(${SAMPLE_TIMESTAMP_MIN_RECORD}{`))
        return reply(
          rowsOf(
            staleRows
              .slice(0, 1)
              .map((r) => [{ namespace: 'prod', deployment: 'a' }, NOW - r.ageMs]),
          ),
        );
      if (q.includes('< (time() -'))
        return reply(
          rowsOf(
            staleRows.map((r) => [
              { namespace: 'prod', deployment: 'a', metric: r.metric },
              NOW - r.ageMs,
            ]),
          ),
        );
      const f = FEATURE_NAMES.find(
        (n) =>
          q.startsWith(`${recordedFeatureName(n)}{`) ||
          q === renderQuery(DEFAULT_FEATURE_QUERIES[n], SCOPE, 'inline'),
      );
      reply(
        f
          ? vector([{ ns: 'prod', name: 'a', v: healthy(f) }])
          : { status: 400, body: { status: 'error', error: 'unknown query' } },
      );
    });
  }
  const SCOPE = { namespace: 'prod', deployment: 'a', window: '2m' };
  const DEFAULTS = { queries: DEFAULT_FEATURE_QUERIES, baseline: false, slo: false } as const;
  const targets = [{ namespace: 'prod', name: 'a' }];
  beforeEach(() => {
    staleRows = [];
    evaluated = new Map(GROUPS.map((g) => [g, NOW - 10_000]));
    contextValue = '100';
    probeNames = RECORDS;
    inFlight = 0;
    peak = 0;
  });

  it('auto reads every recorded feature: one selector per feature, no per-pod rate() at query time', async () => {
    serveRecorded();
    const warned: (readonly string[])[] = [];
    const s = source({ ...DEFAULTS, podJoin: 'auto', onMissingRecords: (m) => warned.push(m) });
    expect((await s.fetch(targets)).get('prod/a')?.kind).toBe('ok');
    const features = queries.filter((q) => q.startsWith('namespace_deployment:aiops_'));
    expect(features).toHaveLength(FEATURE_NAMES.length);
    expect(queries.filter((q) => q.includes('rate('))).toEqual([]);
    expect(warned).toEqual([[]]);
  });

  it.each<
    [
      string,
      { metric: string; ageMs: number } | undefined,
      [string, number | undefined] | undefined,
      string,
    ]
  >([
    [
      'stale source data, though the rules still evaluate',
      { metric: 'kube_deployment_spec_replicas', ageMs: 300_000 },
      undefined,
      'stale sample for ready_replica_ratio (300 s old > 120 s)',
    ],
    [
      'a rule group that stopped evaluating',
      undefined,
      ['aiops-healer-recording', NOW - 200_000],
      'stale sample for ready_replica_ratio: rule group aiops-healer-recording last evaluated 200 s ago > 120 s',
    ],
    [
      'a rule group with no evaluation series (not loaded, or an older rules file)',
      undefined,
      ['aiops-healer-recording', undefined],
      `stale sample for ready_replica_ratio: rule group aiops-healer-recording has no ${RULE_GROUP_EVALUATION_RECORD} series`,
    ],
  ])('recorded freshness: %s is inconclusive', async (_n, row, group, reason) => {
    if (row) staleRows = [row];
    if (group?.[1] === undefined) evaluated.delete(group?.[0] ?? '');
    else evaluated.set(group[0], group[1]);
    serveRecorded();
    const r = (await source({ ...DEFAULTS, featureRules: 'recorded' }).fetch(targets)).get(
      'prod/a',
    );
    expect(r?.kind).toBe('inconclusive');
    expect(r?.kind === 'inconclusive' && r.reason).toContain(reason);
    // the rules' lag is one query of a series per group, not a timestamp() per recorded series
    expect(queries.filter((q) => q.includes('timestamp('))).toEqual([]);
    // the per-metric source times only when a deployment's oldest one is stale, only for it
    expect(queries.filter((q) => q.startsWith(`(${SAMPLE_TIMESTAMP_RECORD}{`))).toEqual(
      row
        ? [`(${SAMPLE_TIMESTAMP_RECORD}{namespace=~"prod", deployment=~"a"}) < (time() - 120)`]
        : [],
    );
    expect(queries).toContain(RULE_GROUP_EVALUATION_RECORD);
  });

  it('an older rules file without the evaluation series: each rule’s own lag, as before', async () => {
    probeNames = RECORDS.filter((r) => r !== RULE_GROUP_EVALUATION_RECORD);
    staleRows = [{ metric: recordedFeatureName('ready_replica_ratio'), ageMs: 200_000 }];
    serveRecorded();
    const warned: (readonly string[])[] = [];
    const r = (
      await source({ ...DEFAULTS, podJoin: 'auto', onMissingRecords: (m) => warned.push(m) }).fetch(
        targets,
      )
    ).get('prod/a');
    expect(r?.kind === 'inconclusive' && r.reason).toContain(
      'stale sample for ready_replica_ratio (200 s old > 120 s)',
    );
    expect(queries).not.toContain(RULE_GROUP_EVALUATION_RECORD);
    expect(warned).toEqual([[RULE_GROUP_EVALUATION_RECORD]]);
  });

  it('a failed evaluations query: every recorded feature fails (cannot be vouched for)', async () => {
    serveRecorded();
    const answer = server.listeners('request')[0] as (...a: unknown[]) => void;
    server.removeAllListeners('request');
    server.on(
      'request',
      (req: { url?: string }, res: { writeHead: (s: number) => { end: (b: string) => void } }) => {
        const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
        if (q === RULE_GROUP_EVALUATION_RECORD) res.writeHead(400).end('{"status":"error"}');
        else answer(req, res);
      },
    );
    const r = (await source({ ...DEFAULTS, featureRules: 'recorded' }).fetch(targets)).get(
      'prod/a',
    );
    expect(r?.kind === 'inconclusive' && r.reason).toContain('query for (rule groups)');
    expect(r?.kind === 'inconclusive' && r.sourceFailed).toBe(true);
  });

  describe('context read once per evaluation of its rule group', () => {
    const WITH_CONTEXT = {
      ...DEFAULTS,
      baseline: undefined,
      slo: true,
      featureRules: 'recorded',
    } as const;
    const p50 = recordedBaselineName('http_5xx_error_rate', 'p50');
    const p50Sent = () => queries.filter((q) => q.startsWith(`${p50}{`)).length;
    const p50Of = (r: FeatureResult | undefined) =>
      r?.kind === 'ok' ? inputOf(r).baseline?.http_5xx_error_rate?.p50 : undefined;

    it('reuses a slow group’s values until it evaluates again, then reads them anew', async () => {
      serveRecorded();
      const s = source(WITH_CONTEXT);
      const first = await s.fetch(targets);
      const cold = queries.length;
      expect(p50Sent()).toBe(1);
      expect(p50Of(first.get('prod/a'))).toBe(100);

      queries = [];
      contextValue = '200';
      const warm = await s.fetch(targets);
      expect(p50Sent()).toBe(0);
      expect(p50Of(warm.get('prod/a'))).toBe(100);
      // every group evaluated no more since: the features, freshness and evaluations only
      expect(queries).toHaveLength(FEATURE_NAMES.length + 2);
      expect(cold).toBeGreaterThan(queries.length);

      queries = [];
      evaluated.set('aiops-healer-baselines', NOW - 5_000);
      const refreshed = await s.fetch(targets);
      expect(p50Sent()).toBe(1);
      expect(p50Of(refreshed.get('prod/a'))).toBe(200);
    });

    it('a slow group that stopped evaluating: its context is dropped, cached or not', async () => {
      serveRecorded();
      const s = source(WITH_CONTEXT);
      expect(p50Of((await s.fetch(targets)).get('prod/a'))).toBe(100);
      evaluated.set('aiops-healer-baselines', NOW - 421_000);
      queries = [];
      const r = (await s.fetch(targets)).get('prod/a');
      expect(r?.kind).toBe('ok');
      expect(p50Of(r)).toBeUndefined();
      expect(p50Sent()).toBe(0);
    });

    describe('contextRefreshesPerCycle: a few re-read per cycle, the others kept', () => {
      const SLOW = ['aiops-healer-baselines', 'aiops-healer-slo-windows-long'];
      /** The recorded context series a cycle sent. */
      const contextSent = () =>
        queries.filter((q) => /^namespace_deployment:aiops_[a-z0-9_]+:[a-z0-9_]+\{/.test(q));

      it('after the 5-minute groups evaluate a cycle sends at most K, the rest follow, each once', async () => {
        serveRecorded();
        const s = source({ ...WITH_CONTEXT, contextRefreshesPerCycle: 5 });
        await s.fetch(targets);
        const all = contextSent().length;
        expect(all).toBeGreaterThan(20);
        queries = [];
        contextValue = '200';
        for (const g of SLOW) evaluated.set(g, NOW - 5_000);
        const sent: string[][] = [];
        let last;
        for (let cycle = 0; cycle < 20; cycle++) {
          queries = [];
          last = await s.fetch(targets);
          sent.push(contextSent());
        }
        expect(Math.max(...sent.map((q) => q.length))).toBe(5);
        // values until their turn are the last ones read, then the new ones
        expect(p50Of(last!.get('prod/a'))).toBe(200);
        const reread = sent.flat();
        expect(new Set(reread).size).toBe(reread.length);
        expect(reread.length).toBeGreaterThan(5);
        expect(reread.length).toBeLessThan(all);
      });

      it('without it (Infinity) the cycle after the evaluation reads every slow column at once', async () => {
        serveRecorded();
        const s = source(WITH_CONTEXT);
        await s.fetch(targets);
        for (const g of SLOW) evaluated.set(g, NOW - 5_000);
        queries = [];
        await s.fetch(targets);
        expect(contextSent().length).toBeGreaterThan(5);
      });

      it('the SLO windows are re-read on the first cycle after their group evaluates, the baselines wait', async () => {
        serveRecorded();
        const s = source({ ...WITH_CONTEXT, contextRefreshesPerCycle: 3 });
        await s.fetch(targets);
        for (const g of SLOW) evaluated.set(g, NOW - 5_000);
        queries = [];
        await s.fetch(targets);
        const sent = contextSent();
        expect(sent).toHaveLength(3);
        // the long SLO windows (30m, 1h, 6h of the error ratio first in plan order) before any
        // of the baselines evaluated at the same time
        expect(sent.every((q) => q.startsWith('namespace_deployment:aiops_slo_'))).toBe(true);
      });

      it('a column two evaluations behind is read whatever the budget', async () => {
        serveRecorded();
        // the 1-minute groups last evaluated 130 s ago (fresh: 120 s + their minute allowed)
        for (const g of ['aiops-healer-baselines-recent', 'aiops-healer-slo-windows'])
          evaluated.set(g, NOW - 130_000);
        const s = source({ ...WITH_CONTEXT, contextRefreshesPerCycle: 1 });
        await s.fetch(targets);
        const recent = recordedBaselineName('http_5xx_error_rate', 'recent');
        const recentOf = (r: FeatureResult | undefined) =>
          r?.kind === 'ok' ? inputOf(r).baseline?.http_5xx_error_rate?.recent : undefined;
        contextValue = '200';
        for (const g of ['aiops-healer-baselines-recent', 'aiops-healer-slo-windows'])
          evaluated.set(g, NOW - 5_000);
        queries = [];
        const r = await s.fetch(targets);
        expect(queries.filter((q) => q.startsWith(`${recent}{`))).toHaveLength(1);
        expect(recentOf(r.get('prod/a'))).toBe(200);
        expect(contextSent().length).toBeGreaterThan(1);
      });
    });

    describe('contextWarmupPerCycle: the cold start spread, every deployment warming until read', () => {
      /** The recorded baseline statistics and SLO windows a cycle sent. */
      const baselinesSent = () =>
        queries.filter((q) => /^namespace_deployment:aiops_[a-z0-9_]+:[a-z0-9_]+\{/.test(q));
      const isSlo = (q: string) => q.startsWith('namespace_deployment:aiops_slo_');
      const warmingOf = (r: unknown) => (r as { warming?: string }).warming;
      /** Serves the recorded series, but a 400 for the query of `name` until `stop()`. */
      const failing = (name: string): { stop(): void } => {
        serveRecorded();
        const answer = server.listeners('request')[0] as (...a: unknown[]) => void;
        let fail = true;
        server.removeAllListeners('request');
        server.on(
          'request',
          (
            req: { url?: string },
            res: { writeHead: (s: number) => { end: (b: string) => void } },
          ) => {
            const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
            if (fail && q.startsWith(`${name}{`)) {
              queries.push(q);
              res.writeHead(400).end('{"status":"error"}');
            } else answer(req, res);
          },
        );
        return { stop: () => void (fail = false) };
      };

      it('reads the SLO windows and K baseline statistics a cycle; warming until the last, then judged with all', async () => {
        serveRecorded();
        const s = source({ ...WITH_CONTEXT, contextWarmupPerCycle: 20 });
        const perCycle: { slo: number; baseline: number; warming: string | undefined }[] = [];
        const seen = new Set<string>();
        let last;
        for (let cycle = 0; cycle < 5; cycle++) {
          queries = [];
          last = (await s.fetch(targets)).get('prod/a');
          expect(last?.kind).toBe('ok');
          const sent = baselinesSent();
          for (const q of sent) if (!isSlo(q)) seen.add(q);
          perCycle.push({
            slo: sent.filter(isSlo).length,
            baseline: sent.filter((q) => !isSlo(q)).length,
            warming: warmingOf(last),
          });
        }
        expect(perCycle.map((c) => [c.slo, c.baseline])).toEqual([
          [10, 20],
          [0, 20],
          [0, 20],
          [0, 5],
          [0, 0],
        ]);
        expect(perCycle.map((c) => c.warming !== undefined)).toEqual([
          true,
          true,
          true,
          false,
          false,
        ]);
        expect(perCycle[0]!.warming).toBe(
          'own-normal context not read yet since the healer started: 45 of 75 context statistics pending, 20 read per cycle (prometheus.contextWarmupPerCycle)',
        );
        expect(seen.size).toBe(65);
        // judged with every statistic of its own normal once warm
        expect(p50Of(last)).toBe(100);
      });

      it('without it (Infinity) the cold cycle reads every column and nothing is warming', async () => {
        serveRecorded();
        const r = (await source(WITH_CONTEXT).fetch(targets)).get('prod/a');
        expect(baselinesSent()).toHaveLength(75);
        expect(warmingOf(r)).toBeUndefined();
      });

      it('a failed warm-up read is read again at once on the next cycle, as a failed read always was', async () => {
        const fail = failing(p50);
        const s = source({ ...WITH_CONTEXT, contextWarmupPerCycle: 70 });
        const cold = (await s.fetch(targets)).get('prod/a');
        expect(p50Sent()).toBe(1);
        expect(p50Of(cold)).toBeUndefined();
        // every statistic tried: no longer warming, judged without it as before
        expect(warmingOf(cold)).toBeUndefined();
        fail.stop();
        queries = [];
        const next = (await s.fetch(targets)).get('prod/a');
        expect(p50Sent()).toBe(1);
        expect(p50Of(next)).toBe(100);
      });

      it('a cold cycle that gave up (a feature failed) leaves the unsent columns to the warm-up: no burst after', async () => {
        const fail = failing(recordedFeatureName('cpu_usage_pct'));
        const s = source({ ...WITH_CONTEXT, contextWarmupPerCycle: 20 });
        expect((await s.fetch(targets)).get('prod/a')?.kind).toBe('inconclusive');
        expect(baselinesSent()).toEqual([]);
        fail.stop();
        queries = [];
        const r = (await s.fetch(targets)).get('prod/a');
        expect(baselinesSent()).toHaveLength(30);
        expect(warmingOf(r)).toBeDefined();
      });

      it('a changed scope after the warm-up reads its columns at once and is not warming again', async () => {
        serveRecorded();
        const s = source({ ...WITH_CONTEXT, contextWarmupPerCycle: 40 });
        await s.fetch(targets);
        await s.fetch(targets);
        queries = [];
        // one more deployment: a new deployment regex, every context query a new one
        const r = await s.fetch([...targets, { namespace: 'prod', name: 'b' }]);
        expect(baselinesSent()).toHaveLength(75);
        expect(warmingOf(r.get('prod/a'))).toBeUndefined();
      });

      it('a baseline group stopped at the start: no history for it, not warming for it', async () => {
        serveRecorded();
        evaluated.delete('aiops-healer-baselines');
        const s = source({ ...WITH_CONTEXT, contextWarmupPerCycle: 1000 });
        const r = (await s.fetch(targets)).get('prod/a');
        expect(warmingOf(r)).toBeUndefined();
        expect(p50Of(r)).toBeUndefined();
      });
    });

    it('a changed fleet (above 50, one query for every deployment): the cached values follow their deployment', async () => {
      serveRecorded();
      const s = source(WITH_CONTEXT);
      const fleet = Array.from({ length: 60 }, (_, i) => ({ namespace: 'prod', name: `d${i}` }));
      await s.fetch([...fleet, ...targets]);
      queries = [];
      const r = await s.fetch([{ namespace: 'prod', name: 'new' }, ...targets, ...fleet]);
      expect(p50Sent()).toBe(0);
      expect(p50Of(r.get('prod/a'))).toBe(100);
    });
  });

  it('auto falls back to the templates at query time and warns once, naming the missing series', async () => {
    probeNames = [];
    serveRecorded();
    const warned: (readonly string[])[] = [];
    const s = source({ ...DEFAULTS, podJoin: 'inline', onMissingRecords: (m) => warned.push(m) });
    expect((await s.fetch(targets)).get('prod/a')?.kind).toBe('ok');
    await s.fetch(targets);
    expect(queries.filter((q) => q.startsWith('namespace_deployment:aiops_'))).toEqual([]);
    expect(queries.filter((q) => q.startsWith('sum by (namespace, deployment)')).length).toBe(
      2 * FEATURE_NAMES.filter((f) => DEFAULT_FEATURE_QUERIES[f].startsWith('sum by')).length,
    );
    expect(warned).toHaveLength(1);
    expect(warned[0]).toEqual(
      expect.arrayContaining([recordedFeatureName('cpu_usage_pct'), SAMPLE_TIMESTAMP_RECORD]),
    );
  });

  it('inline is used as configured: no probe, no recorded series', async () => {
    serveRecorded();
    await source({ ...DEFAULTS, featureRules: 'inline' }).fetch(targets);
    expect(queries.some((q) => q.startsWith('count by (__name__)'))).toBe(false);
    expect(queries.some((q) => q.startsWith('namespace_deployment:aiops_'))).toBe(false);
  });

  it.each([1, 3])(
    'keeps at most maxConcurrentQueries=%i queries in flight against Prometheus',
    async (max) => {
      serveRecorded(20);
      const r = await source({
        ...DEFAULTS,
        featureRules: 'recorded',
        maxConcurrentQueries: max,
      }).fetch(targets);
      expect(r.get('prod/a')?.kind).toBe('ok');
      // the features, the freshness and the rule groups' evaluations
      expect(queries).toHaveLength(FEATURE_NAMES.length + 2);
      expect(peak).toBe(max);
    },
  );
});

describe('reading each answer as its bytes arrive', () => {
  let raw: Server;
  let rawUrl: string;
  /** Writes the answer to a feature's query; `body` is a healthy answer for prod/a and prod/b. */
  let respond: (
    feature: FeatureName | undefined,
    body: string,
    req: IncomingMessage,
    res: ServerResponse,
  ) => void;
  const targets = [
    { namespace: 'prod', name: 'a' },
    { namespace: 'prod', name: 'b' },
  ];
  const healthy = healthyFor(targets.map((t) => ({ ns: t.namespace, name: t.name })));
  /** The features alone: no freshness or context queries. */
  const FEATURES_ONLY = { checkSampleAge: false, baseline: false, slo: false } as const;
  const plain = (res: ServerResponse, body: string, status = 200): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };

  beforeEach(async () => {
    respond = (_f, body, _req, res) => plain(res, body);
    raw = createServer((req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      const f = featureOf(q);
      const a = f && healthy(f, q);
      respond(f, a && a !== 'hang' ? JSON.stringify(a.body) : '', req, res);
    });
    rawUrl = await listen(raw);
  });
  afterEach(() => stop(raw));

  it('an answer cut off mid-way is retried, and the cut attempt’s samples are not kept', async () => {
    let cut = 0;
    respond = (f, body, _req, res) => {
      if (f !== 'cpu_usage_pct' || cut++ > 0) return plain(res, body);
      // the first sample whole, then the connection drops
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body.slice(0, body.indexOf('"b"') + 40));
      setImmediate(() => res.socket?.destroy());
    };
    const out = await source({ url: rawUrl, ...FEATURES_ONLY }).fetch(targets);
    expect(cut).toBe(2);
    expect(out.get('prod/a')?.kind).toBe('ok');
    expect(out.get('prod/b')?.kind).toBe('ok');
  });

  it('an answer that stops arriving times out', async () => {
    respond = (f, body, _req, res) => {
      if (f !== 'cpu_usage_pct') return plain(res, body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body.slice(0, 20)); // and nothing more
    };
    const r = (
      await source({ url: rawUrl, ...FEATURES_ONLY, retries: 0, timeoutMs: 1_000 }).fetch(targets)
    ).get('prod/a');
    expect(r?.kind === 'inconclusive' && r.reason).toContain(
      'query for cpu_usage_pct: ECONNABORTED',
    );
  });

  it.each([
    [
      'an HTML page',
      '<html><body>502 Bad Gateway</body></html>',
      'answer is not JSON: <html><body>502 Bad Gateway</body></html>',
    ],
    [
      'a cut answer',
      '{"status":"success","data":{"resultType":"vec',
      'answer is not JSON: {"status":"success","data":{"resultType":"vec',
    ],
    [
      'a matrix',
      '{"status":"success","data":{"resultType":"matrix","result":[]}}',
      'expected a vector, got matrix',
    ],
    [
      'an error with 200',
      '{"status":"error","error":"x"}',
      'expected a vector, got {"status":"error","error":"x"}',
    ],
    [
      'a sample without its value',
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}}',
      'answer is not a Prometheus vector: a sample without a [time, value] pair',
    ],
  ])('%s fails the feature: %s', async (_name, answer, reason) => {
    respond = (f, body, _req, res) => plain(res, f === 'cpu_usage_pct' ? answer : body);
    const r = (await source({ url: rawUrl, ...FEATURES_ONLY }).fetch(targets)).get('prod/a');
    expect(r?.kind === 'inconclusive' && r.reason).toContain(`query for cpu_usage_pct: ${reason}`);
  });

  it('an HTTP error quotes the start of its body', async () => {
    respond = (f, body, _req, res) =>
      f === 'cpu_usage_pct' ? plain(res, `{"error":"${'x'.repeat(5000)}"}`, 422) : plain(res, body);
    const r = (await source({ url: rawUrl, ...FEATURES_ONLY }).fetch(targets)).get('prod/a');
    expect(r?.kind === 'inconclusive' && r.reason).toContain(
      `query for cpu_usage_pct: HTTP 422 {"error":"${'x'.repeat(190)}`,
    );
  });

  it('reads gzip-compressed answers (compressAnswers), counting their decompressed bytes', async () => {
    respond = (_f, body, req, res) => {
      if (req.headers['accept-encoding'] !== 'gzip') return plain(res, body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(body));
    };
    const sizes: number[] = [];
    const out = await source({
      url: rawUrl,
      ...FEATURES_ONLY,
      compressAnswers: true,
      onQuery: (_q, ok, _s, a) => void (ok && a && sizes.push(a.bytes)),
    }).fetch(targets);
    expect([...out.values()].map((r) => r.kind)).toEqual(['ok', 'ok']);
    const body = JSON.stringify((healthy('cpu_usage_pct', '') as { body: unknown }).body);
    expect(sizes).toContain(Buffer.byteLength(body));
  });
});

describe('an answer that keeps arriving', () => {
  it('is read however long it takes: the timeout bounds each pause, not the whole answer', async () => {
    const targets = [{ namespace: 'prod', name: 'a' }];
    const healthy = healthyFor([{ ns: 'prod', name: 'a' }]);
    const slow = createServer((req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      const a = healthy(featureOf(q)!, q);
      const body = a === 'hang' ? '' : JSON.stringify(a.body);
      res.writeHead(200, { 'content-type': 'application/json' });
      // 12 pieces 100 ms apart: 1.2 s in all, against a 500 ms timeout
      const size = Math.ceil(body.length / 12);
      let at = 0;
      const next = (): void => {
        res.write(body.slice(at, (at += size)));
        if (at >= body.length) res.end();
        else setTimeout(next, 100);
      };
      next();
    });
    const slowUrl = await listen(slow);
    try {
      const r = await source({
        url: slowUrl,
        checkSampleAge: false,
        baseline: false,
        slo: false,
        retries: 0,
        timeoutMs: 500,
        maxConcurrentQueries: FEATURE_NAMES.length,
      }).fetch(targets);
      expect(r.get('prod/a')?.kind).toBe('ok');
    } finally {
      await stop(slow);
    }
  });
});
