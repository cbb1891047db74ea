/**
 * Prometheus' answer to an instant query, read from its text. At 10,000 deployments a cycle reads
 * tens of MB of answers; `JSON.parse` builds an object, a label object and an array per series, all
 * alive until the answer is folded, and the garbage collector then costs more than the parse
 * itself (bench: GC 39 s and JSON.parse 18 s of CPU over two cycles and the probes). The answer
 * the healer's queries get has one shape — Prometheus' own compact encoding of a vector — so
 * `scanVector` reads that shape in one pass and keeps only the labels the source uses, into
 * arrays; anything else (an escaped string, warnings or infos, a native histogram, another key
 * order, an error, a truncated answer) is `undefined` and the caller falls back to `JSON.parse`.
 * Both paths give the caller the same `Vector`.
 */

/** One series of an answer, as the source reads it. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query's samples, walked once. */
export interface Vector {
  readonly length: number;
  /**
   * Calls `fn` with each sample in order. The sample object may be reused between calls: read
   * what you need inside `fn`, keep no reference to it.
   */
  forEach(fn: (s: VectorSample) => void): void;
}

/** The labels the Prometheus source reads from answers; a scanned answer keeps only these. */
export const SCANNED_LABELS = ['__name__', 'namespace', 'deployment', 'metric', 'rule_group'];

/** A vector parsed by `JSON.parse` (the fallback), walked as is. */
export function vectorOf(samples: readonly VectorSample[]): Vector {
  return {
    length: samples.length,
    forEach: (fn) => {
      for (const s of samples) fn(s);
    },
  };
}

const PREFIX = '{"status":"success","data":{"resultType":"vector","result":[';
const METRIC = '{"metric":{';
const VALUE = ',"value":[';
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;

/** The column of each scanned label, by name. */
type LabelColumns = Map<string, (string | undefined)[]>;

/**
 * The text between the quotes opening at `start`, or undefined when it is escaped (a backslash:
 * left to `JSON.parse`) or not closed.
 */
function stringAt(text: string, start: number): { value: string; end: number } | undefined {
  if (text.charCodeAt(start) !== QUOTE) return undefined;
  const end = text.indexOf('"', start + 1);
  if (end < 0) return undefined;
  const value = text.slice(start + 1, end);
  return value.includes('\\') ? undefined : { value, end: end + 1 };
}

/**
 * The samples of Prometheus' compact vector answer, keeping the labels in `labels`; undefined
 * for any answer that is not exactly that shape with plain strings (then parse it as JSON).
 */
export function scanVector(
  text: string,
  labels: readonly string[] = SCANNED_LABELS,
): Vector | undefined {
  let last = text.length;
  while (last > 0 && /\s/.test(text[last - 1]!)) last--;
  // no warnings, no infos: exactly the result and the closing of data and of the answer
  if (!text.startsWith(PREFIX) || !text.startsWith(']}}', last - 3)) return undefined;
  const columns: LabelColumns = new Map(labels.map((l) => [l, []]));
  const at: number[] = [];
  const values: string[] = [];
  let i = PREFIX.length;
  if (text.charCodeAt(i) === CLOSE_BRACKET)
    return i + 3 === last ? columnsVector(0, at, values, columns) : undefined;
  for (let n = 0; ; n++) {
    if (!text.startsWith(METRIC, i)) return undefined;
    i += METRIC.length;
    if (text.charCodeAt(i) === CLOSE_BRACE) i++;
    else
      for (;;) {
        const key = stringAt(text, i);
        if (!key || text.charCodeAt(key.end) !== COLON) return undefined;
        const value = stringAt(text, key.end + 1);
        if (!value) return undefined;
        const column = columns.get(key.value);
        if (column) column[n] = value.value;
        i = value.end;
        const c = text.charCodeAt(i++);
        if (c === CLOSE_BRACE) break;
        if (c !== COMMA) return undefined;
      }
    if (!text.startsWith(VALUE, i)) return undefined;
    i += VALUE.length;
    const comma = text.indexOf(',', i);
    if (comma < 0) return undefined;
    const t = text.slice(i, comma);
    // a JSON number: what Number() reads and nothing JSON would not (no hex, no Infinity, no blank)
    if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return undefined;
    const v = stringAt(text, comma + 1);
    if (!v || !text.startsWith(']}', v.end)) return undefined;
    at.push(Number(t));
    values.push(v.value);
    for (const column of columns.values()) if (column.length <= n) column[n] = undefined;
    i = v.end + 2;
    const c = text.charCodeAt(i++);
    if (c === COMMA) continue;
    if (c === CLOSE_BRACKET && i + 2 === last) return columnsVector(n + 1, at, values, columns);
    return undefined;
  }
}

function columnsVector(
  length: number,
  at: readonly number[],
  values: readonly string[],
  columns: LabelColumns,
): Vector {
  const names = [...columns.keys()];
  const cols = [...columns.values()];
  return {
    length,
    forEach: (fn) => {
      // every scanned label present (undefined when the series lacks it): one shape, no deletes
      const metric = Object.fromEntries(names.map((l) => [l, undefined])) as unknown as Record<
        string,
        string
      >;
      const value: [number, string] = [0, ''];
      const sample: VectorSample = { metric, value };
      for (let r = 0; r < length; r++) {
        for (let k = 0; k < names.length; k++) {
          metric[names[k]!] = cols[k]![r]!;
        }
        value[0] = at[r]!;
        value[1] = values[r]!;
        fn(sample);
      }
    },
  };
}
