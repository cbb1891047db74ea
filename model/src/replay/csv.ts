/**
 * The replay file format: long-format CSV, one row per deployment per step —
 * `timestamp,namespace,deployment,<feature columns…>` with any subset of the schema's feature
 * names, in any column order and case. Written by tools we do not know, so it reads what they
 * ordinarily write: `,`, `;` or tab separators, a BOM, CRLF; ISO 8601 times (UTC unless a zone is
 * written) or epoch numbers (unit by magnitude); `NaN`, `NA`, `null`, `±Inf` and empty cells as
 * missing values; other columns left out and named. Parsing is line by line (the file is never one
 * string), and every problem names the line (the header is line 1) and the column. The rules, as a
 * table: model/README.md, "Replay / backtest".
 */
import { FEATURES, FEATURE_NAMES, type FeatureName } from '../schema.js';

/** A replay file problem, naming the line and, when there is one, the column. */
export class ReplayCsvError extends Error {
  override readonly name = 'ReplayCsvError';
  constructor(
    readonly line: number,
    readonly column: string | undefined,
    message: string,
  ) {
    super(
      column === undefined
        ? `line ${line}: ${message}`
        : `line ${line}, column ${column}: ${message}`,
    );
  }
}

export const KEY_COLUMNS = ['timestamp', 'namespace', 'deployment'] as const;
const N = FEATURES.length;
const INDEX = new Map<string, number>(FEATURE_NAMES.map((n, i) => [n, i]));

/** Parsed rows, column-oriented. Feature values are NaN where the cell was empty or the column absent. */
export interface ReplayTable {
  /** Unix seconds per row. */
  t: Float64Array;
  /** The timestamp cell as written, echoed in the output. */
  timestampText: string[];
  /** Index into `series` per row. */
  seriesOf: Int32Array;
  /** `namespace/deployment` keys, and their parts. */
  series: { namespace: string; deployment: string }[];
  /** rows × FEATURES.length, schema order. */
  values: Float64Array;
  rows: number;
  /** Features that have a column in the file. */
  columns: FeatureName[];
  /** The `label` column (0/1) of a training file, when asked for. */
  labels?: Uint8Array;
  /** Header names that are neither key columns nor feature names, left out (as written). */
  ignoredColumns: string[];
  /** Cells outside their feature's valid range, read as missing values; the first one's problem. */
  outOfRange: { cells: number; first?: string };
}

/**
 * Row `r`'s cells into `present` (cleared first unless `merge`): the features present, as the
 * healer's queries would have returned them; empty cells are left out. With `merge` the row's
 * cells are laid over what `present` holds; returns how many of them replaced a different value.
 */
export function readRow(
  table: ReplayTable,
  r: number,
  present: Partial<Record<FeatureName, number>>,
  merge = false,
): number {
  const n = FEATURE_NAMES.length;
  if (!merge) for (const k of Object.keys(present)) delete present[k as FeatureName];
  let replaced = 0;
  for (let f = 0; f < n; f++) {
    const v = table.values[r * n + f] as number;
    if (v !== v) continue;
    const name = FEATURE_NAMES[f] as FeatureName;
    const before = present[name];
    if (before !== undefined && before !== v) replaced++;
    present[name] = v;
  }
  return replaced;
}

export interface TableOptions {
  /** A `label` column (0 or 1) is required: a training file. */
  label?: boolean;
  /**
   * Refuse what is otherwise left out with a note: columns that are neither key columns nor
   * feature names, and values outside their feature's valid range.
   */
  strict?: boolean;
}

/** Field separators a header may use: the comma, or the semicolon and tab of spreadsheets. */
export type Delimiter = ',' | ';' | '\t';

/**
 * The separator of a file, from its header: whichever of `,` `;` tab occurs most outside quotes
 * (a comma on a tie). European spreadsheets write `;` because their decimal sign is the comma.
 */
export function detectDelimiter(header: string): Delimiter {
  const count = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const c of header) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ',' || c === ';' || c === '\t')) count[c]++;
  }
  if (count[';'] > count[','] && count[';'] >= count['\t']) return ';';
  return count['\t'] > count[','] ? '\t' : ',';
}

/** Splits one CSV line (RFC 4180 quoting, no embedded newlines); cells are trimmed. */
export function splitCsvLine(line: string, lineNo: number, delimiter: Delimiter = ','): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === '"' && cur.trim() === '') {
      // A quoted cell, maybe after a space (`a, "b,c"`).
      quoted = true;
      cur = '';
    } else if (c === delimiter) {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new ReplayCsvError(lineNo, undefined, 'unterminated quoted field');
  cells.push(cur);
  return cells.map((s) => s.trim());
}

