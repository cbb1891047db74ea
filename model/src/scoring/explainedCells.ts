/**
 * The explanation's four columns of the columnar answer (`writeColumns`): per row, the explained
 * features' indices, contributions in millionths, and values and references to 6 significant
 * digits — 560,000 cells for 10,000 rows with every contribution, most of the answer. Written
 * straight into the answer's buffer, a number's text copied where the same number was written.
 */
import { FEATURES, type FeatureName } from '../schema.js';
import type { ColumnSource, FlatExplanations } from './columns.js';
import type { JsonBytes } from './jsonBytes.js';
import { DECIMAL_ROOM, DIGIT_PAIRS, putDecimal, putInteger } from './jsonBytes.js';
import {
  AT_CONTRIBUTION,
  AT_RANKING,
  AT_REFERENCE,
  AT_VALUE,
  ROW_BYTES,
  ROW_DOUBLES,
} from './scoredBatch.js';

const NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * x in whole millionths (a millionth of the probability scale is below any decision): an integer,
 * which is cheaper to write and to read than a fraction.
 */
export function micro(x: number): number {
  return Math.round(x * 1e6);
}

/** 10^k for k = −22 … 22 (the nearest doubles), at DECADE[k + 22]. */
const DECADE = Float64Array.from({ length: 45 }, (_, i) => 10 ** (i - 22));

/**
 * floor(log10(a)) for a finite a > 0, exactly what `Math.floor(Math.log10(a))` gives: a binary
 * search of the decades (six comparisons) instead of the logarithm, which was the columnar
 * writer's most expensive line. Within a millionth of a decade's edge, and outside 1e-22 … 1e22,
 * it asks Math.log10 itself, so the two can never disagree on a rounding at an edge.
 */
export function decadeOf(a: number): number {
  cell[0] = a;
  return decadeAt(cell, 0);
}
/** One number for `decadeOf`, which reads it from an array. */
const cell = new Float64Array(1);
/** A double's bits (`decadeAt`): the 32-bit word with its sign and exponent is HIGH_WORD. */
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HIGH_WORD = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 1 : 0;

/**
 * `decadeOf(|numbers[i]|)`, reading the number itself: a double handed to a call the compiler
 * does not inline is boxed (a heap number per cell the columnar writer formats).
 */
function decadeAt(numbers: Float64Array, i: number): number {
  const x = numbers[i] as number;
  const a = x < 0 ? -x : x;
  if (!(a >= 1e-22 && a < 1e22)) return Math.floor(Math.log10(a));
  // The last index with DECADE[lo] ≤ a, from a's binary exponent: floor(e2 · log10 2) (78913 /
  // 2^18 is log10 2 to 7 digits, exact enough for |e2| < 75) is that decade or the one below, and
  // the two comparisons settle it (mostly predictable; a binary search's six were not).
  bits[0] = a;
  const e2 = (((words[HIGH_WORD] as number) >>> 20) & 0x7ff) - 1023;
  let lo = ((e2 * 78913) >> 18) + 22;
  lo = lo < 0 ? 0 : lo > 43 ? 43 : lo;
  while (lo > 0 && (DECADE[lo] as number) > a) lo--;
  while (lo < 43 && (DECADE[lo + 1] as number) <= a) lo++;
  const below = DECADE[lo] as number;
  if (a - below < 1e-6 * below || (DECADE[lo + 1] as number) - a < 1e-6 * a) {
    return Math.floor(Math.log10(a));
  }
  return lo - 22;
}

/**
 * x to 6 significant digits, as the nearest double to that decimal: what the columnar form sends
 * for values and references (`writeValueCell`). Integers below 1e6 in magnitude and zero are kept.
 */
export function sig6(x: number): number {
  if (x - x !== 0 || x === 0) return x;
  const a = x < 0 ? -x : x;
  if (a < 1e6 && x === Math.round(x)) return x;
  const p = 5 - decadeOf(a);
  if (p >= 0 && p < POW10.length) return Math.round(x * POW10[p]!) / POW10[p]!;
  if (p < 0 && -p < POW10.length) return Math.round(x / POW10[-p]!) * POW10[-p]!;
  return Number(x.toPrecision(6));
}

/**
 * Per feature, the last number a value or reference column wrote and where its text is in the
 * answer: a feature's reference is the same for every row sent without a baseline (its default),
 * and many values repeat (0, whole counts), so their text is copied instead of formatted again.
 */
const lastOfFeature = new Float64Array(NAMES.length);
const textAt = new Int32Array(NAMES.length);
const textLength = new Int32Array(NAMES.length);

