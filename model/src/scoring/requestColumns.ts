/**
 * The columnar REQUEST body of `POST /predict`: the same rows as `{"instances": [...]}`, sent as
 * one array per feature (and per baseline statistic) instead of one object per row. A quarter of
 * the bytes, and far cheaper for the backend to parse: a 10,000-row batch is ~20 arrays of
 * numbers instead of 10,000 objects (and, with baselines, 90,000 more).
 *
 * `null` in a column means "not sent" for that row (the row form omits the field); an all-null
 * column is simply left out. The backend validates and answers exactly as for the row form.
 */
import {
  BASELINE_FEATURES,
  BASELINE_STATS,
  FEATURES,
  type BaselineFeatureName,
  type BaselineStat,
  type FeatureInput,
  type FeatureName,
  type SloInput,
} from '../schema.js';
import type { BaselineColumns, RowColumns } from '../features/derive.js';
import { JsonBytes } from './jsonBytes.js';

const SIGNALS: ReadonlySet<string> = new Set(BASELINE_FEATURES);
const STATS: ReadonlySet<string> = new Set(BASELINE_STATS);

/** `POST /predict` with one array per field, one entry per row (row r of every array is row r). */
export interface ColumnarPredictRequest {
  /** Feature name → its value per row (`null`: omitted, imputed). Required features must be here. */
  columns: Partial<Record<FeatureName, (number | null)[]>>;
  /** Signal → statistic → its value per row (`null`: that row has no such statistic). */
  baseline?: Partial<Record<BaselineFeatureName, Partial<Record<BaselineStat, (number | null)[]>>>>;
  /** Each row's SLO object, or `null` where the row has none. */
  slo?: (SloInput | null)[];
}

/**
 * Every sent baseline value (not undefined) of the schema's signals and statistics, row by row:
 * one pass over each row's baseline by its own keys (a lookup per row, signal and statistic by a
 * name that varies is a hash lookup each: twice the row form's JSON.stringify at 10,000 rows).
 */
function eachBaselineValue(
  rows: readonly FeatureInput[],
  visit: (signal: string, stat: string, r: number, v: unknown) => void,
): void {
  for (let r = 0; r < rows.length; r++) {
    const b = rows[r]!.baseline as Record<string, Record<string, unknown> | undefined> | undefined;
    if (b === undefined) continue;
    for (const signal in b) {
      const stats = b[signal];
      if (stats === undefined || !SIGNALS.has(signal)) continue;
      for (const stat in stats) {
        const v = stats[stat];
        if (v !== undefined && STATS.has(stat)) visit(signal, stat, r, v);
      }
    }
  }
}

/**
 * The columnar request of `rows` (non-empty): every field any row sends becomes a column, with
 * `null` for the rows that do not send it. The backend rebuilds exactly these rows from it.
 */
export function columnarRequestOf(rows: readonly FeatureInput[]): ColumnarPredictRequest {
  const n = rows.length;
  const columns: Partial<Record<FeatureName, (number | null)[]>> = {};
  for (const f of FEATURES) {
    const name = f.name;
    let col: (number | null)[] | undefined;
    for (let r = 0; r < n; r++) {
      const v = (rows[r] as Record<string, unknown>)[name] as number | undefined;
      if (v === undefined) continue;
      col ??= new Array<number | null>(n).fill(null);
      col[r] = v;
    }
    if (col !== undefined) columns[name] = col;
  }
  const out: ColumnarPredictRequest = { columns };
  // One pass over each row's baseline by its own keys (a lookup per row, signal and statistic by
  // a name that varies is a hash lookup each: twice the row form's JSON.stringify at 10,000 rows).
  const sent: Record<string, Record<string, (number | null)[]>> = {};
  let anyBaseline = false;
  eachBaselineValue(rows, (signal, stat, r, v) => {
    const cols = (sent[signal] ??= {});
    (cols[stat] ??= new Array<number | null>(n).fill(null))[r] = v as number;
    anyBaseline = true;
  });
  if (anyBaseline) {
    // In schema order, so the body's text does not depend on the rows' key order.
    const baseline: NonNullable<ColumnarPredictRequest['baseline']> = {};
    for (const signal of BASELINE_FEATURES) {
      const cols = sent[signal];
      if (cols === undefined) continue;
      const ordered: Partial<Record<BaselineStat, (number | null)[]>> = {};
      for (const stat of BASELINE_STATS) if (cols[stat] !== undefined) ordered[stat] = cols[stat];
      baseline[signal] = ordered;
    }
    out.baseline = baseline;
  }
  if (rows.some((row) => row.slo !== undefined)) out.slo = rows.map((row) => row.slo ?? null);
  return out;
}

