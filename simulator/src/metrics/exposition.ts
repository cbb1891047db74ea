/** Prometheus text exposition (format 0.0.4): families with HELP/TYPE, escaped label values. */
export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Record<string, string>;

const NEEDS_ESCAPE = /[\\"\n]/;
// One test per value: at 10,000 pods a scrape has ~3 M label values, almost none to escape.
const escapeValue = (v: string): string =>
  NEEDS_ESCAPE.test(v)
    ? v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
    : v;
const escapeHelp = (v: string): string => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Exposition {
  private readonly families = new Map<
    string,
    { type: MetricType; help: string; lines: string[] }
  >();

  family(name: string, type: MetricType, help: string): void {
    if (!this.families.has(name)) this.families.set(name, { type, help, lines: [] });
  }

  /** One sample; `name` may carry a histogram suffix (`_bucket`, `_sum`, `_count`) of `family`. */
  sample(family: string, name: string, labels: Labels, value: number): void {
    const f = this.families.get(family);
    if (!f) throw new Error(`metric family ${family} not declared`);
    let l = '';
    for (const k in labels) l += `${l ? ',' : ''}${k}="${escapeValue(labels[k]!)}"`;
    f.lines.push(`${name}{${l}} ${formatValue(value)}`);
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      if (f.lines.length === 0) continue;
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
      // Not `push(...f.lines)`: spreading a family of ~100k samples overflows the call stack.
      for (const line of f.lines) out.push(line);
    }
    return out.join('\n') + '\n';
  }
}
