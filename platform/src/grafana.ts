/**
 * Checks Grafana dashboard JSON: it parses, has the identity Grafana needs to provision it, every
 * panel queries the templated Prometheus datasource, and every query can be extracted for promtool
 * (Grafana's macros and variables substituted with representative values).
 */
import type { Finding } from './errors.js';

interface Target {
  refId?: string;
  expr?: string;
}
interface Panel {
  id?: number;
  title?: string;
  type?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
export interface Dashboard {
  uid?: string;
  title?: string;
  panels?: Panel[];
  templating?: { list?: { name?: string; type?: string }[] };
}

/** One PromQL expression of a panel. */
export interface PanelQuery {
  panel: string;
  expr: string;
}

/** Grafana macros and our variables, replaced by values Prometheus accepts. */
const SUBSTITUTIONS: [RegExp, string][] = [
  [/\$__rate_interval/g, '1m'],
  [/\$__interval/g, '1m'],
  [/\$__range/g, '1h'],
  [/\$namespace/g, '.*'],
];

/** Expression as Prometheus would receive it from Grafana. */
export function substituteVariables(expr: string): string {
  return SUBSTITUTIONS.reduce((e, [re, v]) => e.replace(re, v), expr);
}

function panelsOf(d: Dashboard): Panel[] {
  return (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Parses dashboard JSON text; a syntax error is a finding, not a throw. */
export function parseDashboard(
  text: string,
  source: string,
): { dashboard?: Dashboard; findings: Finding[] } {
  try {
    return { dashboard: JSON.parse(text) as Dashboard, findings: [] };
  } catch (err) {
    return { findings: [{ object: source, rule: 'json', message: (err as Error).message }] };
  }
}

/** Structural findings for one dashboard. */
export function checkDashboard(d: Dashboard, source: string): Finding[] {
  const out: Finding[] = [];
  const add = (rule: string, message: string): void => {
    out.push({ object: source, rule, message });
  };
  if (!d.uid || !/^[a-zA-Z0-9_-]{1,40}$/.test(d.uid))
    add('identity', `uid must be 1–40 of [a-zA-Z0-9_-], got ${String(d.uid)}`);
  if (!d.title) add('identity', 'title is missing');
  const vars = new Set((d.templating?.list ?? []).map((v) => v.name));
  if (!vars.has('datasource')) add('datasource', 'no `datasource` template variable');
  const panels = panelsOf(d);
  if (panels.length === 0) add('panels', 'no panels');
  const ids = new Set<number>();
  for (const p of panels) {
    const name = `panel ${String(p.id)} "${p.title ?? ''}"`;
    if (p.type === 'row') continue;
    if (p.id === undefined || ids.has(p.id)) add('panels', `${name}: id missing or duplicated`);
    else ids.add(p.id);
    if (p.datasource?.uid !== '${datasource}')
      add('datasource', `${name}: datasource must be \${datasource}`);
    if ((p.targets ?? []).length === 0) add('panels', `${name}: no targets`);
    for (const t of p.targets ?? []) {
      if (!t.expr?.trim()) add('panels', `${name}: target ${String(t.refId)} has no expr`);
      const unknown = [...(t.expr ?? '').matchAll(/\$(\w+)/g)]
        .map((m) => m[1] as string)
        .filter((v) => !v.startsWith('__') && !vars.has(v));
      if (unknown.length > 0) add('variables', `${name}: unknown variable $${unknown.join(', $')}`);
    }
  }
  return out;
}

/** Every query of a dashboard with variables substituted, for promtool. */
export function dashboardQueries(d: Dashboard): PanelQuery[] {
  return panelsOf(d).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => t.expr)
      .map((t) => ({
        panel: `${String(p.id)} ${p.title ?? ''}`,
        expr: substituteVariables(t.expr as string),
      })),
  );
}
