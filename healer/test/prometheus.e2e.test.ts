/**
 * End to end with a real Prometheus (Debian package) scraping the simulator: the default PromQL
 * templates from @aiops/model yield every feature for every watched deployment, one query per
 * feature, and a fault shows up in the right feature.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_FEATURE_QUERIES, FEATURE_NAMES } from '@aiops/model';
import {
  ScaledClock,
  defaultWorkload,
  startSimulator,
  type RunningSimulator,
} from '@aiops/simulator';
import { startPrometheus, type RunningPrometheus } from '@aiops/simulator/testing';
import { fileURLToPath } from 'node:url';
import type { PodJoin } from '@aiops/model/queries';
import {
  RECORDED_FEATURE_WINDOW,
  RULE_GROUP_EVALUATION_RECORD,
  SAMPLE_TIMESTAMP_MIN_RECORD,
  SAMPLE_TIMESTAMP_RECORD,
  freshnessTemplate,
  recordedFeatureName,
} from '@aiops/model/recording';
import { renderQuery } from '@aiops/model/queries';
import { PrometheusFeatureSource, type FeatureRules } from '../src/sources/prometheus.js';

const RECORDING = fileURLToPath(new URL('../../deploy/prometheus/recording.yml', import.meta.url));

const NS = 'shop';
let sim: RunningSimulator;
let prom: RunningPrometheus;
let queries = 0;

/** The source on the default templates; `aheadMs` evaluates that far in the future. */
const source = (
  aheadMs = 0,
  podJoin: PodJoin | 'auto' = 'recorded',
  at?: number,
  featureRules: FeatureRules = 'inline',
): PrometheusFeatureSource =>
  new PrometheusFeatureSource({
    podJoin,
    featureRules,
    url: prom.url,
    // the recording rules' window, so the recorded features are the same PromQL
    window: featureRules === 'inline' ? '30s' : RECORDED_FEATURE_WINDOW,
    queries: DEFAULT_FEATURE_QUERIES,
    maxSampleAgeMs: 120_000,
    timeoutMs: 5_000,
    retries: 1,
    now: () => (at ?? Date.now()) + aheadMs,
    onQuery: () => void queries++,
    // The feature queries alone; the baseline and SLO-window queries on a real Prometheus are
    // e2e/promql.e2e.test.ts's subject.
    baseline: false,
    slo: false,
  });

