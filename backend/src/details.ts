/**
 * The pieces every `/predict` validation error is built from: one detail per broken rule (field,
 * rule, a bounded echo of the value, a message), and the one 400 that lists them.
 */
import type { FeatureSpec } from '@aiops/model';
import { InputError, type ErrorDetail } from './errors.js';

/**
 * The fast check of a sent value of feature `f`, held in `v`, as generated source: a number
 * within its inclusive range (NaN and ±Infinity fail it), whole where the feature is an integer.
 * The row validator and the columnar body's cell check are generated from it.
 */
export function sentValueOk(f: FeatureSpec): string {
  return [
    "typeof v === 'number'",
    `v >= ${JSON.stringify(f.min)}`,
    `v <= ${JSON.stringify(f.max)}`,
    ...(f.integer ? ['Number.isInteger(v)'] : []),
  ].join(' && ');
}

/** At most this many details are listed in one 400 (a batch of 10,000 bad rows stays small). */
export const MAX_DETAILS = 100;

export function unknownField(field: string, value: unknown, hint: string): ErrorDetail {
  return { field, rule: 'unknown', got: summarize(value), message: `unknown field; ${hint}` };
}

export function toInputError(details: ErrorDetail[]): InputError {
  const count = details.length;
  const listed = count > MAX_DETAILS ? details.slice(0, MAX_DETAILS) : details;
  const first = listed[0];
  const summary = first ? `${first.field} ${first.message}` : 'invalid body';
  const more = count > 1 ? ` (and ${count - 1} more problem${count > 2 ? 's' : ''}` : '';
  const cut = count > MAX_DETAILS ? `; the first ${MAX_DETAILS} are listed)` : more ? ')' : '';
  return new InputError(`invalid request body: ${summary}${more}${cut}`, listed);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === undefined) return 'no body';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A JSON-safe, bounded echo of a received value for `details[].got`. */
export function summarize(v: unknown): unknown {
  if (typeof v === 'string') return v.length > 64 ? `${v.slice(0, 64)}…` : v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean' || v === null) return v;
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** An inclusive range of a number. */
export interface Range {
  min: number;
  max: number;
}

/** A context number: a finite JSON number within an inclusive range. */
export function checkNumber(v: unknown, r: Range): { rule: string; message: string } | undefined {
  if (typeof v !== 'number')
    return { rule: 'type', message: `must be a JSON number, got ${typeName(v)}` };
  if (!Number.isFinite(v))
    return { rule: 'finite', message: `must be a finite number, got ${String(v)}` };
  if (v < r.min) return { rule: 'min', message: `must be ≥ ${r.min}` };
  if (v > r.max) return { rule: 'max', message: `must be ≤ ${r.max}` };
  return undefined;
}
