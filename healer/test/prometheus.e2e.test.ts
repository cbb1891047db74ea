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
import { PrometheusFeatureSource } from '../src/sources/prometheus.js';

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
): PrometheusFeatureSource =>
  new PrometheusFeatureSource({
    podJoin,
    url: prom.url,
    window: '30s',
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