async function until<T>(fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

beforeAll(async () => {
  // Simulated time runs 10× so counters move; Prometheus scrapes in wall time.
  sim = await startSimulator({
    clock: new ScaledClock(10),
    workloads: [
      { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 30 },
      { ...defaultWorkload(NS, 'api'), autoheal: true, replicas: 1, baseRps: 10 },
    ],
  });
  prom = await startPrometheus({
    targets: [new URL(sim.url).host],
    scrapeInterval: '1s',
    ruleFiles: [RECORDING],
  });
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await sim?.stop();
});

describe('PrometheusFeatureSource with a real Prometheus scraping the simulator', () => {
  it('gets every feature for every deployment with one query per feature', async () => {
    const targets = [
      { namespace: NS, name: 'web' },
      { namespace: NS, name: 'api' },
    ];
    const out = await until(async () => {
      const r = await source().fetch(targets);
      return [...r.values()].every((x) => x.kind === 'ok' && x.omitted.length === 0)
        ? r
        : undefined;
    }, 60_000);
    for (const t of targets) {
      const r = out.get(`${t.namespace}/${t.name}`);
      expect(r?.kind).toBe('ok');
      if (r?.kind === 'ok') {
        expect(Object.keys(r.features).sort()).toEqual([...FEATURE_NAMES].sort());
        expect(r.features.ready_replica_ratio).toBe(1);
        expect(r.features.http_requests_per_s).toBeGreaterThan(0);
        // The gateway's source-side histogram (ms, by destination workload) of the same requests:
        // the simulated network adds no delay, so its p95 is the pods' own.
        expect(r.features.http_caller_p95_latency_seconds).toBeCloseTo(
          r.features.http_p95_latency_seconds!,
          6,
        );
      }
    }
    queries = 0;
    await source().fetch(targets);
    // one query per feature and one for the samples' own timestamps, whatever the deployments
    expect(queries).toBe(FEATURE_NAMES.length + 1);
  }, 90_000);

  it('the recorded pod → deployment join gives the same features as the inline one; auto finds it', async () => {
    const targets = [
      { namespace: NS, name: 'web' },
      { namespace: NS, name: 'api' },
    ];
    // Both evaluated at one instant a few seconds back, so they read the same samples.
    const at = Date.now() - 3_000;
    const recorded = await source(0, 'recorded', at).fetch(targets);
    const inline = await source(0, 'inline', at).fetch(targets);
    for (const t of targets) {
      const a = recorded.get(`${t.namespace}/${t.name}`);
      const b = inline.get(`${t.namespace}/${t.name}`);
      expect(a?.kind).toBe('ok');
      expect(b?.kind).toBe('ok');
      if (a?.kind !== 'ok' || b?.kind !== 'ok') continue;
      expect(Object.keys(a.features).sort()).toEqual(Object.keys(b.features).sort());
      const same = Object.entries(b.features) as [keyof typeof a.features, number][];
      for (const [f, v] of same) expect(a.features[f]).toBeCloseTo(v, 6);
    }
    const picked: string[] = [];
    const auto = new PrometheusFeatureSource({
      url: prom.url,
      window: '30s',
      queries: DEFAULT_FEATURE_QUERIES,
      maxSampleAgeMs: 120_000,
      timeoutMs: 5_000,
      retries: 1,
      now: () => Date.now(),
      onPodJoin: (j) => picked.push(j),
    });
    await auto.fetch(targets);
    expect(picked).toEqual(['recorded']);
  }, 60_000);

  it("reads the samples' own timestamps: data 200 s old is stale, though Prometheus still serves it", async () => {
    const targets = [{ namespace: NS, name: 'web' }];
    // Evaluated 200 s ahead, instant selectors still return the last samples (5 min lookback),
    // stamped with the evaluation time; only timestamp() tells their real age.
    const r = (await source(200_000).fetch(targets)).get(`${NS}/web`);
    expect(r?.kind).toBe('inconclusive');
    expect(r?.kind === 'inconclusive' && r.reason).toMatch(
      /stale sample for (memory_usage_bytes|ready_replica_ratio|unavailable_replicas) \(\d+ s old > 120 s\)/,
    );
  }, 60_000);

  it('the recorded features (recording.yml) give every feature, read as one series per deployment', async () => {
    const targets = [
      { namespace: NS, name: 'web' },
      { namespace: NS, name: 'api' },
    ];
    const sent: string[] = [];
    // A rule over a rate or a slope has no series until it has two samples: wait for every
    // recorded series (a missing one makes the source fall back), then require none missing.
    let missing: string[] = [];
    const out = await until(async () => {
      sent.length = 0;
      missing = [];
      const s = new PrometheusFeatureSource({
        url: prom.url,
        window: RECORDED_FEATURE_WINDOW,
        queries: DEFAULT_FEATURE_QUERIES,
        maxSampleAgeMs: 120_000,
        timeoutMs: 5_000,
        retries: 1,
        now: () => Date.now(),
        onQuery: (q) => void sent.push(q),
        baseline: false,
        slo: false,
        onMissingRecords: (m) => void (missing = [...m]),
      });
      const r = await s.fetch(targets);
      return missing.length === 0 &&
        [...r.values()].every((x) => x.kind === 'ok' && x.omitted.length === 0)
        ? r
        : undefined;
    }, 90_000).catch((err: unknown) => {
      expect(missing).toEqual([]); // names the series that never appeared
      throw err;
    });
    expect(missing).toEqual([]);
    for (const t of targets) {
      const r = out.get(`${t.namespace}/${t.name}`);
      if (r?.kind !== 'ok') throw new Error(`not ok: ${JSON.stringify(r)}`);
      expect(Object.keys(r.features).sort()).toEqual([...FEATURE_NAMES].sort());
      expect(r.features.ready_replica_ratio).toBe(1);
      expect(r.features.http_requests_per_s).toBeGreaterThan(0);
      expect(r.features.http_caller_p95_latency_seconds).toBeCloseTo(
        r.features.http_p95_latency_seconds!,
        6,
      );
    }
    // the probe, one query per feature, the freshness query, the rule groups' evaluations
    expect(sent).toHaveLength(FEATURE_NAMES.length + 3);
    expect(sent.filter((q) => q.includes('timestamp'))).toEqual([]);
  }, 120_000);

  it('each rule group records its evaluation time in one series, as the healer reads it', async () => {
    const read = async (): Promise<Map<string, [number, number]>> => {
      const q = `timestamp(${RULE_GROUP_EVALUATION_RECORD}) - ${RULE_GROUP_EVALUATION_RECORD}`;
      const [diff, value] = await Promise.all(
        [q, RULE_GROUP_EVALUATION_RECORD].map(async (query) => {
          const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(query)}`);
          const body = (await res.json()) as {
            data: { result: { metric: Record<string, string>; value: [number, string] }[] };
          };
          return new Map(body.data.result.map((r) => [r.metric.rule_group!, Number(r.value[1])]));
        }),
      );
      return new Map([...value!].map(([g, v]) => [g, [v, diff!.get(g)!]]));
    };
    // the groups evaluated every second (the global interval) and every minute
    const groups = await until(async () => {
      const m = await read();
      return ['aiops-healer-recording', 'aiops-healer-slo-windows'].every((g) => m.has(g))
        ? m
        : undefined;
    }, 90_000);
    for (const [, [value, sampleMinusValue]] of groups) {
      // its value is the evaluation time: the sample's own timestamp
      expect(Math.abs(sampleMinusValue)).toBeLessThan(0.001);
      expect(Date.now() / 1000 - value).toBeLessThan(90);
    }
    // one series per group, whatever the deployments
    expect(groups.size).toBeLessThanOrEqual(5);
  }, 120_000);

  it('the recorded source sample times are the ones timestamp() reads at query time', async () => {
    const scope = { namespace: NS, deployment: 'web', window: RECORDED_FEATURE_WINDOW };
    const inline = renderQuery(
      freshnessTemplate(Object.values(DEFAULT_FEATURE_QUERIES))!,
      scope,
      'recorded',
    );
    const read = async (q: string): Promise<Map<string, number>> => {
      const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return new Map(body.data.result.map((r) => [r.metric.metric!, Number(r.value[1])]));
    };
    const recorded = await read(`${SAMPLE_TIMESTAMP_RECORD}{namespace="${NS}", deployment="web"}`);
    const now = await read(inline);
    expect([...recorded.keys()].sort()).toEqual([...now.keys()].sort());
    // the rule ran within the last evaluation interval (1 s) + scrape (1 s) of the query
    for (const [m, t] of now) expect(t - recorded.get(m)!).toBeLessThanOrEqual(5);
    for (const t of recorded.values()) expect(Date.now() / 1000 - t).toBeLessThan(30);
    // the per-deployment oldest, which the cycle reads first: the oldest of the per-metric ones
    // (both from one evaluation of the group)
    const min = await read(
      `label_replace(${SAMPLE_TIMESTAMP_MIN_RECORD}{namespace="${NS}", deployment="web"}, "metric", "min", "", "") or label_replace(min(${SAMPLE_TIMESTAMP_RECORD}{namespace="${NS}", deployment="web"}), "metric", "of", "", "")`,
    );
    expect(min.get('min')).toBeGreaterThan(0);
    expect(min.get('min')).toBe(min.get('of'));
  }, 30_000);

  it("recorded features: data 200 s old is stale, as the source samples' own timestamps tell", async () => {
    const targets = [{ namespace: NS, name: 'web' }];
    const r = (await source(200_000, 'recorded', undefined, 'recorded').fetch(targets)).get(
      `${NS}/web`,
    );
    expect(r?.kind).toBe('inconclusive');
    // the source samples' own times, and the rule group's last evaluation
    expect(r?.kind === 'inconclusive' && r.reason).toMatch(
      /stale sample for \w+: rule group aiops-healer-recording last evaluated \d+ s ago > 120 s/,
    );
    // the recorded series the cycle read exist: staleness, not a missing rule
    const res = await fetch(
      `${prom.url}/api/v1/query?query=${encodeURIComponent(`count(${recordedFeatureName('cpu_usage_pct')})`)}`,
    );
    expect(((await res.json()) as { data: { result: unknown[] } }).data.result).toHaveLength(1);
  }, 60_000);

  it('an error burst shows up as http_5xx_error_rate on that deployment only', async () => {
    sim.faults.inject({
      namespace: NS,
      deployment: 'web',
      kind: 'error_burst',
      params: { errorRate: 0.4 },
    });
    const targets = [
      { namespace: NS, name: 'web' },
      { namespace: NS, name: 'api' },
    ];
    const out = await until(async () => {
      const r = await source().fetch(targets);
      const web = r.get(`${NS}/web`);
      return web?.kind === 'ok' && web.features.http_5xx_error_rate > 0.2 ? r : undefined;
    }, 60_000);
    const api = out.get(`${NS}/api`);
    expect(api?.kind === 'ok' && api.features.http_5xx_error_rate).toBeLessThan(0.05);
  }, 90_000);
});