/**
 * The baseline statistics and SLO of a request's rows, kept as columns by the caller instead of a
 * `baseline` and an `slo` object per row. The healer reads them from Prometheus as one array per
 * statistic: building a context object per row from them (~27 MB at 10,000 rows a cycle) only for
 * the writer to gather them back into columns cost it most of a cycle's garbage.
 */
export interface RequestContext {
  /**
   * Fills `into[r]` with row r's `stat` of `signal` (NaN: that row does not send it), for every
   * row; false when no row sends it (the column is left out).
   */
  fillBaseline(signal: BaselineFeatureName, stat: BaselineStat, into: Float64Array): boolean;
  /** Row r's SLO input, or undefined when it has none. */
  slo(r: number): SloInput | undefined;
}

/**
 * The bytes of `JSON.stringify(columnarRequestOf(rows))`, written straight from the rows: no
 * array of 10,000 numbers per column, no request object, no body string. A client that sends the
 * request (the healer, every cycle) had all three alive with its rows while it waited for the
 * answer: 10.6 MB of arrays and an 8.7 MB string at 10,000 rows with baselines. Each column is
 * gathered in a Float64Array (NaN: not sent, written `null` as JSON.stringify writes NaN), then
 * written into an off-heap buffer. Values are numbers (or null), as `FeatureInput` types them.
 *
 * With a `context`, the baseline columns and the SLO come from it, row r's from its row r, and the
 * rows' own `baseline` and `slo` are not read: the bytes are those of the rows with
 * `rowsWithContext(rows, context)`'s context objects (`requestColumns.test.ts` holds that).
 */
export function writeColumnarRequest(
  rows: readonly FeatureInput[],
  context?: RequestContext,
): Buffer {
  const n = rows.length;
  const out = new JsonBytes(Math.max(1 << 12, n * 64));
  const column = (col: Float64Array): void => {
    out.char(0x5b); // '['
    for (let r = 0; r < n; r++) {
      if (r > 0) out.char(0x2c); // ','
      out.number(col[r] as number);
    }
    out.char(0x5d); // ']'
  };
  out.raw('{"columns":{');
  let first = true;
  const col = new Float64Array(n);
  for (const f of FEATURES) {
    const name = f.name;
    let sent = false;
    for (let r = 0; r < n; r++) {
      const v = (rows[r] as Record<string, unknown>)[name] as number | undefined;
      if (v === undefined) col[r] = Number.NaN;
      else {
        col[r] = v === null ? Number.NaN : v;
        sent = true;
      }
    }
    if (!sent) continue;
    out
      .raw(first ? '' : ',')
      .string(name)
      .char(0x3a);
    first = false;
    column(col);
  }
  out.char(0x7d); // '}'
  /** The column of `signal`.`stat`, undefined when no row sends it. */
  const baselineColumn =
    context === undefined ? rowBaselineColumns(rows) : contextBaselineColumns(context, col);
  let firstSignal = true;
  for (const signal of BASELINE_FEATURES) {
    let firstStat = true;
    for (const stat of BASELINE_STATS) {
      const c = baselineColumn(signal, stat);
      if (c === undefined) continue;
      if (firstStat) {
        out
          .raw(firstSignal ? ',"baseline":{' : ',')
          .string(signal)
          .raw(':{');
        firstSignal = false;
      } else out.char(0x2c);
      firstStat = false;
      out.string(stat).char(0x3a);
      column(c);
    }
    if (!firstStat) out.char(0x7d);
  }
  if (!firstSignal) out.char(0x7d);
  const sloOf = context === undefined ? (r: number) => rows[r]!.slo : (r: number) => context.slo(r);
  let anySlo = false;
  for (let r = 0; r < n && !anySlo; r++) anySlo = sloOf(r) !== undefined;
  if (anySlo) {
    out.raw(',"slo":[');
    for (let r = 0; r < n; r++) {
      if (r > 0) out.char(0x2c);
      out.raw(JSON.stringify(sloOf(r) ?? null));
    }
    out.char(0x5d);
  }
  out.char(0x7d);
  return out.bytes();
}