/** Column c (9 … 12: the explanation's feature, contribution, value, reference) of every row. */
export function writeExplainedCells(src: ColumnSource, out: JsonBytes, c: number): void {
  if (c >= 11) lastOfFeature.fill(NaN); // NaN equals nothing: the first of each is written
  const flat = src.flat?.();
  if (flat !== undefined) return writeFlatExplainedCells(flat, src.length, out, c);
  for (let r = 0; r < src.length; r++) {
    if (r > 0) out.char(0x2c);
    out.char(0x5b);
    const top = src.explained(r);
    for (let k = 0; k < top; k++) {
      if (k > 0) out.char(0x2c);
      if (c === 9) out.number(src.feature(r, k));
      else if (c === 10) out.number(micro(src.contribution(r, k)));
      else {
        const f = src.feature(r, k);
        writeValueCell(out, c === 11 ? src.value(r, k) : src.reference(r, k), f);
      }
    }
    out.char(0x5d);
  }
}

/**
 * `writeExplainedCells` from a ScoredBatch's arrays: the 560,000 cells of 10,000 rows with every
 * contribution read in place and written straight into the buffer, its room made once per row.
 * One loop per column, each without a branch on the column per cell.
 */
function writeFlatExplainedCells(
  flat: FlatExplanations,
  n: number,
  out: JsonBytes,
  c: number,
): void {
  if (c === 9) writeFlatFeatures(flat, n, out);
  else if (c === 10) writeFlatContributions(flat, n, out);
  else writeFlatValues(flat, n, out, c === 11);
}

/** Opens row r's array at `buf[at]`, after a comma but for the first row; the position after. */
function openRow(buf: Buffer, at: number, r: number): number {
  let p = at;
  if (r > 0) buf[p++] = 0x2c;
  buf[p++] = 0x5b;
  return p;
}

/** The explanation's feature indices (0 … 13): one or two digits from `DIGIT_PAIRS`. */
function writeFlatFeatures(flat: FlatExplanations, n: number, out: JsonBytes): void {
  const { bytes, top } = flat;
  const rowRoom = 3 + top * 3;
  for (let r = 0; r < n; r++) {
    const buf = out.reserve(rowRoom);
    let p = openRow(buf, out.length, r);
    const rank = r * ROW_BYTES + AT_RANKING;
    for (let k = 0; k < top; k++) {
      if (k > 0) buf[p++] = 0x2c;
      const f = bytes[rank + k] as number;
      if (f >= 10) buf[p++] = DIGIT_PAIRS[f << 1] as number;
      buf[p++] = DIGIT_PAIRS[(f << 1) + 1] as number;
    }
    buf[p++] = 0x5d;
    out.advanceTo(p);
  }
}

/** The contributions in millionths (integers, |m| ≤ 10^6 but for NaN or a broken model). */
function writeFlatContributions(flat: FlatExplanations, n: number, out: JsonBytes): void {
  const { numbers, bytes, top } = flat;
  const rowRoom = 3 + top * (1 + DECIMAL_ROOM);
  for (let r = 0; r < n; r++) {
    let buf = out.reserve(rowRoom);
    let p = openRow(buf, out.length, r);
    const at = r * ROW_DOUBLES + AT_CONTRIBUTION;
    const rank = r * ROW_BYTES + AT_RANKING;
    for (let k = 0; k < top; k++) {
      if (k > 0) buf[p++] = 0x2c;
      const m = micro(numbers[at + (bytes[rank + k] as number)] as number);
      if (m <= 1e6 && m >= -1e6) p = putInteger(buf, p, m | 0);
      else {
        // NaN (null) or out of range: through the checked writer, then back to this buffer.
        out.advanceTo(p);
        out.number(m);
        buf = out.reserve(rowRoom);
        p = out.length;
      }
    }
    buf[p++] = 0x5d;
    out.advanceTo(p);
  }
}

/**
 * Where row r's value text of feature f is in the answer (`valueAt[r * N + f]`, its length in
 * `valueLength`), kept by the value column for the reference column: a row's reference is its
 * value for every feature without a known normal (the explanation starts from "no change"), so
 * that text is copied rather than formatted again. Grown to the largest batch written.
 */
let valueAt = new Int32Array(0);
let valueLength = new Uint8Array(0);

/**
 * The values (`isValue`) or references, to 6 significant digits (`sig6`). A number's text is
 * copied when the feature's last one was the same number, or, for a reference, when it is the
 * row's value: the same double always has the same text.
 */
