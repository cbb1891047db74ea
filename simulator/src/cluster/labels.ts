import { badRequest } from './errors.js';
import type { KubeObject, LabelSelector } from './types.js';

export type Requirement = { key: string; op: 'in' | 'notin' | 'exists' | '!'; values: string[] };

/** Parses a label selector string (`app=web,tier!=db,env in (dev,prod),!legacy`). */
export function parseLabelSelector(text: string | null | undefined): Requirement[] {
  if (!text) return [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p): Requirement => {
      let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p);
      if (m) {
        const values = m[3]!.split(',').map((v) => v.trim());
        return { key: m[1]!, op: m[2] as 'in' | 'notin', values };
      }
      m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(p);
      if (m) return { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
      m = /^!([\w./-]+)$/.exec(p);
      if (m) return { key: m[1]!, op: '!', values: [] };
      m = /^([\w./-]+)$/.exec(p);
      if (m) return { key: m[1]!, op: 'exists', values: [] };
      throw badRequest(`unable to parse requirement: invalid label selector "${p}"`);
    });
}

export function matchesRequirements(
  labels: Record<string, string> | undefined,
  reqs: Requirement[],
): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case '!':
        return !has;
    }
  });
}

/** Matches a structured `LabelSelector` (deployments, replica sets). Empty selects everything. */
export function matchesSelector(
  labels: Record<string, string> | undefined,
  sel: LabelSelector,
): boolean {
  const reqs: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({
    key,
    op: 'in',
    values: [v],
  }));
  for (const e of sel.matchExpressions ?? []) {
    const op =
      e.operator === 'In'
        ? 'in'
        : e.operator === 'NotIn'
          ? 'notin'
          : e.operator === 'Exists'
            ? 'exists'
            : '!';
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return matchesRequirements(labels, reqs);
}

/** The string form of a selector, as `Scale.status.selector` and kubectl show it. */
export function selectorString(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In' || e.operator === 'NotIn')
      parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`);
    else parts.push(e.operator === 'Exists' ? e.key : `!${e.key}`);
  }
  return parts.join(',');
}

/** Field selectors: the `metadata.name` / `metadata.namespace` equality the clients use. */
export function matchesFieldSelector(obj: KubeObject, text: string | null | undefined): boolean {
  if (!text) return true;
  return text.split(',').every((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
    if (!m) throw badRequest(`invalid field selector: "${term}"`);
    const value = fieldValue(obj, m[1]!);
    if (value === undefined) throw badRequest(`field label not supported: ${m[1]}`);
    return m[2] === '!=' ? value !== m[3] : value === m[3];
  });
}

function fieldValue(obj: KubeObject, path: string): string | undefined {
  if (path === 'metadata.name') return obj.metadata.name;
  if (path === 'metadata.namespace') return obj.metadata.namespace ?? '';
  if (path === 'spec.nodeName') return String((obj.spec as { nodeName?: string })?.nodeName ?? '');
  if (path === 'status.phase') return String((obj.status as { phase?: string })?.phase ?? '');
  if (path.startsWith('involvedObject.')) {
    const io = (obj.involvedObject ?? {}) as Record<string, unknown>;
    return String(io[path.slice('involvedObject.'.length)] ?? '');
  }
  if (path === 'reason' || path === 'type') return String(obj[path] ?? '');
  return undefined;
}
