/**
 * Runs the real Prometheus and Alertmanager tools (Debian `prometheus`, `prometheus-alertmanager`)
 * on files written to a temporary directory. Used by the e2e suites only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { PanelQuery } from './grafana.js';

export interface ToolResult {
  ok: boolean;
  output: string;
}

/** Runs a binary; a binary that cannot start is a failed result naming it. */
export function runTool(bin: string, args: string[], cwd?: string): ToolResult {
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd });
  if (r.error) return { ok: false, output: `cannot run ${bin}: ${r.error.message}` };
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

function withTempFile<T>(name: string, text: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'aiops-platform-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `promtool check rules` on rule groups (e.g. a PrometheusRule's spec.groups). */
export function checkRuleGroups(groups: unknown): ToolResult {
  return withTempFile('rules.yml', stringify({ groups }), (p) =>
    runTool('promtool', ['check', 'rules', p]),
  );
}

/** Checks PromQL expressions by wrapping each in a recording rule for `promtool check rules`. */
export function checkQueries(queries: readonly PanelQuery[]): ToolResult {
  const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}:check`, expr: q.expr }));
  return checkRuleGroups([{ name: 'dashboard-queries', rules }]);
}

/**
 * `promtool check config` on a Prometheus configuration whose rule files are container paths:
 * each `rule_files` entry is mapped to a local file first (by `mapRuleFile`).
 */
export function checkPrometheusConfig(
  text: string,
  mapRuleFile: (path: string) => string,
): ToolResult {
  const config = parse(text) as { rule_files?: string[] };
  config.rule_files = (config.rule_files ?? []).map(mapRuleFile);
  return withTempFile('prometheus.yml', stringify(config), (p) =>
    runTool('promtool', ['check', 'config', p]),
  );
}

/** `amtool check-config` on an Alertmanager configuration file. */
export function checkAlertmanagerConfig(path: string): ToolResult {
  return runTool('amtool', ['check-config', path]);
}