function writeFlatValues(
  flat: FlatExplanations,
  n: number,
  out: JsonBytes,
  isValue: boolean,
): void {
  const { numbers, bytes, top } = flat;
  const nf = NAMES.length;
  if (isValue && valueAt.length < n * nf) {
    valueAt = new Int32Array(n * nf);
    valueLength = new Uint8Array(n * nf);
  }
  const slot = isValue ? AT_VALUE : AT_REFERENCE;
  // Brackets, commas and the widest cells (a value's text is at most DECIMAL_ROOM bytes).
  const rowRoom = 3 + top * (1 + DECIMAL_ROOM);
  for (let r = 0; r < n; r++) {
    let buf = out.reserve(rowRoom);
    let p = openRow(buf, out.length, r);
    const row = r * ROW_DOUBLES;
    const at = row + slot;
    const rank = r * ROW_BYTES + AT_RANKING;
    for (let k = 0; k < top; k++) {
      if (k > 0) buf[p++] = 0x2c;
      const f = bytes[rank + k] as number;
      const x = numbers[at + f] as number;
      // ±0 write the same text ("0"), so === is the right test.
      if (x === lastOfFeature[f]) {
        const from = textAt[f] as number;
        const end = from + (textLength[f] as number);
        for (let i = from; i < end; i++) buf[p++] = buf[i] as number;
        if (isValue) {
          valueAt[r * nf + f] = p - (end - from);
          valueLength[r * nf + f] = end - from;
        }
        continue;
      }
      const start = p;
      if (!isValue && x === numbers[row + AT_VALUE + f]) {
        const from = valueAt[r * nf + f] as number;
        const end = from + (valueLength[r * nf + f] as number);
        for (let i = from; i < end; i++) buf[p++] = buf[i] as number;
      } else {
        const end = putSig6At(buf, p, numbers, at + f);
        if (end >= 0) p = end;
        else {
          // Not finite (null), beyond 2^53 or below 10^-17: `number` of sig6.
          out.advanceTo(p);
          out.number(sig6(x));
          buf = out.reserve(rowRoom);
          p = out.length;
        }
      }
      lastOfFeature[f] = x;
      textAt[f] = start;
      textLength[f] = p - start;
      if (isValue) {
        valueAt[r * nf + f] = start;
        valueLength[r * nf + f] = p - start;
      }
    }
    buf[p++] = 0x5d;
    out.advanceTo(p);
  }
}

/**
 * A value or reference of feature f to 6 significant digits (`sig6`), its text copied when the
 * feature's last one was the same number (the accessors' path; `writeFlatExplainedCells` does the
 * same in place).
 */
function writeValueCell(out: JsonBytes, x: number, f: number): void {
  if (x === lastOfFeature[f]) return void out.copy(textAt[f] as number, textLength[f] as number);
  const at = out.length;
  lastOfFeature[f] = x;
  textAt[f] = at;
  cell[0] = x;
  const end = putSig6At(out.reserve(DECIMAL_ROOM), at, cell, 0);
  if (end >= 0) out.advanceTo(end);
  else out.number(sig6(x));
  textLength[f] = out.length - at;
}

/** 10^i for i = 0 … 22 (exact doubles), for `putSig6At`. */
const SCALE = Float64Array.from(POW10);

/**
 * `numbers[i]` to 6 significant digits (`sig6`) written at `buf[p]` (room: DECIMAL_ROOM), as
 * the value and reference columns send it; the position after it, or −1 where only
 * `number(sig6(x))` writes it: not finite, beyond 2^53 after rounding, or below 10^-17. Zero and
 * whole numbers below 10^6 are written as they are; from 10^6 on the whole number sig6 rounds
 * to; below, the 6 digits n = round(x · 10^e) as the decimal n / 10^e, trailing zeros dropped
 * (`putDecimal`'s text).
 *
 * The decade comes from the double's binary exponent: floor(e2 · log10 2) is x's decade or one
 * off, and x · 10^(5 − k) within [10^5, 10^6) settles it. Clear of the decade's edges by more
 * than `decadeAt`'s margin that is `decadeAt`'s decade, so the same e and the same n; at an edge
 * (or where the estimate is off by more) the long way, through `decadeAt`. Reads the number from
 * the array: a double handed to a call the compiler does not inline is boxed.
 */
export function putSig6At(buf: Buffer, p: number, numbers: Float64Array, i: number): number {
  const x = numbers[i] as number;
  const a = x < 0 ? -x : x;
  if (x === 0 || (a < 1e6 && x === Math.round(x))) return putInteger(buf, p, x | 0);
  bits[0] = a;
  const e2 = (((words[HIGH_WORD] as number) >>> 20) & 0x7ff) - 1023;
  if (e2 > -60 && e2 < 60) {
    let e = 5 - ((e2 * 78913) >> 18);
    let s = e >= 0 ? a * (SCALE[e] as number) : a / (SCALE[-e] as number);
    if (s >= 1e6) {
      e--;
      s = e >= 0 ? a * (SCALE[e] as number) : a / (SCALE[-e] as number);
    }
    if (s > 100000.1 && s < 999999) {
      if (e >= 0) return putSixDigits(buf, p, Math.round(x * (SCALE[e] as number)), e);
      return putRoundedWhole(buf, p, x, SCALE[-e] as number);
    }
  }
  return putSig6Long(buf, p, numbers, i);
}

