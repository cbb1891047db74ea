import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import {
  BASELINE_QUERY_NAMES,
  PEAK_FEATURES,
  DEFAULT_FEATURE_QUERIES,
  baselineQueries,
  POD_DEPLOYMENT_RECORD,
  POD_DEPLOYMENT_RECORD_EXPR,
  renderQuery,
  sloWindowQueries,
} from '@aiops/model/queries';
import {
  RECORDED_FEATURE_WINDOW,
  recordedBaselineName,
  recordedFeatureName,
  recordedRequestRateName,
  recordedSloName,
  recordingRuleGroups,
  type RecordingRule,
  type RecordingRuleGroup,
} from '@aiops/model/recording';
import { BASELINE_FEATURES, FEATURE_NAMES } from '@aiops/model/schema';
import { DEFAULT_BASELINE_WINDOWS } from '@aiops/model/features/windows';
import { formatFindings } from '../src/errors.js';
import {
  checkDashboard,
  dashboardQueries,
  parseDashboard,
  substituteVariables,
} from '../src/grafana.js';
import { kustomize } from '../src/kube.js';
import { referencedMetrics, seriesNames } from '../src/metricNames.js';
import { repoPath } from '../src/paths.js';
import { renderPrometheusRule, renderRecordingRules } from '../src/prometheusRule.js';

const DASHBOARDS = ['aiops-healer.json', 'aiops-backend.json'];
/** Metrics the dashboards must show and the services must export. */
const KEY_METRICS = [
  'aiops_deployment_risk',
  'aiops_healer_cycle_duration_seconds_bucket',
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'model_inference_duration_seconds_bucket',
  'predictions_total',
  'model_info',
];
const read = (p: string): string => readFileSync(repoPath(p), 'utf8');

describe('Grafana dashboards', () => {
  it.each(DASHBOARDS)('%s parses and is well-formed', (file) => {
    const { dashboard, findings } = parseDashboard(read(`k8s/monitoring/dashboards/${file}`), file);
    expect(findings).toEqual([]);
    expect(formatFindings(checkDashboard(dashboard!, file))).toBe('');
    expect(dashboardQueries(dashboard!).length).toBeGreaterThan(3);
  });

  it('are shipped in a ConfigMap labelled for the kube-prometheus-stack sidecar, byte for byte', () => {
    const cm = kustomize(repoPath('k8s/monitoring')).find((o) => o.kind === 'ConfigMap')!;
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    for (const file of DASHBOARDS) {
      expect((cm.data as Record<string, string>)[file]).toBe(
        read(`k8s/monitoring/dashboards/${file}`),
      );
    }
  });

  it('use unique uids', () => {
    const uids = DASHBOARDS.map(
      (f) => (JSON.parse(read(`k8s/monitoring/dashboards/${f}`)) as { uid: string }).uid,
    );
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('cover risk per deployment, heal actions and outcomes, the healer cycle and backend RED metrics', () => {
    const all = DASHBOARDS.flatMap((f) =>
      dashboardQueries(JSON.parse(read(`k8s/monitoring/dashboards/${f}`))).map((q) => q.expr),
    ).join('\n');
    for (const metric of [
      ...KEY_METRICS,
      'aiops_healer_actions_total',
      'aiops_healer_step_outcomes_total',
    ]) {
      expect(all).toContain(metric);
    }
  });

  it('rejects the broken fixture: bad JSON, bad uid, missing datasource variable, empty expr, duplicate id, unknown variable', () => {
    expect(parseDashboard('{"panels": [', 'truncated').findings[0]?.rule).toBe('json');
    const file = 'platform/test/fixtures/grafana/broken-dashboard.json';
    const { dashboard } = parseDashboard(read(file), file);
    const rules = checkDashboard(dashboard!, file).map((f) => `${f.rule}: ${f.message}`);
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^identity: uid must be/),
        expect.stringMatching(/^datasource: no `datasource` template variable/),
        expect.stringMatching(/^datasource: panel 1 "no expr": datasource must be/),
        expect.stringMatching(/^panels: panel 1 "no expr": target A has no expr/),
        expect.stringMatching(
          /^panels: panel 1 "bad promql and unknown variable": id missing or duplicated/,
        ),
        expect.stringMatching(/^variables: .*unknown variable \$pod/),
      ]),
    );
  });

  it.each([
    ['rate(x[$__rate_interval])', 'rate(x[1m])'],
    ['increase(x[$__range])', 'increase(x[1h])'],
    ['x{namespace=~"$namespace"}', 'x{namespace=~".*"}'],
  ])('substitutes Grafana variables: %s', (input, output) => {
    expect(substituteVariables(input)).toBe(output);
  });
});

