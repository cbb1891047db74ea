import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FEATURE_QUERIES, renderQuery } from '@aiops/model/queries';
import {
  RULE_GROUP_EVALUATION_RECORD,
  SAMPLE_TIMESTAMP_MIN_RECORD,
  SAMPLE_TIMESTAMP_RECORD,
  recordedBaselineName,
  recordedFeatureName,
  recordedSloName,
} from '@aiops/model/recording';
import { DEFAULT_BASELINE_WINDOWS } from '@aiops/model/features/windows';
import { FEATURE_NAMES, type FeatureName } from '@aiops/model/schema';
import {
  assessGroups,
  MAX_NAMES_IN_REGEX,
  planQueries,
  targetScope,
  type PlanOptions,
} from './plan.js';

const SCOPE = { namespace: 'prod', deployment: '.+', window: '2m' };
const ALL: PlanOptions = {
  queries: DEFAULT_FEATURE_QUERIES,
  scope: SCOPE,
  join: 'recorded',
  available: 'all',
  maxSampleAgeMs: 120_000,
  baseline: DEFAULT_BASELINE_WINDOWS,
  slo: true,
};
/** Features whose default template has no `{{window}}`: recorded whatever the window. */
const WINDOWLESS = FEATURE_NAMES.filter((f) => !DEFAULT_FEATURE_QUERIES[f].includes('{{window}}'));
const recorded = (o: PlanOptions): FeatureName[] =>
  planQueries(o)
    .features.filter((f) => f.record !== undefined)
    .map((f) => f.feature);