/**
 * From 10^6 on, sig6 rounds to whole tens, hundreds, … (`scale`): that integer at `buf[p]`, or −1
 * beyond 2^53.
 */
function putRoundedWhole(buf: Buffer, p: number, x: number, scale: number): number {
  const y = Math.round(x / scale) * scale;
  return y <= 9007199254740991 && y >= -9007199254740991 ? putInteger(buf, p, y) : -1;
}

/** `putSig6At` the long way: the decade from `decadeAt`. */
function putSig6Long(buf: Buffer, p: number, numbers: Float64Array, i: number): number {
  const x = numbers[i] as number;
  if (x - x !== 0) return -1;
  const e = 5 - decadeAt(numbers, i);
  if (e < 0) return e <= -SCALE.length ? -1 : putRoundedWhole(buf, p, x, SCALE[-e] as number);
  if (e >= SCALE.length) return -1;
  const n = Math.round(x * (SCALE[e] as number));
  const u = n < 0 ? -n : n;
  // Six digits, or a rounding up to 10^6: `putDecimal`.
  return u >= 100000 && u < 1000000 ? putSixDigits(buf, p, n, e) : putDecimal(buf, p, n, e);
}

/** How many trailing zeros the two digits of 0 … 99 have ("00": 2). */
const TRAILING_ZEROS = Uint8Array.from({ length: 100 }, (_, x) =>
  x === 0 ? 2 : x % 10 === 0 ? 1 : 0,
);

/**
 * The decimal n / 10^e (10^5 ≤ |n| < 10^6, 0 ≤ e ≤ 22) at `buf[p]` as `putDecimal` writes it:
 * its digits from three pairs, each at its place (one further on past the point), and the end
 * where its trailing zeros start (before the point, where the fraction is all zeros). Bytes past
 * the end may be written (within DECIMAL_ROOM).
 */
function putSixDigits(buf: Buffer, p: number, n: number, e: number): number {
  let at = p;
  if (n < 0) buf[at++] = 0x2d; // '-'
  const v = (n < 0 ? -n : n) | 0;
  const hi = (v / 10000) | 0;
  const rest = v - hi * 10000;
  const mid = (rest / 100) | 0;
  const lo = rest - mid * 100;
  const zeros =
    lo !== 0
      ? (TRAILING_ZEROS[lo] as number)
      : mid !== 0
        ? 2 + (TRAILING_ZEROS[mid] as number)
        : 4 + (TRAILING_ZEROS[hi] as number);
  if (e >= 6) {
    // Below 1: "0.", e − 6 zeros, the digits but their trailing zeros (the first is not 0).
    buf[at] = 0x30;
    buf[at + 1] = 0x2e;
    at += 2;
    for (let z = 6; z < e; z++) buf[at++] = 0x30;
    buf[at] = DIGIT_PAIRS[hi << 1] as number;
    buf[at + 1] = DIGIT_PAIRS[(hi << 1) + 1] as number;
    buf[at + 2] = DIGIT_PAIRS[mid << 1] as number;
    buf[at + 3] = DIGIT_PAIRS[(mid << 1) + 1] as number;
    buf[at + 4] = DIGIT_PAIRS[lo << 1] as number;
    buf[at + 5] = DIGIT_PAIRS[(lo << 1) + 1] as number;
    return at + 6 - zeros;
  }
  // 6 − e whole digits, the point, e fraction digits: digit j at j, or j + 1 from the point on
  // ((whole − 1 − j) >>> 31 is 1 exactly when j ≥ whole).
  const whole = 6 - e;
  buf[at] = DIGIT_PAIRS[hi << 1] as number;
  buf[at + 1 + ((whole - 2) >>> 31)] = DIGIT_PAIRS[(hi << 1) + 1] as number;
  buf[at + 2 + ((whole - 3) >>> 31)] = DIGIT_PAIRS[mid << 1] as number;
  buf[at + 3 + ((whole - 4) >>> 31)] = DIGIT_PAIRS[(mid << 1) + 1] as number;
  buf[at + 4 + ((whole - 5) >>> 31)] = DIGIT_PAIRS[lo << 1] as number;
  buf[at + 5 + ((whole - 6) >>> 31)] = DIGIT_PAIRS[(lo << 1) + 1] as number;
  buf[at + whole] = 0x2e;
  const fraction = e - (zeros < e ? zeros : e);
  return fraction > 0 ? at + whole + 1 + fraction : at + whole;
}
