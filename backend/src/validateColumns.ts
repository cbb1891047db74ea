/**
 * The columnar request body of `POST /predict` (`ColumnarPredictRequest` in the model package):
 * `{"columns": {<feature>: [v0, v1, …]}, "baseline": {<signal>: {<stat>: […]}}, "slo": […]}`,
 * row r being entry r of every array, `null` standing for a field the row does not send.
 *
 * It is checked in two steps: the shape (known names, arrays of one length, required columns,
 * the batch limit), then its cells, in their columns, by the row validator's rules (each feature's
 * value a number in its range, or null where it is optional; each SLO as the row validator judges
 * it). Where a cell breaks a rule, the rows the columns stand for are rebuilt and judged by the
 * row validator to name every broken rule, so both forms accept exactly the same rows and break
 * the same rules. A row's error is reported at its place in the columns:
 * `columns.cpu_usage_pct[3]`, `baseline.cpu_usage_pct.p50[3]`, `slo[3].windows.5m.requests`.
 *
 * A valid body is scored from its columns (`RowColumns`): the 10,000 row objects (and their
 * 140,000 boxed numbers) the rebuilding made lived until the answer was written, and every
 * scavenge in between copied them — more of the bar's time than rebuilding them.
 */
import {
  BASELINE_STATS,
  baselineColumnsOf,
  rowColumnsOf,
  rowsOfColumnarRequest,
  type BaselineColumns,
  type ColumnarPredictRequest,
  type FeatureInput,
  type FeatureSpec,
  type RowColumns,
} from '@aiops/model';
import type { ErrorDetail } from './errors.js';
import {
  checkNumber,
  isPlainObject,
  sentValueOk,
  summarize,
  toInputError,
  typeName,
  unknownField,
  type Range,
} from './details.js';

/** The row validator the rebuilt rows go through. */
export interface RowRules {
  /** True iff the row is valid (the compiled fast check). */
  isValid(row: unknown): boolean;
  /** Every broken rule of an invalid row, fields named as in a single-row body. */
  describe(row: unknown): ErrorDetail[];
  /** True iff `slo` is a valid `slo` of a row (what `isValid` checks of it). */
  isValidSlo(slo: unknown): boolean;
}

const TOP_KEYS = new Set(['columns', 'baseline', 'slo']);
const STATS: ReadonlySet<string> = new Set(BASELINE_STATS);

/** A columnar body's rows (without their baselines) and the baselines as columns. */
export interface ColumnarBody {
  /** The rows as columns, read in place by the scorer. */
  readonly columns: RowColumns;
  /**
   * The same rows as objects (without their baselines), built on first use: for the paths that
   * take objects (shadow mode, the scoring threads, scorers without `score`).
   */
  readonly rows: FeatureInput[];
  readonly baseline?: BaselineColumns;
}

/**
 * Compiles the parser of the columnar body; it returns the rows in order or throws InputError.
 * The baselines are checked where they are, in their columns, and handed to the scorer as
 * columns: rebuilding an object per row and signal cost more than the row form's parse.
 */