describe('planQueries', () => {
  it.each<[string, Partial<PlanOptions>, FeatureName[]]>([
    ['every default template, the rules present: all recorded', {}, [...FEATURE_NAMES]],
    ['no recorded series (inline, or the rules not loaded): none', { available: new Set() }, []],
    [
      'a custom cpu template: evaluated as written, the rest recorded',
      { queries: { ...DEFAULT_FEATURE_QUERIES, cpu_usage_pct: 'my_cpu{x="1"}' } },
      FEATURE_NAMES.filter((f) => f !== 'cpu_usage_pct'),
    ],
    [
      'a window other than the rules’: only the features without a window',
      { scope: { ...SCOPE, window: '30s' } },
      WINDOWLESS,
    ],
    [
      'only some series present (an older rules file): just those',
      {
        available: new Set([
          recordedFeatureName('replicas'),
          recordedFeatureName('memory_usage_bytes'),
        ]),
      },
      ['memory_usage_bytes', 'replicas'],
    ],
  ])('%s', (_n, over, expected) => {
    expect(recorded({ ...ALL, ...over }).sort()).toEqual([...expected].sort());
  });

  it('a recorded feature reads its series for the scope, with no per-pod work', () => {
    const cpu = planQueries(ALL).features.find((f) => f.feature === 'cpu_usage_pct')!;
    expect(cpu.query).toBe('namespace_deployment:aiops_cpu_usage_pct{namespace=~"prod"}');
    expect(cpu.query).not.toContain('rate(');
  });

  it.each([
    [
      'every deployment: no deployment matcher (no postings merge over every name)',
      '.+',
      '{namespace=~"prod"}',
    ],
    ['named deployments: matched by name', 'web|api', '{namespace=~"prod", deployment=~"web|api"}'],
  ])('%s', (_n, deployment, labels) => {
    const plan = planQueries({ ...ALL, scope: { ...SCOPE, deployment } });
    expect(plan.features.find((f) => f.feature === 'cpu_usage_pct')!.query).toBe(
      `namespace_deployment:aiops_cpu_usage_pct${labels}`,
    );
    expect(plan.freshness).toContain(`${SAMPLE_TIMESTAMP_MIN_RECORD}${labels}`);
    expect(plan.freshnessDetail!({ ...SCOPE, deployment })).toContain(
      `${SAMPLE_TIMESTAMP_RECORD}${labels}`,
    );
  });

  it('recorded freshness: the source sample times, only the stale rows; the rules’ lag per group, not per series', () => {
    const plan = planQueries(ALL);
    expect(plan.freshness).toBe(
      `(${SAMPLE_TIMESTAMP_MIN_RECORD}{namespace=~"prod"}) < (time() - 120)`,
    );
    // the per-metric source times only for the deployments found stale
    expect(plan.freshnessDetail!({ namespace: 'prod|dev', deployment: 'web', window: '2m' })).toBe(
      `(${SAMPLE_TIMESTAMP_RECORD}{namespace=~"prod|dev", deployment=~"web"}) < (time() - 120)`,
    );
    expect(plan.evaluations).toBe(RULE_GROUP_EVALUATION_RECORD);
    for (const q of [...plan.features, ...plan.context])
      expect(q.group?.group).toMatch(/^aiops-healer-/);
    expect(plan.features[0]!.group).toEqual({ group: 'aiops-healer-recording' });
    const p10 = plan.context.find((c) => c.query.includes(':p10{'))!;
    expect(p10.group).toEqual({ group: 'aiops-healer-baselines', intervalMs: 300_000 });
  });

  it('an older rules file without the groups’ evaluation series: each rule’s own lag, reported missing', () => {
    const available = new Set([...FEATURE_NAMES.map(recordedFeatureName), SAMPLE_TIMESTAMP_RECORD]);
    const plan = planQueries({ ...ALL, available, baseline: false, slo: false });
    expect(plan.evaluations).toBeUndefined();
    expect(plan.missing).toEqual([RULE_GROUP_EVALUATION_RECORD, SAMPLE_TIMESTAMP_MIN_RECORD]);
    // every deployment's per-metric source times, as before
    expect(plan.freshnessDetail).toBeUndefined();
    expect(plan.freshness).toContain(
      `(${SAMPLE_TIMESTAMP_RECORD}{namespace=~"prod"}) < (time() - 120)`,
    );
    expect(plan.features.every((f) => f.group === undefined)).toBe(true);
    for (const f of FEATURE_NAMES)
      expect(plan.freshness).toContain(
        `label_replace(timestamp(${recordedFeatureName(f)}{namespace=~"prod"}) < (time() - 120), "metric", "${recordedFeatureName(f)}", "", "")`,
      );
  });

  it('nothing recorded: no evaluations query, and its series is not reported missing', () => {
    const plan = planQueries({ ...ALL, available: new Set(), baseline: false, slo: false });
    expect(plan.evaluations).toBeUndefined();
    expect(plan.missing).not.toContain(RULE_GROUP_EVALUATION_RECORD);
  });

  it('inline freshness when a template is custom (the recorded times cover the defaults’ metrics)', () => {
    const q = planQueries({
      ...ALL,
      queries: { ...DEFAULT_FEATURE_QUERIES, replicas: 'my_replicas{namespace=~"{{namespace}}"}' },
    }).freshness!;
    expect(q).not.toContain(SAMPLE_TIMESTAMP_RECORD);
    expect(q).toContain('timestamp(my_replicas{namespace=~"prod"');
    expect(q).toContain('< (time() - 120)');
  });

  it('no freshness query without maxSampleAgeMs', () => {
    const { maxSampleAgeMs: _, ...rest } = ALL;
    expect(planQueries(rest).freshness).toBeUndefined();
  });

  it('context: the baselines and SLO windows read their recorded series, nothing per pod', () => {
    const { context } = planQueries(ALL);
    expect(context).toHaveLength(75);
    const baselines = context.filter((c) =>
      /:(p10|p50|p90|count|recent|last_week|slope|peak)\{/.test(c.query),
    );
    expect(baselines).toHaveLength(65); // 9 signals × 7, and the 2 latency signals' peak
    for (const c of baselines)
      expect(c.query.startsWith(`${recordedFeatureName(c.feature)}:`)).toBe(true);
    expect(context.map((c) => c.query)).toContain(
      `${recordedSloName('error_ratio', '6h')}{namespace=~"prod"}`,
    );
    expect(context.every((c) => !c.query.includes('rate(') && !c.query.includes('['))).toBe(true);
  });

  it('without a recorded feature its baselines are statistics over the query-time template', () => {
    const { context } = planQueries({ ...ALL, available: new Set() });
    const cpu = context.filter((c) => c.feature === 'cpu_usage_pct');
    expect(cpu).toHaveLength(7); // no peak: only the latency signals'
    for (const c of cpu) expect(c.query).toContain('rate(container_cpu_usage_seconds_total');
  });

  it('the baselines read their recorded statistics only with the default windows', () => {
    const stats = (o: PlanOptions) =>
      planQueries(o).context.filter((c) => c.query.includes(':p90{'));
    expect(stats(ALL).map((c) => c.query)).toContain(
      `${recordedBaselineName('cpu_usage_pct', 'p90')}{namespace=~"prod"}`,
    );
    expect(
      stats({ ...ALL, baseline: { ...DEFAULT_BASELINE_WINDOWS, windowSeconds: 7200 } }),
    ).toEqual([]);
  });

  it('names what it wanted and Prometheus lacks, so the fallback can warn', () => {
    const { missing, features } = planQueries({ ...ALL, available: new Set() });
    expect(missing).toEqual(
      expect.arrayContaining([
        recordedFeatureName('cpu_usage_pct'),
        SAMPLE_TIMESTAMP_RECORD,
        recordedSloName('requests', '30m'),
      ]),
    );
    // 13 features, the sample times, 10 SLO windows (no baseline statistics: they are of the
    // recorded features, which are missing too)
    expect(missing).toHaveLength(FEATURE_NAMES.length + 1 + 10);
    const cpu = features.find((f) => f.feature === 'cpu_usage_pct')!;
    expect(cpu.query).toBe(renderQuery(DEFAULT_FEATURE_QUERIES.cpu_usage_pct, SCOPE, 'recorded'));
  });

  it('custom templates everywhere want nothing recorded (no probe needed)', () => {
    const queries = Object.fromEntries(FEATURE_NAMES.map((f) => [f, `Q:${f}`])) as Record<
      FeatureName,
      string
    >;
    expect(planQueries({ ...ALL, queries, available: new Set() }).missing).toEqual([]);
  });
});

describe('assessGroups', () => {
  const NOW = 1_700_000_000_000;
  const FAST = { group: 'fast' };
  const SLOW = { group: 'slow', intervalMs: 300_000 };
  it.each<
    [string, { group: string; intervalMs?: number }, number | undefined, number | undefined, string]
  >([
    ['evaluated just now', FAST, NOW, 120_000, 'fresh'],
    ['at the age limit', FAST, NOW - 120_000, 120_000, 'fresh'],
    [
      'past the age limit',
      FAST,
      NOW - 120_001,
      120_000,
      'rule group fast last evaluated 120 s ago > 120 s',
    ],
    ['a slow group within its interval plus the limit', SLOW, NOW - 400_000, 120_000, 'fresh'],
    [
      'a slow group past its interval plus the limit',
      SLOW,
      NOW - 421_000,
      120_000,
      'rule group slow last evaluated 421 s ago > 420 s',
    ],
    [
      'no evaluation series',
      FAST,
      undefined,
      120_000,
      `rule group fast has no ${RULE_GROUP_EVALUATION_RECORD} series`,
    ],
    [
      'a NaN evaluation time',
      FAST,
      Number.NaN,
      120_000,
      `rule group fast has no ${RULE_GROUP_EVALUATION_RECORD} series`,
    ],
    ['no age check (checkSampleAge off): any age', FAST, NOW - 86_400_000, undefined, 'fresh'],
    ['no age check, and no series: still unknown', FAST, undefined, undefined, 'has no'],
  ])('%s', (_n, group, at, maxAgeMs, want) => {
    const evaluated = new Map(at === undefined ? [] : [[group.group, at]]);
    const state = assessGroups([group], evaluated, NOW, maxAgeMs).get(group.group)!;
    if (want === 'fresh') expect(state).toEqual({ at });
    else expect('stale' in state && state.stale).toContain(want);
  });

  it('empty: no groups read, no states', () => {
    expect(assessGroups([], new Map([['fast', NOW]]), NOW, 120_000).size).toBe(0);
  });
});

describe('targetScope', () => {
  /** `count` deployments `d0`, `d1`, … in namespace `prod`. */
  const fleet = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ namespace: 'prod', name: `d${i}` }));
  it.each<[string, { namespace: string; name: string }[], string, string]>([
    ['empty: empty regexes', [], '', ''],
    ['one target', [{ namespace: 'prod', name: 'web' }], 'prod', 'web'],
    [
      'namespaces and names once each, in first-seen order',
      [
        { namespace: 'prod', name: 'web' },
        { namespace: 'dev', name: 'web' },
        { namespace: 'prod', name: 'api' },
      ],
      'prod|dev',
      'web|api',
    ],
    [
      'regex characters are escaped',
      [{ namespace: 'a.b', name: 'x+y(1)' }],
      'a\\.b',
      'x\\+y\\(1\\)',
    ],
    [
      `boundary: ${MAX_NAMES_IN_REGEX} names are named`,
      fleet(MAX_NAMES_IN_REGEX),
      'prod',
      fleet(MAX_NAMES_IN_REGEX)
        .map((t) => t.name)
        .join('|'),
    ],
    [`${MAX_NAMES_IN_REGEX + 1}: every deployment`, fleet(MAX_NAMES_IN_REGEX + 1), 'prod', '.+'],
  ])('%s', (_n, targets, namespace, deployment) => {
    expect(targetScope(targets, '2m')).toEqual({ namespace, deployment, window: '2m' });
  });
});
