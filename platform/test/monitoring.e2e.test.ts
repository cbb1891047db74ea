import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { dashboardQueries } from '../src/grafana.js';
import { kustomize } from '../src/kube.js';
import { repoPath } from '../src/paths.js';
import {
  checkAlertmanagerConfig,
  checkPrometheusConfig,
  checkQueries,
  checkRuleGroups,
  runTool,
} from '../src/promtool.js';

const fixture = (p: string): string => repoPath(`platform/test/fixtures/${p}`);

describe('promtool', () => {
  it("checks the PrometheusRule's groups as rendered by kustomize", () => {
    const rule = kustomize(repoPath('k8s/monitoring')).find((o) => o.kind === 'PrometheusRule')!;
    const groups = (rule.spec as { groups: { rules: unknown[] }[] }).groups;
    const r = checkRuleGroups(groups);
    // every alert and recording rule of the groups, none dropped by promtool
    const rules = groups.reduce((n, g) => n + g.rules.length, 0);
    expect(rules).toBeGreaterThan(11);
    expect(r.output).toContain(`SUCCESS: ${rules} rules found`);
    expect(r.ok).toBe(true);
  });

  it('unit-tests the alerts: each fires on its series and not before its `for`', () => {
    const file = repoPath('deploy/prometheus/alerts.test.yml');
    const r = runTool('promtool', ['test', 'rules', file], dirname(file));
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.ok).toBe(true);
  });

  it.each(['aiops-healer.json', 'aiops-backend.json'])(
    'parses every PromQL query of dashboard %s',
    (file) => {
      const queries = dashboardQueries(
        JSON.parse(readFileSync(repoPath(`k8s/monitoring/dashboards/${file}`), 'utf8')),
      );
      const r = checkQueries(queries);
      expect(r.output).toMatch(new RegExp(`SUCCESS: ${queries.length} rules found`));
      expect(r.ok).toBe(true);
    },
  );

  it('rejects broken rules (fixture)', () => {
    const r = runTool('promtool', ['check', 'rules', fixture('prometheus/broken-rules.yml')]);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/FAILED/);
  });

  it('rejects the broken dashboard query (fixture)', () => {
    const queries = dashboardQueries(
      JSON.parse(readFileSync(fixture('grafana/broken-dashboard.json'), 'utf8')),
    );
    const r = checkQueries(queries);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/parse error|unexpected/);
  });
});

describe('promtool check config', () => {
  const localRules = (): string => repoPath('deploy/prometheus/alerts.yml');

  it('accepts the compose Prometheus configuration (rules mapped to the repository file)', () => {
    const r = checkPrometheusConfig(
      readFileSync(repoPath('deploy/prometheus/prometheus.yml'), 'utf8'),
      localRules,
    );
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.ok).toBe(true);
  });

  it('rejects a broken configuration (fixture)', () => {
    const r = checkPrometheusConfig(
      readFileSync(fixture('prometheus/broken-prometheus.yml'), 'utf8'),
      localRules,
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/FAILED/);
  });
});

describe('amtool', () => {
  it('accepts the Alertmanager Slack example', () => {
    const r = checkAlertmanagerConfig(repoPath('deploy/alertmanager/alertmanager.yml'));
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.ok).toBe(true);
  });

  it('rejects a config routing to an undefined receiver (fixture)', () => {
    const r = checkAlertmanagerConfig(fixture('alertmanager/broken-alertmanager.yml'));
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/FAILED/);
  });
});