/**
 * An epoch number's unit, by its magnitude, as pandas, Spark and most exporters guess it: unix
 * seconds up to 1e11 (the year 5138), milliseconds up to 1e14, microseconds up to 1e17, else
 * nanoseconds. Any time since March 1973 is told apart without a flag; a fraction is kept.
 */
const EPOCH_UNITS: readonly [atLeast: number, perSecond: number][] = [
  [1e17, 1e9],
  [1e14, 1e6],
  [1e11, 1e3],
];
const EPOCH = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
/**
 * ISO 8601 / RFC 3339 as tools write it: `T` or a space between date and time, seconds and a
 * fraction optional, the zone `Z`, `±hh`, `±hhmm`, `±hh:mm`, ` UTC`/` GMT`, or none — and none
 * means UTC, not the zone of the machine replaying the file (which `Date.parse` would use).
 */
const ISO =
  /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?\s*(z|utc|gmt|[+-]\d\d(?::?\d\d)?)?$/i;

/**
 * A timestamp cell → unix seconds; undefined when it is neither an ISO 8601 time nor an epoch
 * number (seconds, ms, µs or ns by magnitude: {@link EPOCH_UNITS}) or names no real time
 * (`2024-02-30`, `25:00`).
 */
export function parseTimestamp(text: string): number | undefined {
  const t = text.trim();
  if (EPOCH.test(t)) {
    const x = Number(t);
    if (!Number.isFinite(x)) return undefined;
    const unit = EPOCH_UNITS.find(([atLeast]) => Math.abs(x) >= atLeast);
    return unit ? x / unit[1] : x;
  }
  const m = ISO.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, hh = '0', mi = '0', ss = '0', frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(hh);
  const minute = Number(mi);
  const second = Number(ss);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zone !== undefined && /^[+-]/.test(zone)) {
    const digits = zone.slice(1).replace(':', ''); // hh or hhmm
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return undefined;
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const whole = Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
  return whole + (frac === undefined ? 0 : Number(`0.${frac}`)) - offset;
}

/**
 * Cells that mean "no value", as Prometheus (`NaN`: histogram_quantile over no requests), pandas
 * (`NaN`, `nan`), R (`NA`), C's printf (`-nan`), databases and JSON tools (`null`, `None`) and
 * spreadsheets (`#N/A`) write it; compared in lower case.
 */
const MISSING_CELLS = new Set(['', 'nan', '-nan', '+nan', 'na', 'n/a', '#n/a', 'null', 'none']);
/**
 * Infinities (Prometheus writes `+Inf` for a ratio over zero): the healer cannot use an infinite
 * sample any more than a NaN one (`healer/src/sources/vector.ts` omits an optional feature and holds
 * on a required one), so replay reads them as missing values too.
 */
