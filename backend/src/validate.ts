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
import type { FeatureInput, FeatureSpec } from '@aiops/model';
import { InputError, type ErrorDetail } from './errors.js';

/** A validated `/predict` body: one feature object, or a batch of them in request order. */
export type PredictBody =
  | { readonly kind: 'single'; readonly row: FeatureInput }
  | { readonly kind: 'batch'; readonly rows: readonly FeatureInput[] };

export interface ValidatorOptions {
  /** Largest accepted `instances` array (BATCH_LIMIT). */
  batchLimit: number;
}

/** At most this many details are listed in one 400 (a batch of 10,000 bad rows stays small). */
export const MAX_DETAILS = 100;

/** Compiles the body parser for `/predict` from the feature schema. Throws InputError on bad input. */
export function compilePredictBody(
  features: readonly FeatureSpec[],
  opts: ValidatorOptions,
): (body: unknown) => PredictBody {
  const isValid = compileFastCheck(features);
  const known = new Set(features.map((f) => f.name));
  const { batchLimit } = opts;

  return function parsePredictBody(body: unknown): PredictBody {
    if (isValid(body)) return { kind: 'single', row: body as FeatureInput };
    if (!isPlainObject(body) || !('instances' in body)) {
      throw toInputError(describeRow(features, known, body, ''));
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
          details.push(...describeRow(features, known, rows[i], `instances[${i}]`));
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
function compileFastCheck(features: readonly FeatureSpec[]): (o: unknown) => boolean {
  const lines = [
    "if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;",
    'let n = 0, v;',
  ];
  for (const f of features) {
    const ok = [
      "typeof v === 'number'",
      `v >= ${JSON.stringify(f.min)}`,
      `v <= ${JSON.stringify(f.max)}`,
      ...(f.integer ? ['Number.isInteger(v)'] : []),
    ].join(' && ');
    lines.push(`v = o[${JSON.stringify(f.name)}];`);
    lines.push(
      f.required
        ? `if (!(${ok})) return false; n++;`
        : `if (v !== undefined) { if (!(${ok})) return false; n++; }`,
    );
  }
  // Every counted feature is an own key, so more keys than counted means an unknown field.
  lines.push('for (const _ in o) if (--n < 0) return false;', 'return true;');
  return new Function('o', lines.join('\n')) as (o: unknown) => boolean;
}

/** Every broken rule of one row (slow path: only for rows that failed the fast check). */
function describeRow(
  features: readonly FeatureSpec[],
  known: ReadonlySet<string>,
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

function unknownField(field: string, value: unknown, hint: string): ErrorDetail {
  return { field, rule: 'unknown', got: summarize(value), message: `unknown field; ${hint}` };
}

function toInputError(details: ErrorDetail[]): InputError {
  const count = details.length;
  const listed = count > MAX_DETAILS ? details.slice(0, MAX_DETAILS) : details;
  const first = listed[0];
  const summary = first ? `${first.field} ${first.message}` : 'invalid body';
  const more = count > 1 ? ` (and ${count - 1} more problem${count > 2 ? 's' : ''}` : '';
  const cut = count > MAX_DETAILS ? `; the first ${MAX_DETAILS} are listed)` : more ? ')' : '';
  return new InputError(`invalid request body: ${summary}${more}${cut}`, listed);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === undefined) return 'no body';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A JSON-safe, bounded echo of a received value for `details[].got`. */
function summarize(v: unknown): unknown {
  if (typeof v === 'string') return v.length > 64 ? `${v.slice(0, 64)}…` : v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean' || v === null) return v;
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
