/**
 * `/predict` body validation, compiled once from the feature schema.
 *
 * The happy path is a generated straight-line function (one typeof and one range check per
 * feature, then a key count for unknown fields), as ajv does, so a valid body costs well under a
 * microsecond and no schema is walked per request. Only a body that fails the fast check takes
 * the slow path, which walks the schema to name every broken field and rule.
 *
 * Policy: unknown fields are rejected (400, rule `unknown`). Ignoring them would turn a typo in
 * an optional feature name into a silently imputed default.
 */
import {
  BASELINE_FEATURES,
  BASELINE_STATS,
  SLO_LIMITS,
  SLO_WINDOWS,
  SLO_WINDOW_FIELDS,
  type BaselineColumns,
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
import { compileColumnarBody } from './validateColumns.js';

/**
 * A validated `/predict` body: one feature object, or a batch of them in request order (sent as
 * `{"instances": [...]}` or as columns, see validateColumns.ts).
 */
export type PredictBody =
  | { readonly kind: 'single'; readonly row: FeatureInput }
  | {
      readonly kind: 'batch';
      readonly rows: readonly FeatureInput[];
      /**
       * The same rows as columns, when sent so: scored in place, without an object per row
       * (`rows` are then built only when read).
       */
      readonly columns?: RowColumns;
      /**
       * The rows' baselines, when sent as columns (then `rows` carry none): scored in place,
       * without an object per row and statistic.
       */
      readonly baseline?: BaselineColumns;
    };

export interface ValidatorOptions {
  /** Largest accepted `instances` array (BATCH_LIMIT). */
  batchLimit: number;
}

export { MAX_DETAILS } from './details.js';

/** Compiles the body parser for `/predict` from the feature schema. Throws InputError on bad input. */
export function compilePredictBody(
  features: readonly FeatureSpec[],
  opts: ValidatorOptions,
): (body: unknown) => PredictBody {
  const context = contextRules(features);
  const isValid = compileFastCheck(features, context);
  const known = new Set([...features.map((f) => f.name), ...CONTEXT_KEYS]);
  const { batchLimit } = opts;
  const sloOk = compileSloCheck();
  const parseColumnarBody = compileColumnarBody(features, context.baselineRange, batchLimit, {
    isValid,
    describe: (row) => describeRow(features, known, context, row, ''),
    // What the fast check asks of a row's `slo`.
    isValidSlo: (v) => sloOk(v) || describeContext(context, 'slo', v, 'slo').length === 0,
  });

  return function parsePredictBody(body: unknown): PredictBody {
    if (isValid(body)) return { kind: 'single', row: body as FeatureInput };
    if (isPlainObject(body) && 'columns' in body) {
      // Not spread: its `rows` are built only when asked for.
      return Object.assign(parseColumnarBody(body), { kind: 'batch' as const });
    }
    if (!isPlainObject(body) || !('instances' in body)) {
      throw toInputError(describeRow(features, known, context, body, ''));
    }
    const details: ErrorDetail[] = [];
    for (const key of Object.keys(body)) {
      if (key !== 'instances') {
        details.push(unknownField(key, body[key], 'a batch body has only "instances"'));
      }
    }
    const rows = body.instances;
    if (!Array.isArray(rows)) {
      details.push({
        field: 'instances',
        rule: 'type',
        got: summarize(rows),
        message: `must be an array of feature objects, got ${typeName(rows)}`,
      });
      throw toInputError(details);
    }
    if (rows.length === 0) {
      details.push({
        field: 'instances',
        rule: 'min_items',
        got: 0,
        message: 'must hold at least 1 instance',
      });
    } else if (rows.length > batchLimit) {
      details.push({
        field: 'instances',
        rule: 'max_items',
        got: rows.length,
        message: `must hold at most ${batchLimit} instances (BATCH_LIMIT), got ${rows.length}`,
      });
    } else {
      for (let i = 0; i < rows.length; i++) {
        if (!isValid(rows[i]))
          details.push(...describeRow(features, known, context, rows[i], `instances[${i}]`));
      }
    }
    if (details.length > 0) throw toInputError(details);
    return { kind: 'batch', rows: rows as FeatureInput[] };
  };
}

/**
 * Generates `isValid(o)`: true iff `o` is a plain object with every required feature, no
 * unknown key, and every present value a number within its inclusive range (NaN and ±Infinity
 * fail the range test). Names and bounds come from our own schema and are embedded through
 * JSON.stringify, so no client input reaches the generated source.
 */
function compileFastCheck(
  features: readonly FeatureSpec[],
  context: ContextRules,
): (o: unknown) => boolean {
  const lines = [
    "if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;",
    'let n = 0, v;',
  ];
  for (const f of features) {
    const ok = sentValueOk(f);
    lines.push(`v = o[${JSON.stringify(f.name)}];`);
    lines.push(
      f.required
        ? `if (!(${ok})) return false; n++;`
        : `if (v !== undefined) { if (!(${ok})) return false; n++; }`,
    );
  }
  // The optional context: straight-line checks too (a healer row carries a baseline for every
  // signal: walking it with the describing code cost more than scoring the row). They only prove
  // a context valid; one they cannot is judged by the describing code, so both accept the same.
  lines.push(
    "v = o.baseline; if (v !== undefined) { if (!baselineOk(v) && describe(v, 'baseline').length) return false; n++; }",
  );
  lines.push(
    "v = o.slo; if (v !== undefined) { if (!sloOk(v) && describe(v, 'slo').length) return false; n++; }",
  );
  // Every counted feature is an own key, so more keys than counted means an unknown field.
  lines.push('for (const _ in o) if (--n < 0) return false;', 'return true;');
  const check = new Function('o', 'describe', 'baselineOk', 'sloOk', lines.join('\n')) as (
    o: unknown,
    describe: (v: unknown, key: ContextKey) => ErrorDetail[],
    baselineOk: (v: unknown) => boolean,
    sloOk: (v: unknown) => boolean,
  ) => boolean;
  const describe = (v: unknown, key: ContextKey): ErrorDetail[] =>
    describeContext(context, key, v, key);
  const baselineOk = compileBaselineCheck(context);
  const sloOk = compileSloCheck();
  return (o) => check(o, describe, baselineOk, sloOk);
}

/** `ok` for a statistic or SLO field in [min, max] (a finite JSON number; `s` holds the value). */
const inRange = (r: Range): string =>
  `typeof s === 'number' && s - s === 0 && s >= ${JSON.stringify(r.min)} && s <= ${JSON.stringify(r.max)}`;

/**
 * Generates `baselineOk(v)`: true only if `describeContext` finds nothing wrong with `v` as a
 * `baseline` (an object of known signals, each an object of known statistics, levels within the
 * signal's range, a finite slope, ordered quantiles). Keys are counted as in `compileFastCheck`.
 */
function compileBaselineCheck(context: ContextRules): (v: unknown) => boolean {
  const obj = (x: string): string =>
    `typeof ${x} === 'object' && ${x} !== null && !Array.isArray(${x})`;
  const lines = [`if (!(${obj('v')})) return false;`, 'let n = 0, b, m, s;'];
  for (const [feature, range] of context.baselineRange) {
    lines.push(`b = v[${JSON.stringify(feature)}];`, `if (b !== undefined) {`);
    lines.push(`if (!(${obj('b')})) return false;`, 'n++; m = 0;');
    for (const stat of BASELINE_STATS) {
      const ok = stat === 'slope' ? "typeof s === 'number' && s - s === 0" : inRange(range);
      lines.push(`s = b.${stat}; if (s !== undefined) { if (!(${ok})) return false; m++; }`);
    }
    lines.push(
      'for (const _ in b) if (--m < 0) return false;',
      // Present quantiles are finite here; a missing one compares false.
      'if (b.p10 > b.p50 || b.p50 > b.p90 || b.p10 > b.p90) return false;',
      '}',
    );
  }
  lines.push('for (const _ in v) if (--n < 0) return false;', 'return true;');
  return new Function('v', lines.join('\n')) as (v: unknown) => boolean;
}

/** Generates `sloOk(v)`: true only if `describeContext` finds nothing wrong with `v` as an `slo`. */
function compileSloCheck(): (v: unknown) => boolean {
  const obj = (x: string): string =>
    `typeof ${x} === 'object' && ${x} !== null && !Array.isArray(${x})`;
  const lines = [`if (!(${obj('v')})) return false;`, 'let n = 0, w, x, m, k, s;'];
  for (const field of ['availability', 'latency_p95_seconds', 'min_requests'] as const) {
    lines.push(
      `s = v.${field}; if (s !== undefined) { if (!(${inRange(SLO_LIMITS[field])})) return false; n++; }`,
    );
  }
  lines.push(
    'w = v.windows; if (w !== undefined) {',
    `if (!(${obj('w')})) return false;`,
    'n++; k = 0;',
  );
  for (const window of SLO_WINDOWS) {
    lines.push(
      `x = w[${JSON.stringify(window)}]; if (x !== undefined) {`,
      `if (!(${obj('x')})) return false;`,
      'k++; m = 0;',
    );
    for (const field of SLO_WINDOW_FIELDS) {
      lines.push(
        `s = x.${field}; if (s !== undefined) { if (!(${inRange(SLO_LIMITS[field])})) return false; m++; }`,
      );
    }
    lines.push('for (const _ in x) if (--m < 0) return false;', '}');
  }
  lines.push('for (const _ in w) if (--k < 0) return false;', '}');
  lines.push('for (const _ in v) if (--n < 0) return false;', 'return true;');
  return new Function('v', lines.join('\n')) as (v: unknown) => boolean;
}

/** The optional context fields of a row. */
const CONTEXT_KEYS = ['baseline', 'slo'] as const;
type ContextKey = (typeof CONTEXT_KEYS)[number];

interface ContextRules {
  /** Valid range of a baseline statistic per feature (the feature's own range). */
  baselineRange: ReadonlyMap<string, Range>;
}

function contextRules(features: readonly FeatureSpec[]): ContextRules {
  const byName = new Map(features.map((f) => [f.name, f]));
  return {
    baselineRange: new Map(
      BASELINE_FEATURES.filter((f) => byName.has(f)).map((f) => [
        f,
        { min: byName.get(f)!.min, max: byName.get(f)!.max },
      ]),
    ),
  };
}

/** Every broken rule of a row's `baseline` or `slo` value (empty when it is valid). */
function describeContext(
  rules: ContextRules,
  key: ContextKey,
  v: unknown,
  at: string,
): ErrorDetail[] {
  if (!isPlainObject(v)) {
    return [
      {
        field: at,
        rule: 'type',
        got: summarize(v),
        message: `must be an object, got ${typeName(v)}`,
      },
    ];
  }
  const out: ErrorDetail[] = [];
  if (key === 'baseline') {
    for (const [feature, stats] of Object.entries(v)) {
      const range = rules.baselineRange.get(feature);
      const fat = `${at}.${feature}`;
      if (!range) {
        out.push(
          unknownField(
            fat,
            stats,
            `baseline statistics exist for ${[...rules.baselineRange.keys()].join(', ')}`,
          ),
        );
        continue;
      }
      if (!isPlainObject(stats)) {
        out.push({
          field: fat,
          rule: 'type',
          got: summarize(stats),
          message: `must be an object of statistics, got ${typeName(stats)}`,
        });
        continue;
      }
      for (const [stat, x] of Object.entries(stats)) {
        const sat = `${fat}.${stat}`;
        if (!(BASELINE_STATS as readonly string[]).includes(stat)) {
          out.push(unknownField(sat, x, `statistics are ${BASELINE_STATS.join(', ')}`));
          continue;
        }
        // A slope is a rate of change: any finite number. The others are levels of the signal.
        const problem = checkNumber(
          x,
          stat === 'slope' ? { min: -Infinity, max: Infinity } : range,
        );
        if (problem) out.push({ field: sat, got: summarize(x), ...problem });
      }
      const { p10, p50, p90 } = stats as Record<string, unknown>;
      const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
      if (
        (num(p10) && num(p50) && p10 > p50) ||
        (num(p50) && num(p90) && p50 > p90) ||
        (num(p10) && num(p90) && p10 > p90)
      ) {
        out.push({
          field: fat,
          rule: 'order',
          got: summarize({ p10, p50, p90 }),
          message: 'quantiles must be ordered: p10 ≤ p50 ≤ p90',
        });
      }
    }
    return out;
  }
  for (const [field, x] of Object.entries(v)) {
    const fat = `${at}.${field}`;
    if (field === 'windows') {
      if (!isPlainObject(x)) {
        out.push({
          field: fat,
          rule: 'type',
          got: summarize(x),
          message: `must be an object keyed by window, got ${typeName(x)}`,
        });
        continue;
      }
      for (const [w, sli] of Object.entries(x)) {
        const wat = `${fat}.${w}`;
        if (!(SLO_WINDOWS as readonly string[]).includes(w)) {
          out.push(unknownField(wat, sli, `windows are ${SLO_WINDOWS.join(', ')}`));
          continue;
        }
        if (!isPlainObject(sli)) {
          out.push({
            field: wat,
            rule: 'type',
            got: summarize(sli),
            message: `must be an object, got ${typeName(sli)}`,
          });
          continue;
        }
        for (const [k, y] of Object.entries(sli)) {
          if (!(SLO_WINDOW_FIELDS as readonly string[]).includes(k)) {
            out.push(
              unknownField(`${wat}.${k}`, y, `window fields are ${SLO_WINDOW_FIELDS.join(', ')}`),
            );
            continue;
          }
          const problem = checkNumber(y, SLO_LIMITS[k as (typeof SLO_WINDOW_FIELDS)[number]]);
          if (problem) out.push({ field: `${wat}.${k}`, got: summarize(y), ...problem });
        }
      }
      continue;
    }
    if (field !== 'availability' && field !== 'latency_p95_seconds' && field !== 'min_requests') {
      out.push(
        unknownField(
          fat,
          x,
          'slo fields are availability, latency_p95_seconds, min_requests, windows',
        ),
      );
      continue;
    }
    const problem = checkNumber(x, SLO_LIMITS[field]);
    if (problem) out.push({ field: fat, got: summarize(x), ...problem });
  }
  return out;
}

/** Every broken rule of one row (slow path: only for rows that failed the fast check). */
function describeRow(
  features: readonly FeatureSpec[],
  known: ReadonlySet<string>,
  context: ContextRules,
  row: unknown,
  path: string,
): ErrorDetail[] {
  const at = (name: string): string => (path === '' ? name : `${path}.${name}`);
  if (!isPlainObject(row)) {
    return [
      {
        field: path === '' ? 'body' : path,
        rule: 'type',
        got: summarize(row),
        message: `must be a JSON object of features, got ${typeName(row)}`,
      },
    ];
  }
  const details: ErrorDetail[] = [];
  for (const f of features) {
    const v = row[f.name];
    if (v === undefined) {
      if (f.required) {
        details.push({
          field: at(f.name),
          rule: 'required',
          got: null,
          message: `is required (${f.unit})`,
        });
      }
      continue;
    }
    const problem = checkValue(f, v);
    if (problem) details.push({ field: at(f.name), got: summarize(v), ...problem });
  }
  for (const key of CONTEXT_KEYS) {
    if (row[key] !== undefined) details.push(...describeContext(context, key, row[key], at(key)));
  }
  for (const key of Object.keys(row)) {
    if (!known.has(key)) {
      details.push(unknownField(at(key), row[key], 'see GET /model for the feature names'));
    }
  }
  return details;
}

function checkValue(f: FeatureSpec, v: unknown): { rule: string; message: string } | undefined {
  if (typeof v === 'string') {
    const numeric = v.trim() !== '' && !Number.isNaN(Number(v));
    return {
      rule: 'type',
      message: numeric
        ? `must be a JSON number, got the string ${JSON.stringify(v)}: send numbers unquoted`
        : `must be a JSON number, got a string`,
    };
  }
  if (typeof v !== 'number') {
    return { rule: 'type', message: `must be a JSON number, got ${typeName(v)}` };
  }
  if (!Number.isFinite(v)) {
    return { rule: 'finite', message: `must be a finite number, got ${String(v)}` };
  }
  if (f.integer && !Number.isInteger(v)) {
    return { rule: 'integer', message: `must be a whole number (${f.unit})` };
  }
  if (v < f.min) {
    return {
      rule: 'min',
      message: `must be ≥ ${f.min} (${f.unit})${f.kind === 'count' && f.min === 0 ? ': a count cannot be negative' : ''}`,
    };
  }
  if (v > f.max) return { rule: 'max', message: `must be ≤ ${f.max} (${f.unit})` };
  return undefined;
}