const INFINITE_CELLS = new Set(['inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);

const DECIMAL_COMMA = /^[+-]?\d*,\d+$/;

/**
 * A feature cell → its value, NaN for a missing value (empty, NaN, NA, null, ±Inf…), undefined when
 * it is neither. `decimalComma`: `0,5` is 0.5 (a `;`-separated file, whose comma is free for it).
 */
export function parseCell(cell: string, decimalComma = false): number | undefined {
  if (cell === '') return NaN; // Number('') is 0
  const v = Number(cell);
  if (Number.isFinite(v)) return v;
  if (decimalComma && DECIMAL_COMMA.test(cell)) return Number(cell.replace(',', '.'));
  const lower = cell.toLowerCase();
  return MISSING_CELLS.has(lower) || INFINITE_CELLS.has(lower) ? NaN : undefined;
}

const SEPARATORS_ONLY = /^[\s,;]*$/;

/** Builds a table from lines, one at a time; `finish` returns it. */
export class ReplayTableBuilder {
  private header: string[] | undefined;
  private col: { ts: number; ns: number; dep: number; features: [number, number][] } | undefined;
  private t: number[] = [];
  private text: string[] = [];
  private seriesOf: number[] = [];
  private readonly seriesIndex = new Map<string, number>();
  private readonly series: { namespace: string; deployment: string }[] = [];
  private values = new Float64Array(1024 * N);
  private rows = 0;
  private lineNo = 0;
  private columns: FeatureName[] = [];
  private labels: number[] = [];
  private labelCol = -1;
  private readonly ignored: string[] = [];
  private readonly outOfRange: ReplayTable['outOfRange'] = { cells: 0 };
  private delimiter: Delimiter = ',';

  constructor(private readonly opts: TableOptions = {}) {}

  /** Feeds the next line of the file. */
  push(raw: string): void {
    this.lineNo++;
    const lineNo = this.lineNo;
    if (this.header === undefined) {
      const line = raw.replace(/^\uFEFF/, '');
      if (line.trim() === '') throw new ReplayCsvError(lineNo, undefined, 'the header is empty');
      this.delimiter = detectDelimiter(line);
      this.readHeader(splitCsvLine(line, lineNo, this.delimiter), lineNo);
      return;
    }
    // Blank lines and lines of separators only (a spreadsheet's formatted empty rows) hold no row.
    if (SEPARATORS_ONLY.test(raw)) return;
    const cells = splitCsvLine(raw, lineNo, this.delimiter);
    const header = this.header;
    const col = this.col!;
    if (cells.length !== header.length) {
      throw new ReplayCsvError(
        lineNo,
        undefined,
        `has ${cells.length} fields, the header has ${header.length}`,
      );
    }
    const tsText = cells[col.ts] as string;
    const t = parseTimestamp(tsText);
    if (t === undefined) {
      throw new ReplayCsvError(
        lineNo,
        'timestamp',
        `"${tsText.slice(0, 60)}" is not an ISO 8601 time or an epoch number (s, ms, µs or ns)`,
      );
    }
    const namespace = cells[col.ns] as string;
    const deployment = cells[col.dep] as string;
    if (namespace === '') throw new ReplayCsvError(lineNo, 'namespace', 'is empty');
    if (deployment === '') throw new ReplayCsvError(lineNo, 'deployment', 'is empty');
    const key = `${namespace}/${deployment}`;
    let s = this.seriesIndex.get(key);
    if (s === undefined) {
      s = this.series.length;
      this.seriesIndex.set(key, s);
      this.series.push({ namespace, deployment });
    }
    if ((this.rows + 1) * N > this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    const base = this.rows * N;
    this.values.fill(NaN, base, base + N);
    for (const [cellIndex, f] of col.features) {
      const cell = cells[cellIndex] as string;
      const spec = FEATURES[f]!;
      const v = parseCell(cell, this.delimiter === ';');
      if (v === undefined) {
        throw new ReplayCsvError(
          lineNo,
          spec.name,
          `"${cell.slice(0, 60)}" is not a number, nor a missing value (empty, NaN, NA, null, None, ±Inf)`,
        );
      }
      if (v !== v) continue;
      if (v < spec.min || v > spec.max) {
        const e = new ReplayCsvError(
          lineNo,
          spec.name,
          `${v} is outside the valid range [${spec.min}, ${spec.max}] (${spec.unit})`,
        );
        // The healer cannot use such a sample either (it omits an optional feature and holds on
        // a required one): a missing value, counted and shown, unless the file must be exact.
        if (this.opts.strict) throw e;
        this.outOfRange.cells++;
        this.outOfRange.first ??= e.message;
        continue;
      }
      this.values[base + f] = v;
    }
    if (this.opts.label) {
      const cell = cells[this.labelCol] as string;
      if (cell !== '0' && cell !== '1')
        throw new ReplayCsvError(lineNo, 'label', `"${cell.slice(0, 20)}" must be 0 or 1`);
      this.labels.push(cell === '1' ? 1 : 0);
    }
    this.t.push(t);
    this.text.push(tsText);
    this.seriesOf.push(s);
    this.rows++;
  }

  private readHeader(written: string[], lineNo: number): void {
    // Names match in any case ("Timestamp", "CPU_USAGE_PCT"); surrounding spaces are trimmed.
    const names = written.map((h) => h.toLowerCase());
    const seen = new Set<string>();
    const features: [number, number][] = [];
    names.forEach((h, i) => {
      const f = INDEX.get(h);
      const known =
        f !== undefined ||
        (KEY_COLUMNS as readonly string[]).includes(h) ||
        (this.opts.label === true && h === 'label');
      if (!known) {
        // Another tool's extra columns (pod, cluster, a training file's label, pandas' unnamed
        // index) are left out and named, so that a misspelt feature still shows.
        if (!this.opts.strict) {
          this.ignored.push(h === '' ? `#${i + 1} (no name)` : (written[i] as string));
          return;
        }
        if (h === '') throw new ReplayCsvError(lineNo, `#${i + 1}`, 'has no name');
        throw new ReplayCsvError(
          lineNo,
          written[i],
          `unknown column; expected ${KEY_COLUMNS.join(', ')} and feature names (${FEATURE_NAMES.join(', ')})`,
        );
      }
      if (seen.has(h)) throw new ReplayCsvError(lineNo, written[i], 'appears twice in the header');
      seen.add(h);
      if (f !== undefined) features.push([i, f]);
      else if (h === 'label') this.labelCol = i;
    });
    for (const k of [...KEY_COLUMNS, ...(this.opts.label ? ['label'] : [])]) {
      if (!seen.has(k)) {
        const others = this.ignored.length > 0 ? ` (ignored: ${this.ignored.join(', ')})` : '';
        throw new ReplayCsvError(lineNo, k, `required column is missing from the header${others}`);
      }
    }
    if (features.length === 0) {
      throw new ReplayCsvError(
        lineNo,
        undefined,
        `no feature column; expected some of ${FEATURE_NAMES.join(', ')}` +
          (this.ignored.length > 0 ? ` (ignored: ${this.ignored.join(', ')})` : ''),
      );
    }
    this.header = names;
    this.col = {
      ts: names.indexOf('timestamp'),
      ns: names.indexOf('namespace'),
      dep: names.indexOf('deployment'),
      features,
    };
    this.columns = features.map(([, f]) => FEATURE_NAMES[f] as FeatureName);
  }

  finish(): ReplayTable {
    if (this.header === undefined)
      throw new ReplayCsvError(1, undefined, 'the file is empty; expected a header row');
    if (this.rows === 0)
      throw new ReplayCsvError(2, undefined, 'the file has a header but no data rows');
    return {
      t: Float64Array.from(this.t),
      timestampText: this.text,
      seriesOf: Int32Array.from(this.seriesOf),
      series: this.series,
      values: this.values.slice(0, this.rows * N),
      rows: this.rows,
      columns: this.columns,
      ignoredColumns: this.ignored,
      outOfRange: this.outOfRange,
      ...(this.opts.label ? { labels: Uint8Array.from(this.labels) } : {}),
    };
  }
}

/**
 * What was left out of a file, for a CLI's notes on stderr: "ignored 2 columns that are neither …:
 * pod, cpu_usage" and "3 cells outside their valid range read as missing …". Empty when nothing was.
 */
export function tableNotes(table: Pick<ReplayTable, 'ignoredColumns' | 'outOfRange'>): string[] {
  const notes: string[] = [];
  const n = table.ignoredColumns.length;
  if (n > 0) {
    notes.push(
      `ignored ${n} column${n === 1 ? ' that is' : 's that are'} neither a key column nor a feature name: ` +
        table.ignoredColumns.join(', '),
    );
  }
  const { cells, first } = table.outOfRange;
  if (cells > 0) {
    notes.push(
      `${cells} cell${cells === 1 ? '' : 's'} outside the valid range read as missing, as the healer omits such a sample (first: ${first})`,
    );
  }
  return notes;
}

/** Parses a whole file held in memory (tests, small files); the CLI streams lines instead. */
export function parseReplayCsv(text: string, opts: TableOptions = {}): ReplayTable {
  const b = new ReplayTableBuilder(opts);
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    if (!(end === text.length && line === '')) b.push(line);
    start = end + 1;
  }
  return b.finish();
}

/** Writes long-format rows as a replay CSV (the Nezha converter, tests). */
export function formatReplayCsv(
  rows: readonly {
    t: number;
    namespace: string;
    deployment: string;
    values: Partial<Record<FeatureName, number>>;
  }[],
  columns: readonly FeatureName[] = FEATURE_NAMES,
): string {
  const out = [csvHeader(columns)];
  for (const r of rows) out.push(csvRow(r, columns));
  return out.join('\n') + '\n';
}

const quoteCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** The header line of a long-format file (without newline), optionally with a label column. */
export function csvHeader(columns: readonly FeatureName[], label = false): string {
  return [...KEY_COLUMNS, ...columns, ...(label ? ['label'] : [])].join(',');
}

/** One row of a long-format file (without newline). */
export function csvRow(
  r: {
    t: number;
    namespace: string;
    deployment: string;
    values: Partial<Record<FeatureName, number>>;
    label?: 0 | 1;
  },
  columns: readonly FeatureName[],
): string {
  let line = `${new Date(r.t * 1000).toISOString()},${quoteCell(r.namespace)},${quoteCell(r.deployment)}`;
  for (const c of columns) {
    const v = r.values[c];
    line += v === undefined || !Number.isFinite(v) ? ',' : `,${v}`;
  }
  if (r.label !== undefined) line += `,${r.label}`;
  return line;
}
