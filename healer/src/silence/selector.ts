/**
 * Equality- and set-based label selectors as `kubectl -l` takes them (`app=web,tier!=db,canary,
 * !legacy,env in (prod,stage),env notin (dev)`), parsed once and matched purely.
 */

export type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | 'absent' };

/** Raised for a selector that does not parse; the message names the part. */
export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

const KEY =
  /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits on commas outside parentheses. */
function parts(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim());
}

export function parseSelector(selector: string): Requirement[] {
  if (selector.trim() === '') throw new SelectorError('label selector is empty');
  return parts(selector).map((p) => {
    const key = (k: string): string => {
      if (!KEY.test(k)) throw new SelectorError(`label selector: "${k}" is not a label key`);
      return k;
    };
    const value = (v: string): string => {
      if (!VALUE.test(v) || v.length > 63)
        throw new SelectorError(`label selector: "${v}" is not a label value`);
      return v;
    };
    let m = /^(.+?)\s+(in|notin)\s+\((.*)\)$/.exec(p);
    if (m)
      return {
        key: key(m[1]!.trim()),
        op: m[2] as 'in' | 'notin',
        values: m[3]!.split(',').map((v) => value(v.trim())),
      };
    m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(p);
    if (m)
      return {
        key: key(m[1]!.trim()),
        op: m[2] === '!=' ? 'notin' : 'in',
        values: [value(m[3]!.trim())],
      };
    if (p.startsWith('!')) return { key: key(p.slice(1).trim()), op: 'absent' };
    return { key: key(p), op: 'exists' };
  });
}

export function matchesSelector(
  requirements: readonly Requirement[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'absent':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}
