import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FEATURE_QUERIES, renderQuery } from '@aiops/model/queries';
import {
  SAMPLE_TIMESTAMP_RECORD,
  recordedBaselineName,
  recordedFeatureName,
  recordedSloName,
} from '@aiops/model/recording';
import { DEFAULT_BASELINE_WINDOWS } from '@aiops/model/features/windows';
import { FEATURE_NAMES, type FeatureName } from '@aiops/model/schema';
import { planQueries, type PlanOptions } from './plan.js';

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
    expect(plan.freshness).toContain(`${SAMPLE_TIMESTAMP_RECORD}${labels}`);
  });

  it('recorded freshness: the source sample times and each rule’s own lag, only the stale rows', () => {
    const q = planQueries(ALL).freshness!;
    expect(q).toContain(`(${SAMPLE_TIMESTAMP_RECORD}{namespace=~"prod"}) < (time() - 120)`);
    for (const f of FEATURE_NAMES)
      expect(q).toContain(
        `label_replace(timestamp(${recordedFeatureName(f)}{namespace=~"prod"}) < (time() - 120), "metric", "${recordedFeatureName(f)}", "", "")`,
      );
    expect(q).not.toContain('container_cpu_usage_seconds_total');
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
    expect(context).toHaveLength(73);
    const baselines = context.filter((c) =>
      /:(p10|p50|p90|count|recent|last_week|slope)\{/.test(c.query),
    );
    expect(baselines).toHaveLength(63);
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
    expect(cpu).toHaveLength(7);
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
