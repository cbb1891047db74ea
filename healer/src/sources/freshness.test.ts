/**
 * What the freshness answer and the rule groups' states do to one deployment's samples, as
 * tables. The queries themselves are tested against a local server in prometheus.test.ts and
 * against a real Prometheus in test/prometheus.e2e.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { FeatureName } from '@aiops/model/schema';
import { applyGroups, applySampleTimes, type StaleTimes } from './freshness.js';
import type { GroupState } from './plan.js';
import type { Sample } from './vector.js';

const T = 1_700_000_000_000;
const CPU: FeatureName = 'cpu_usage_pct';
const MEM: FeatureName = 'memory_usage_bytes';
const value = (at: number, v = 1): Sample => ({ kind: 'value', value: v, at });
/** The metrics each feature's template reads. */
const METRICS: Partial<Record<FeatureName, readonly string[]>> = {
  [CPU]: ['container_cpu_usage_seconds_total', 'kube_pod_container_resource_limits'],
  [MEM]: ['container_memory_working_set_bytes'],
};
const metricsOf = (f: FeatureName): readonly string[] => METRICS[f] ?? [];

describe('applySampleTimes (deployment 0)', () => {
  const stale = (times: Record<string, number>): StaleTimes =>
    new Map([[0, new Map(Object.entries(times))]]);
  it.each<[string, StaleTimes, Map<FeatureName, string | undefined>, Sample[], Sample[]]>([
    ['no freshness query: as they are', undefined, new Map(), [value(T)], [value(T)]],
    ['empty answer (the steady state): as they are', new Map(), new Map(), [value(T)], [value(T)]],
    [
      'another deployment is stale: as they are',
      new Map([[1, new Map([['container_cpu_usage_seconds_total', T - 600_000]])]]),
      new Map(),
      [value(T)],
      [value(T)],
    ],
    [
      'a stale metric of the feature: its time',
      stale({ container_cpu_usage_seconds_total: T - 600_000 }),
      new Map(),
      [value(T)],
      [value(T - 600_000)],
    ],
    [
      'several: the oldest',
      stale({
        container_cpu_usage_seconds_total: T - 300_000,
        kube_pod_container_resource_limits: T - 600_000,
      }),
      new Map(),
      [value(T)],
      [value(T - 600_000)],
    ],
    [
      'a metric time newer than the sample keeps the sample’s',
      stale({ container_cpu_usage_seconds_total: T + 1 }),
      new Map(),
      [value(T)],
      [value(T)],
    ],
    [
      'another feature’s metric: skipped',
      stale({ container_memory_working_set_bytes: T - 600_000 }),
      new Map(),
      [value(T)],
      [value(T)],
    ],
    [
      'the recorded series’ own sample (a rule that stopped) counts too',
      stale({ 'namespace_deployment:aiops_cpu:x': T - 600_000 }),
      new Map([[CPU, 'namespace_deployment:aiops_cpu:x']]),
      [value(T)],
      [value(T - 600_000)],
    ],
    [
      'a NaN value keeps its kind (buildInstance judges it)',
      stale({ container_cpu_usage_seconds_total: T - 600_000 }),
      new Map(),
      [value(T, Number.NaN)],
      [value(T - 600_000, Number.NaN)],
    ],
    [
      'a failed freshness query fails every value, not the others',
      { failed: 'query for (freshness): HTTP 503 ' },
      new Map(),
      [value(T), { kind: 'failed', reason: 'x' }],
      [
        { kind: 'failed', reason: 'query for (freshness): HTTP 503 ' },
        { kind: 'failed', reason: 'x' },
      ],
    ],
  ])('%s', (_n, times, recordOf, [cpu, mem], expected) => {
    const samples = new Map<FeatureName, Sample>([[CPU, cpu!], ...(mem ? [[MEM, mem]] : [])] as [
      FeatureName,
      Sample,
    ][]);
    applySampleTimes(samples, times, 0, recordOf, metricsOf);
    expect([...samples.values()]).toEqual(expected);
  });
});

describe('applyGroups', () => {
  const G = { group: 'aiops-healer-features' };
  it.each<
    [
      string,
      { group: string } | undefined,
      GroupState | undefined,
      string | undefined,
      Sample,
      Sample,
    ]
  >([
    ['not recorded (no group): as it is', undefined, undefined, undefined, value(T), value(T)],
    [
      'its group evaluated after the sample: the sample’s time',
      G,
      { at: T + 1 },
      undefined,
      value(T),
      value(T),
    ],
    ['boundary: evaluated at the sample’s time', G, { at: T }, undefined, value(T), value(T)],
    [
      'evaluated before: as old as the evaluation',
      G,
      { at: T - 60_000 },
      undefined,
      value(T),
      value(T - 60_000),
    ],
    [
      'its group stale: stale, with why',
      G,
      { stale: 'rule group aiops-healer-features last evaluated 600 s ago > 150 s' },
      undefined,
      value(T),
      {
        kind: 'stale',
        reason: 'rule group aiops-healer-features last evaluated 600 s ago > 150 s',
      },
    ],
    [
      'its group not assessed: stale',
      G,
      undefined,
      undefined,
      value(T),
      { kind: 'stale', reason: 'rule group aiops-healer-features not assessed' },
    ],
    [
      'the evaluations query failed: failed, whatever the state',
      G,
      { at: T },
      'query for (rule groups): ECONNABORTED',
      value(T),
      { kind: 'failed', reason: 'query for (rule groups): ECONNABORTED' },
    ],
    [
      'a sample that is no value is left alone',
      G,
      { stale: 'x' },
      'y',
      { kind: 'failed', reason: 'z' },
      { kind: 'failed', reason: 'z' },
    ],
  ])('%s', (_n, group, state, failed, sample, expected) => {
    const samples = new Map<FeatureName, Sample>([[CPU, sample]]);
    const groups = new Map(state ? [[G.group, state]] : []);
    applyGroups(samples, [{ feature: CPU, ...(group ? { group } : {}) }], groups, failed);
    expect(samples.get(CPU)).toEqual(expected);
  });

  it('no features: nothing changes', () => {
    const samples = new Map<FeatureName, Sample>([[CPU, value(T)]]);
    applyGroups(samples, [], new Map(), 'failed');
    expect(samples.get(CPU)).toEqual(value(T));
  });
});