describe('alert rules', () => {
  it('the PrometheusRule embeds exactly deploy/prometheus/alerts.yml and recording.yml (run `npm run sync:generated -w platform` on drift)', () => {
    const rendered = kustomize(repoPath('k8s/monitoring')).find(
      (o) => o.kind === 'PrometheusRule',
    )!;
    expect(rendered.spec).toEqual(
      (
        parse(
          renderPrometheusRule(
            read('deploy/prometheus/alerts.yml'),
            read('deploy/prometheus/recording.yml'),
          ),
        ) as { spec: unknown }
      ).spec,
    );
    expect(rendered.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it("records the healer's pod → deployment join exactly as the feature queries read it", () => {
    const rules = (
      parse(read('deploy/prometheus/recording.yml')) as {
        groups: { rules: { record?: string; expr: string }[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    const join = rules.find((r) => r.record === POD_DEPLOYMENT_RECORD);
    expect(join?.expr).toBe(POD_DEPLOYMENT_RECORD_EXPR);
  });

  it('deploy/prometheus/recording.yml is exactly the recording rule builders (run `npm run sync:generated -w platform` on drift)', () => {
    expect(read('deploy/prometheus/recording.yml')).toBe(
      renderRecordingRules(recordingRuleGroups()),
    );
  });

  it('records each baseline statistic as the query builder computes it, over the recorded feature', () => {
    const rules = recordingRuleGroups().flatMap((g) => g.rules);
    for (const f of BASELINE_FEATURES) {
      const q = baselineQueries(
        `${recordedFeatureName(f)}{namespace=~".+", deployment=~".+"}`,
        DEFAULT_BASELINE_WINDOWS,
      );
      for (const stat of BASELINE_QUERY_NAMES) {
        const expr = rules.find((r) => r.record === recordedBaselineName(f, stat))?.expr;
        // The peak is recorded for the latency signals only (the one reader is their check).
        expect(expr).toBe(stat !== 'peak' || PEAK_FEATURES.has(f) ? q[stat] : undefined);
      }
    }
  });

  /**
   * A rule's expression with every series an earlier rule of its group records put back as that
   * rule's expression; fails when a rule reads a series recorded later (or in another group).
   */
  const expand = (group: RecordingRuleGroup, rule: RecordingRule): string => {
    let expr = rule.expr;
    const earlier = group.rules.slice(0, group.rules.indexOf(rule));
    for (const other of group.rules) {
      const read = new RegExp(`(?<![\\w:])${other.record}(?![\\w:{])`);
      if (other === rule || !read.test(expr) || other.labels) continue;
      expect(earlier).toContain(other);
      expr = expr.replace(new RegExp(read.source, 'g'), () => expand(group, other));
    }
    return expr;
  };

  it('records each feature as its default template over every namespace, read through the recorded join', () => {
    const group = recordingRuleGroups().find((g) => g.name === 'aiops-healer-recording')!;
    const scope = { namespace: '.+', deployment: '.+', window: RECORDED_FEATURE_WINDOW };
    for (const f of FEATURE_NAMES) {
      const rule = group.rules.find((r) => r.record === recordedFeatureName(f));
      // a shared part may be read from the rule that records it earlier: the same value
      expect(expand(group, rule!)).toBe(renderQuery(DEFAULT_FEATURE_QUERIES[f], scope, 'recorded'));
      // the join is recorded earlier in the same group, so each evaluation reads its own join
      expect(group.rules.findIndex((r) => r.record === POD_DEPLOYMENT_RECORD)).toBeLessThan(
        group.rules.indexOf(rule!),
      );
    }
  });

  it('records each SLO window as its query, the request rate evaluated once per window', () => {
    const groups = recordingRuleGroups();
    const scope = { namespace: '.+', deployment: '.+' };
    for (const q of sloWindowQueries(DEFAULT_FEATURE_QUERIES, scope, 'recorded')) {
      const group = groups.find((g) =>
        g.rules.some((r) => r.record === recordedSloName(q.sli, q.window)),
      )!;
      const rule = group.rules.find((r) => r.record === recordedSloName(q.sli, q.window))!;
      expect(expand(group, rule)).toBe(q.query);
      if (q.sli !== 'p95_seconds') {
        expect(rule.expr).toContain(recordedRequestRateName(q.window));
        expect(rule.expr).not.toContain('rate(http_requests_total{namespace=~".+"}');
      }
    }
  });

  it('covers the alerts the issue asks for', () => {
    const names = (
      parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: { alert: string }[] }[] }
    ).groups
      .flatMap((g) => g.rules)
      .map((r) => r.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'AiopsDeploymentHighRiskSustained',
        'AiopsHealNeedsAttention',
        'AiopsHealStepFailed',
        'AiopsHealerDown',
        'AiopsHealerNoLeader',
        'AiopsInconclusiveTooLong',
        'AiopsBackendHigh5xxRatio',
        'AiopsBackendHighP99Latency',
      ]),
    );
  });
});

describe('runbook links', () => {
  it('every alert runbook_url points at a heading that exists in docs/operations.md', () => {
    const slug = (h: string): string =>
      h
        .toLowerCase()
        .replace(/[^\w\s-]/g, '')
        .trim()
        .replace(/\s+/g, '-');
    const anchors = new Set(
      read('docs/operations.md')
        .split('\n')
        .filter((l) => /^#{1,6} /.test(l))
        .map((l) => slug(l.replace(/^#+ /, ''))),
    );
    const urls = [...read('deploy/prometheus/alerts.yml').matchAll(/runbook_url: (\S+)/g)].map(
      (m) => m[1]!,
    );
    expect(urls.length).toBeGreaterThan(3);
    for (const url of urls) {
      expect(url).toMatch(/docs\/operations\.md#/);
      expect(anchors).toContain(url.split('#')[1]);
    }
  });
});

/** The real registries of the backend and the healer, built from their source. */
async function exportedSeries(): Promise<Set<string>> {
  const src = (p: string): string => new URL(`../../${p}`, import.meta.url).href;
  const { createMetrics } = (await import(src('backend/src/metrics.ts'))) as {
    createMetrics: (o: { defaultMetrics: boolean }) => { registry: Registry };
  };
  const { HealerMetrics } = (await import(src('healer/src/metrics.ts'))) as {
    HealerMetrics: new (r: Registry) => unknown;
  };
  const { registerLeaderMetrics } = (await import(src('healer/src/leader/metrics.ts'))) as {
    registerLeaderMetrics: (r: Registry, e: object) => () => void;
  };
  const { withBudgetMetrics } = (await import(src('healer/src/budget/metrics.ts'))) as {
    withBudgetMetrics: (g: object, r: Registry) => unknown;
  };
  const healer = new Registry();
  new HealerMetrics(healer);
  registerLeaderMetrics(healer, {
    identity: 'test',
    isLeader: () => true,
    onChange: () => () => {},
  });
  withBudgetMetrics({ check: () => ({ allowed: true }), record: () => {} }, healer);
  const backend = createMetrics({ defaultMetrics: false }).registry;
  const families = [...(await healer.getMetricsAsJSON()), ...(await backend.getMetricsAsJSON())];
  return seriesNames(families.map((f) => ({ name: f.name, type: String(f.type) })));
}

describe('metric names', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = await exportedSeries();
  });

  it('reads the metrics the services register', () => {
    for (const m of [...KEY_METRICS, 'aiops_healer_leader', 'aiops_healer_budget_denials_total']) {
      expect(exported).toContain(m);
    }
  });

  it.each([
    ['deploy/prometheus/alerts.yml'],
    ['k8s/monitoring/dashboards/aiops-healer.json'],
    ['k8s/monitoring/dashboards/aiops-backend.json'],
    ['k8s/components/argo-rollouts/analysistemplate.yaml'],
  ])('%s queries only metrics the services export', (file) => {
    const used = [...referencedMetrics(read(file))];
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((m) => !exported.has(m))).toEqual([]);
  });

  it('flags a metric no service exports', () => {
    const used = referencedMetrics('rate(aiops_healer_cycles_total[5m]) + model_info');
    expect([...used].filter((m) => !exported.has(m))).toEqual(['aiops_healer_cycles_total']);
  });
});