export function compileColumnarBody(
  features: readonly FeatureSpec[],
  baselineRange: ReadonlyMap<string, Range>,
  batchLimit: number,
  rules: RowRules,
): (body: Record<string, unknown>) => ColumnarBody {
  const known = new Set(features.map((f) => f.name));
  const required = features.filter((f) => f.required);
  const cellsValid = compileCellCheck(features, rules);
  const baselineSignals = [...baselineRange.keys()];
  const signals = new Set(baselineSignals);

  return function parseColumnarBody(body) {
    const details: ErrorDetail[] = [];
    for (const key of Object.keys(body)) {
      if (!TOP_KEYS.has(key)) {
        details.push(
          unknownField(
            key,
            body[key],
            'a columnar body has "columns" and optionally "baseline" and "slo"',
          ),
        );
      }
    }
    const cols = body.columns;
    if (!isPlainObject(cols)) {
      details.push({
        field: 'columns',
        rule: 'type',
        got: summarize(cols),
        message: `must be an object of feature name → array of values (one per row), got ${typeName(cols)}`,
      });
      throw toInputError(details);
    }

    // Every array must hold one entry per row: the first one met sets the count.
    let n: number | undefined;
    let first = '';
    const arrayAt = (field: string, v: unknown, of: string): void => {
      if (!Array.isArray(v)) {
        details.push({
          field,
          rule: 'type',
          got: summarize(v),
          message: `must be an array of ${of}, one per row, got ${typeName(v)}`,
        });
        return;
      }
      if (n === undefined) {
        n = v.length;
        first = field;
      } else if (v.length !== n) {
        details.push({
          field,
          rule: 'length',
          got: v.length,
          message: `must hold one entry per row: ${n}, as ${first} does, got ${v.length}`,
        });
      }
    };

    for (const [name, v] of Object.entries(cols)) {
      if (!known.has(name)) {
        details.push(unknownField(`columns.${name}`, v, 'see GET /model for the feature names'));
        continue;
      }
      arrayAt(`columns.${name}`, v, 'numbers (null: omitted)');
    }
    for (const f of required) {
      if (!Object.hasOwn(cols, f.name)) {
        details.push({
          field: `columns.${f.name}`,
          rule: 'required',
          got: null,
          message: `is required (${f.unit}): a column with a value for every row`,
        });
      }
    }

    const baseline = body.baseline;
    if (baseline !== undefined) {
      if (!isPlainObject(baseline)) {
        details.push({
          field: 'baseline',
          rule: 'type',
          got: summarize(baseline),
          message: `must be an object of signal → statistic → array of values, got ${typeName(baseline)}`,
        });
      } else {
        for (const [signal, stats] of Object.entries(baseline)) {
          const at = `baseline.${signal}`;
          if (!signals.has(signal)) {
            details.push(
              unknownField(
                at,
                stats,
                `baseline statistics exist for ${baselineSignals.join(', ')}`,
              ),
            );
            continue;
          }
          if (!isPlainObject(stats)) {
            details.push({
              field: at,
              rule: 'type',
              got: summarize(stats),
              message: `must be an object of statistic → array of values, got ${typeName(stats)}`,
            });
            continue;
          }
          for (const [stat, v] of Object.entries(stats)) {
            if (!STATS.has(stat)) {
              details.push(
                unknownField(`${at}.${stat}`, v, `statistics are ${BASELINE_STATS.join(', ')}`),
              );
              continue;
            }
            arrayAt(`${at}.${stat}`, v, 'numbers (null: none)');
          }
        }
      }
    }
    if (body.slo !== undefined) arrayAt('slo', body.slo, 'SLO objects or null');
    if (details.length > 0) throw toInputError(details);

    const count = n ?? 0;
    if (count === 0 || count > batchLimit) {
      throw toInputError([
        count === 0
          ? { field: 'columns', rule: 'min_items', got: 0, message: 'must hold at least 1 row' }
          : {
              field: 'columns',
              rule: 'max_items',
              got: count,
              message: `must hold at most ${batchLimit} rows (BATCH_LIMIT), got ${count}`,
            },
      ]);
    }

    const request = body as unknown as ColumnarPredictRequest;
    if (isPlainObject(baseline)) checkBaselineColumns(request, baselineRange, count, details);
    const rowsOf = (): FeatureInput[] =>
      rowsOfColumnarRequest({ columns: request.columns, slo: request.slo }, count);
    if (!cellsValid(request, count)) {
      // The rows the columns stand for, with the fields each sends: the row validator names
      // what each breaks.
      const rows = rowsOf();
      for (let r = 0; r < count; r++) {
        if (rules.isValid(rows[r])) continue;
        for (const d of rules.describe(rows[r])) details.push(atColumn(d, r));
      }
    }
    if (details.length > 0) throw toInputError(details);
    return columnarBody(rowColumnsOf(request, count), baselineColumnsOf(request.baseline), rowsOf);
  };
}

/** A valid columnar body: its columns, its baselines, and its rows as objects once asked for. */
function columnarBody(
  columns: RowColumns,
  baseline: BaselineColumns | undefined,
  rowsOf: () => FeatureInput[],
): ColumnarBody {
  let rows: FeatureInput[] | undefined;
  const body = {
    columns,
    get rows(): FeatureInput[] {
      return (rows ??= rowsOf());
    },
  };
  return baseline === undefined ? body : Object.assign(body, { baseline });
}