/** The rows' own baseline values gathered into one Float64Array per sent statistic. */
function rowBaselineColumns(
  rows: readonly FeatureInput[],
): (signal: string, stat: string) => Float64Array | undefined {
  const n = rows.length;
  const cols = new Map<string, Float64Array>();
  eachBaselineValue(rows, (signal, stat, r, v) => {
    const key = `${signal}.${stat}`;
    let c = cols.get(key);
    if (c === undefined) cols.set(key, (c = new Float64Array(n).fill(Number.NaN)));
    c[r] = v === null ? Number.NaN : (v as number);
  });
  return (signal, stat) => cols.get(`${signal}.${stat}`);
}

/** The context's columns, one at a time, each filled into `into` (written before the next). */
function contextBaselineColumns(
  context: RequestContext,
  into: Float64Array,
): (signal: BaselineFeatureName, stat: BaselineStat) => Float64Array | undefined {
  return (signal, stat) => {
    into.fill(Number.NaN);
    return context.fillBaseline(signal, stat, into) ? into : undefined;
  };
}

/**
 * `rows` with row r's baseline and SLO from `context` as objects (new rows): what a request
 * written with that context stands for, for a backend that takes only the row form.
 */
export function rowsWithContext(
  rows: readonly FeatureInput[],
  context: RequestContext,
): FeatureInput[] {
  const n = rows.length;
  const baselines: (Record<string, Record<string, number>> | undefined)[] = new Array(n);
  const col = new Float64Array(n);
  for (const signal of BASELINE_FEATURES)
    for (const stat of BASELINE_STATS) {
      col.fill(Number.NaN);
      if (!context.fillBaseline(signal, stat, col)) continue;
      for (let r = 0; r < n; r++)
        if (!Number.isNaN(col[r]!)) ((baselines[r] ??= {})[signal] ??= {})[stat] = col[r]!;
    }
  return rows.map((row, r) => {
    const { baseline: _b, slo: _s, ...features } = row;
    const out: FeatureInput = features;
    const baseline = baselines[r];
    if (baseline !== undefined) out.baseline = baseline;
    const slo = context.slo(r);
    if (slo !== undefined) out.slo = slo;
    return out;
  });
}

/**
 * The rows a columnar request stands for (the inverse of `columnarRequestOf`): row r holds every
 * non-null entry r. Only the schema's names are read (anything else is ignored). No validation:
 * the backend checks the shape first (known names, arrays of `count` entries) and then judges
 * the rows with its row validator.
 *
 * The rows are built by straight-line code generated for the set of columns sent (and cached per
 * set: a healer sends the same set every cycle): stores by name, so rows of one request share
 * their shapes. The generic loop with computed keys cost more than parsing the row form's body.
 */
export function rowsOfColumnarRequest(req: ColumnarPredictRequest, count: number): FeatureInput[] {
  const arrays: unknown[][] = [];
  const features: FeatureName[] = [];
  for (const f of FEATURES) {
    const a = (req.columns as Record<string, unknown[] | undefined>)[f.name];
    if (Array.isArray(a)) {
      features.push(f.name);
      arrays.push(a);
    }
  }
  const stats: [BaselineFeatureName, BaselineStat][] = [];
  const baseline = req.baseline as
    Record<string, Record<string, unknown[] | undefined> | undefined> | undefined;
  for (const signal of BASELINE_FEATURES) {
    const sent = baseline?.[signal];
    if (sent === undefined || sent === null) continue;
    for (const stat of BASELINE_STATS) {
      const a = sent[stat];
      if (Array.isArray(a)) {
        stats.push([signal, stat]);
        arrays.push(a);
      }
    }
  }
  const slo = Array.isArray(req.slo);
  if (slo) arrays.push(req.slo as unknown[]);
  const key = `${features.join()}|${stats.map((x) => x.join('.')).join()}|${slo}`;
  let build = BUILDERS.get(key);
  if (build === undefined) {
    build = compileRowBuilder(features, stats, slo);
    if (BUILDERS.size >= MAX_BUILDERS) BUILDERS.clear();
    BUILDERS.set(key, build);
  }
  return build(arrays, count);
}

type RowBuilder = (arrays: unknown[][], count: number) => FeatureInput[];
/** Builders by column set; cleared when full (a client sending ever new sets gains nothing). */
const BUILDERS = new Map<string, RowBuilder>();
const MAX_BUILDERS = 64;

/**
 * Generates the builder for one column set. Names come from the schema and enter the source only
 * through JSON.stringify, so no client input reaches it.
 */
function compileRowBuilder(
  features: readonly string[],
  stats: readonly (readonly [string, string])[],
  slo: boolean,
): RowBuilder {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    'const rows = new Array(count);',
    ...[...features, ...stats, ...(slo ? ['slo'] : [])].map((_, k) => `const a${k} = A[${k}];`),
    'for (let r = 0; r < count; r++) {',
    'const row = {}; let v, base, s;',
  ];
  let k = 0;
  for (const f of features)
    lines.push(`v = a${k++}[r]; if (v !== null && v !== undefined) row[${q(f)}] = v;`);
  let signal: string | undefined;
  const closeSignal = (): void => {
    if (signal !== undefined) lines.push(`if (s !== undefined) (base ??= {})[${q(signal)}] = s;`);
  };
  for (const [sig, stat] of stats) {
    if (sig !== signal) {
      closeSignal();
      signal = sig;
      lines.push('s = undefined;');
    }
    lines.push(`v = a${k++}[r]; if (v !== null && v !== undefined) (s ??= {})[${q(stat)}] = v;`);
  }
  closeSignal();
  lines.push('if (base !== undefined) row.baseline = base;');
  if (slo) lines.push(`v = a${k++}[r]; if (v !== null && v !== undefined) row.slo = v;`);
  lines.push('rows[r] = row;', '}', 'return rows;');
  return new Function('A', 'count', lines.join('\n')) as RowBuilder;
}

/**
 * The baseline of a columnar request as the scorer reads it (`PredictOptions.baseline`): the
 * statistics' arrays by signal and statistic in schema order, undefined where not sent.
 */
export function baselineColumnsOf(
  baseline: ColumnarPredictRequest['baseline'],
): BaselineColumns | undefined {
  if (baseline === undefined) return undefined;
  const sent = baseline as Record<
    string,
    Record<string, (number | null)[] | undefined> | undefined
  >;
  return {
    stats: BASELINE_FEATURES.map((signal) => {
      const stats = sent[signal];
      return stats === undefined || stats === null
        ? undefined
        : BASELINE_STATS.map((st) => stats[st]);
    }),
  };
}

/**
 * The rows of a columnar request as the scorer reads them in place (`Scorer.score` of
 * `RowColumns`): each feature's column copied into a Float64Array (NaN for null), in schema
 * order, undefined where not sent; and the SLOs. No validation: the backend checks the columns
 * first (`count` entries, a number in each cell, or null).
 */
export function rowColumnsOf(req: ColumnarPredictRequest, count: number): RowColumns {
  const sent = req.columns as Record<string, readonly (number | null)[] | undefined>;
  const features = FEATURES.map((f) =>
    Object.hasOwn(sent, f.name) ? numbersOf(sent[f.name]!) : undefined,
  );
  return req.slo === undefined
    ? { length: count, features }
    : { length: count, features, slo: req.slo };
}

/**
 * The entries of `a` (numbers or null) as doubles, NaN for null. The typed array's constructor
 * copies them without a boxed number per cell: a loop reading both kinds of array (numbers only,
 * and numbers with nulls) boxed every double it read.
 */
function numbersOf(a: readonly (number | null)[]): Float64Array {
  const out = new Float64Array(a as ArrayLike<number>);
  if (a.includes(null)) for (let r = 0; r < a.length; r++) if (a[r] === null) out[r] = NaN;
  return out;
}

/**
 * `rows` with row r's baseline from `cols` as a `baseline` object (new rows; those without one
 * are returned as they are): for callers that need whole row objects (shadow mode, scorers
 * without the columnar path).
 */
export function withBaselines(
  rows: readonly FeatureInput[],
  cols: BaselineColumns | undefined,
): FeatureInput[] {
  if (cols === undefined) return [...rows];
  return rows.map((row, r) => {
    let baseline: Record<string, Record<string, number>> | undefined;
    BASELINE_FEATURES.forEach((signal, k) => {
      const stats = cols.stats[k];
      if (stats === undefined) return;
      BASELINE_STATS.forEach((stat, j) => {
        const v = stats[j]?.[r];
        if (v === null || v === undefined) return;
        ((baseline ??= {})[signal] ??= {})[stat] = v;
      });
    });
    return baseline === undefined ? row : { ...row, baseline };
  });
}