/**
 * `cellsValid(request, count)`: true iff every row the columns stand for passes the row
 * validator's fast check (`RowRules.isValid`), judged in the columns without building the rows:
 * each feature's cells are numbers within its inclusive range (whole where it is an integer) or,
 * for an optional feature, null; each SLO null or valid. The shape (known names, arrays of
 * `count` entries, the required columns) was checked before. False sends the body to the rows'
 * describing path, which names the broken rules.
 *
 * One generated loop per feature (names and bounds from our schema, through JSON.stringify): a
 * loop shared by every column reads arrays of doubles and arrays with nulls at one place, and
 * then boxes every double it reads (a heap number per cell).
 */
export function compileCellCheck(
  features: readonly FeatureSpec[],
  rules: Pick<RowRules, 'isValidSlo'>,
): (request: ColumnarPredictRequest, count: number) => boolean {
  const checks = features.map((f) => {
    const ok = sentValueOk(f);
    // null (or undefined) is a row that omits the feature.
    const omitted = f.required ? '' : 'if (v === null || v === undefined) continue;';
    const body = `for (let r = 0; r < count; r++) { const v = a[r]; if (${ok}) continue; ${omitted} return false; } return true;`;
    return {
      name: f.name,
      check: new Function('a', 'count', body) as (a: readonly unknown[], count: number) => boolean,
    };
  });
  return (request, count) => {
    const cols = request.columns as Record<string, readonly unknown[] | undefined>;
    for (const { name, check } of checks) {
      if (Object.hasOwn(cols, name) && !check(cols[name] as readonly unknown[], count))
        return false;
    }
    const slo = request.slo as readonly unknown[] | undefined;
    for (let r = 0; slo !== undefined && r < count; r++) {
      const v = slo[r];
      if (v !== null && v !== undefined && !rules.isValidSlo(v)) return false;
    }
    return true;
  };
}

/**
 * The rules a row's `baseline` follows (validate.ts `describeContext`), checked in the columns:
 * each statistic a finite number (a level within its signal's range; a slope any), and
 * p10 ≤ p50 ≤ p90 in each row. Names and shape were checked before.
 */
function checkBaselineColumns(
  request: ColumnarPredictRequest,
  baselineRange: ReadonlyMap<string, Range>,
  count: number,
  details: ErrorDetail[],
): void {
  const ANY: Range = { min: -Infinity, max: Infinity };
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  for (const [signal, stats] of Object.entries(request.baseline ?? {})) {
    const range = baselineRange.get(signal)!;
    const cols = stats as Record<string, unknown[] | undefined>;
    for (const [stat, a] of Object.entries(cols)) {
      const r0 = stat === 'slope' ? ANY : range;
      const { min, max } = r0;
      for (let r = 0; r < count; r++) {
        const v = a![r];
        if (v === null || (typeof v === 'number' && v - v === 0 && v >= min && v <= max)) continue;
        const problem = checkNumber(v, r0);
        if (problem)
          details.push({
            field: `baseline.${signal}.${stat}[${r}]`,
            got: summarize(v),
            ...problem,
          });
      }
    }
    const { p10, p50, p90 } = cols;
    if ([p10, p50, p90].filter((a) => a !== undefined).length < 2) continue;
    for (let r = 0; r < count; r++) {
      const lo = p10?.[r];
      const mid = p50?.[r];
      const hi = p90?.[r];
      if (
        (num(lo) && num(mid) && lo > mid) ||
        (num(mid) && num(hi) && mid > hi) ||
        (num(lo) && num(hi) && lo > hi)
      ) {
        details.push({
          field: `baseline.${signal}[${r}]`,
          rule: 'order',
          got: summarize({ p10: lo, p50: mid, p90: hi }),
          message: 'quantiles must be ordered: p10 ≤ p50 ≤ p90',
        });
      }
    }
  }
}

/** A rebuilt row's error at its place in the columns (row r). */
function atColumn(d: ErrorDetail, r: number): ErrorDetail {
  const f = d.field;
  if (f.startsWith('baseline.')) return { ...d, field: `${f}[${r}]` };
  if (f === 'slo' || f.startsWith('slo.')) return { ...d, field: `slo[${r}]${f.slice(3)}` };
  if (d.rule === 'required') {
    return {
      ...d,
      field: `columns.${f}[${r}]`,
      message: `${d.message}: null stands only for an omitted optional feature`,
    };
  }
  return { ...d, field: `columns.${f}[${r}]` };
}
