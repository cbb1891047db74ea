/**
 * The compact, columnar form of a batch answer (`POST /predict?format=columns`): one array per
 * field instead of one object per row, feature names sent once, and fewer digits where a caller
 * acting on the answer needs none (contributions as whole millionths of risk, values and
 * references to 6 significant digits; risks stay exact). The healer asks for it: a 10,000-row answer is a fraction
 * of the default one, and cheaper to write and to parse. The default answer is unchanged.
 *
 * `writeColumns` writes it from a `ColumnSource` (the model's `ScoredBatch`, or prediction objects
 * through `columnSourceOf`); `predictionsOfColumns` turns it back into prediction objects.
 */
import {
  FEATURES,
  RISK_LEVELS,
  riskLevel,
  type Contribution,
  type FeatureName,
  type Prediction,
  type PredictionLayers,
  type RiskLayer,
  type RiskLevel,
} from '../schema.js';
import { DECIMAL_ROOM, JsonBytes, putDecimal, putInteger } from './jsonBytes.js';
import {
  AT_CONTRIBUTION,
  AT_RANKING,
  AT_REFERENCE,
  AT_VALUE,
  ROW_BYTES,
  ROW_DOUBLES,
} from './scoredBatch.js';

/** The wire shape of `POST /predict?format=columns`; every array holds one entry per row. */
export interface ColumnarPredictions {
  format: 'columns';
  model: { version: string };
  threshold: number;
  /** The feature names the explanation's and `imputed`'s indices refer to (schema order). */
  features: FeatureName[];
  risk: number[];
  level: RiskLevel[];
  layer: RiskLayer[];
  /** The deterministic layer's rule (SLO) or signal (own normal) where it set the risk, else null. */
  rule: (string | null)[];
  /** That layer's reason where it set the risk, else null. */
  reason: (string | null)[];
  /** Why the model abstains where no deterministic layer fired (hold, do not act), else null. */
  inconclusive: (string | null)[];
  /** Indices of the imputed features. */
  imputed: number[][];
  model_risk: number[];
  reference_risk: number[];
  /** Per row, the explained contributions largest |contribution| first, one array per field. */
  explanation: {
    feature: number[][];
    /** In millionths of risk (integers): contribution × 1e6, rounded. */
    contribution: number[][];
    /** 6 significant digits. */
    value: number[][];
    /** 6 significant digits. */
    reference: number[][];
  };
}

/** What `writeColumns` reads of a scored batch, row by row (k: rank in the explanation). */
export interface ColumnSource {
  readonly length: number;
  readonly version: string;
  readonly threshold: number;
  risk(r: number): number;
  layer(r: number): RiskLayer;
  /**
   * The fired layer's rule (SLO) or signal (own normal); null where that layer names none, and
   * undefined where the model set the risk. Two accessors rather than one pair object, so a
   * 10,000-row answer allocates nothing per row for them.
   */
  rule(r: number): string | null | undefined;
  /** The fired layer's reason; undefined where the model set the risk. */
  reason(r: number): string | undefined;
  inconclusive(r: number): string | undefined;
  imputedMask(r: number): number;
  modelRisk(r: number): number;
  referenceRisk(r: number): number;
  explained(r: number): number;
  feature(r: number, k: number): number;
  contribution(r: number, k: number): number;
  value(r: number, k: number): number;
  reference(r: number, k: number): number;
  /**
   * The explanation's cells as flat arrays in the `ScoredBatch` layout, when the source keeps
   * them so: the writer then reads them in place, with no accessor call (and no boxed number)
   * per cell. Absent: the accessors above.
   */
  flat?(): FlatExplanations;
}

/**
 * A scored batch's explanation in its flat layout (`ScoredBatch`): row r's contribution, value
 * and reference of feature f at `numbers[r * ROW_DOUBLES + AT_CONTRIBUTION | AT_VALUE |
 * AT_REFERENCE + f]`, its k-th explained feature at `bytes[r * ROW_BYTES + AT_RANKING + k]`,
 * `top` explained per row.
 */
export interface FlatExplanations {
  readonly numbers: Float64Array;
  readonly bytes: Uint8Array;
  readonly top: number;
}

const NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);
const INDEX = new Map<string, number>(NAMES.map((n, i) => [n, i]));
const NAMES_JSON = JSON.stringify(NAMES);
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

const LEVEL_JSON = Object.fromEntries(RISK_LEVELS.map((l) => [l, `"${l}"`])) as Record<
  RiskLevel,
  string
>;
const LAYER_JSON: Record<RiskLayer, string> = {
  model: '"model"',
  slo: '"slo"',
  own_normal: '"own_normal"',
};

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
 * The answer's columns after the header, in order: each key (with what opens it) written before
 * the column's `[`. The explanation's four columns sit in one object, closed after the last.
 */
const COLUMN_KEYS = [
  ',"risk":',
  ',"level":',
  ',"layer":',
  ',"rule":',
  ',"reason":',
  ',"inconclusive":',
  ',"imputed":',
  ',"model_risk":',
  ',"reference_risk":',
  ',"explanation":{"feature":',
  ',"contribution":',
  ',"value":',
  ',"reference":',
] as const;
/** How many columns an answer has (`writeColumnSegments` ends one segment per column). */
export const N_ANSWER_COLUMNS = COLUMN_KEYS.length;

/**
 * Where row r's risk text is in the answer (`riskAt[r]`, `riskLength[r]`), for the model_risk
 * column: a risk the model set is the same double as the row's model risk, so its text is copied
 * rather than formatted again. Grown to the largest batch written.
 */
let riskAt = new Int32Array(0);
let riskLength = new Int32Array(0);

/**
 * Column c (0, 7 or 8: risk, model_risk, reference_risk) of rows 0 … n−1, comma-separated. The
 * exact doubles are the costly cells (`String(x)`: the shortest text that reads back as x), so a
 * number already written is copied instead: a model risk equal to the row's risk (every row the
 * model set), a reference risk equal to the previous row's (every row without a baseline has the
 * same reference). The same double always has the same text, so the bytes are unchanged.
 */
function writeRiskCells(src: ColumnSource, out: JsonBytes, c: number): void {
  const n = src.length;
  if (c === 0 && riskAt.length < n) {
    riskAt = new Int32Array(n);
    riskLength = new Int32Array(n);
  }
  let lastAt = 0;
  let lastLength = -1;
  for (let r = 0; r < n; r++) {
    if (r > 0) out.char(0x2c);
    const at = out.length;
    if (c === 0) {
      out.number(src.risk(r));
      riskAt[r] = at;
      riskLength[r] = out.length - at;
    } else if (c === 7) {
      const x = src.modelRisk(r);
      if (x === src.risk(r) && x !== 0) out.copy(riskAt[r] as number, riskLength[r] as number);
      else out.number(x);
    } else {
      const x = src.referenceRisk(r);
      if (lastLength >= 0 && x === src.referenceRisk(r - 1) && x !== 0) {
        out.copy(lastAt, lastLength);
      } else out.number(x);
      lastAt = at;
      lastLength = out.length - at;
    }
  }
}

/**
 * Column c (3, 4 or 5: rule, reason, inconclusive) of rows 0 … n−1, comma-separated. A text the
 * same as the last one written (a rule is one of a few names; most rows have none) is copied.
 */
function writeTextCells(src: ColumnSource, out: JsonBytes, c: number): void {
  let last: string | null | undefined;
  let lastAt = 0;
  let lastLength = -1;
  for (let r = 0; r < src.length; r++) {
    if (r > 0) out.char(0x2c);
    const s = c === 3 ? src.rule(r) : c === 4 ? src.reason(r) : src.inconclusive(r);
    if (lastLength >= 0 && s === last) {
      out.copy(lastAt, lastLength);
      continue;
    }
    lastAt = out.length;
    out.string(s);
    last = s;
    lastLength = out.length - lastAt;
  }
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
function writeExplainedCells(src: ColumnSource, out: JsonBytes, c: number): void {
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

/** The bytes of the feature indices 0 … 99 ("0" … "99"), one or two digits each. */
const INDEX_TEXT = Uint8Array.from({ length: 200 }, (_, i) =>
  i & 1 ? 0x30 + ((i >> 1) % 10) : 0x30 + Math.floor((i >> 1) / 10),
);

/** The explanation's feature indices (0 … 13): one or two digits from a table. */
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
      if (f >= 10) buf[p++] = INDEX_TEXT[f << 1] as number;
      buf[p++] = INDEX_TEXT[(f << 1) + 1] as number;
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
        const a = x < 0 ? -x : x;
        if (x === 0 || (a < 1e6 && x === Math.round(x))) p = putInteger(buf, p, x | 0);
        else {
          const e = x - x === 0 ? 5 - decadeAt(numbers, at + f) : NaN;
          const y = e < 0 && e > -POW10.length ? Math.round(x / POW10[-e]!) * POW10[-e]! : NaN;
          if (e >= 0 && e < POW10.length) p = putDecimal(buf, p, Math.round(x * POW10[e]!), e);
          else if (y <= 9007199254740991 && y >= -9007199254740991) {
            // From 10^6 on, sig6 rounds to whole tens, hundreds, …: an integer (`number` of it).
            p = putInteger(buf, p, y);
          } else {
            // Not finite (null), beyond 2^53 or below 10^-17: `number` of sig6.
            out.advanceTo(p);
            out.number(sig6(x));
            buf = out.reserve(rowRoom);
            p = out.length;
          }
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
  const a = x < 0 ? -x : x;
  if (x - x !== 0 || x === 0 || (a < 1e6 && x === Math.round(x))) out.number(x);
  else {
    const e = 5 - decadeOf(a);
    if (e >= 0 && e < POW10.length) out.decimal(Math.round(x * POW10[e]!), e);
    else out.number(sig6(x));
  }
  textLength[f] = out.length - at;
}

/**
 * Every column's entries for rows 0 … n−1 of `src`, comma-separated, into `out`; `open(c)` and
 * `close(c)` are called around column c. The one writer of the answer's cells: `writeColumns`
 * wraps each column in its key and brackets, `writeColumnSegments` marks where each ends.
 *
 * A few small loops, each over one kind of cell, rather than one loop calling a writer per cell:
 * that call site saw thirteen closures, so nothing was inlined and every number read through
 * `src` came back boxed (a heap allocation per cell).
 */
function writeColumnCells(
  src: ColumnSource,
  out: JsonBytes,
  open: (c: number) => void,
  close: (c: number) => void,
): void {
  const n = src.length;
  for (let c = 0; c < N_ANSWER_COLUMNS; c++) {
    open(c);
    if (c === 0 || c === 7 || c === 8) writeRiskCells(src, out, c);
    else if (c === 3 || c === 4 || c === 5) writeTextCells(src, out, c);
    else if (c >= 9) writeExplainedCells(src, out, c);
    else {
      for (let r = 0; r < n; r++) {
        if (r > 0) out.char(0x2c);
        if (c === 1) out.raw(LEVEL_JSON[riskLevel(src.risk(r))]);
        else if (c === 2) out.raw(LAYER_JSON[src.layer(r)]);
        else writeImputed(out, src.imputedMask(r));
      }
    }
    close(c);
  }
}

/** The imputed features' indices of one row (bit i of `mask`: feature i), as an array. */
function writeImputed(out: JsonBytes, mask: number): void {
  out.char(0x5b);
  let first = true;
  for (let i = 0; mask !== 0 && i < NAMES.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    if (!first) out.char(0x2c);
    out.number(i);
    first = false;
  }
  out.char(0x5d);
}

/** What every answer starts with: the format, the model, the threshold and the feature names. */
function columnsHeader(version: string, threshold: number, out: JsonBytes): JsonBytes {
  return out
    .raw(`{"format":"columns","model":{"version":${JSON.stringify(version)}},"threshold":`)
    .number(threshold)
    .raw(`,"features":${NAMES_JSON}`);
}

/** The capacity to start an answer's buffer with for n rows of `top` contributions. */
const capacityFor = (n: number, top: number): number => 256 + n * (160 + 32 * top);

/**
 * The answer as JSON bytes (UTF-8); `extra` (`,"k":v` …) goes before the closing brace. Written
 * column by column straight into one buffer, with no string per row or per number.
 */
export function writeColumns(src: ColumnSource, extra = ''): Buffer {
  const n = src.length;
  const out = new JsonBytes(capacityFor(n, n > 0 ? src.explained(0) : 0));
  columnsHeader(src.version, src.threshold, out);
  writeColumnCells(
    src,
    out,
    (c) => out.raw(COLUMN_KEYS[c] as string).char(0x5b),
    () => out.char(0x5d),
  );
  return out.raw('}').raw(extra).char(0x7d).bytes();
}

/**
 * A slice of rows' part of the answer: each column's entries, comma-separated, one after the
 * other in `bytes`; column c ends at `ends[c]`. Slices scored apart (on other threads) are
 * joined into the answer `writeColumns` gives for all their rows by `joinColumnSegments`.
 */
export interface ColumnSegments {
  bytes: Uint8Array;
  ends: Int32Array;
}

/** `src`'s rows as column segments (see `ColumnSegments`). */
export function writeColumnSegments(src: ColumnSource): ColumnSegments {
  const out = new JsonBytes(capacityFor(src.length, src.length > 0 ? src.explained(0) : 0));
  const ends = new Int32Array(N_ANSWER_COLUMNS);
  writeColumnCells(
    src,
    out,
    () => undefined,
    (c) => (ends[c] = out.length),
  );
  return { bytes: out.bytes(), ends };
}

/**
 * The answer for the rows of `parts` in order (each a slice's `writeColumnSegments`): the same
 * bytes as `writeColumns` of all the rows scored at once; `extra` as there.
 */
export function joinColumnSegments(
  version: string,
  threshold: number,
  parts: readonly ColumnSegments[],
  extra = '',
): Buffer {
  const head = columnsHeader(version, threshold, new JsonBytes(1024)).bytes();
  const tail = Buffer.from(`}${extra}}`);
  let total = head.length + tail.length;
  for (const key of COLUMN_KEYS) total += Buffer.byteLength(key) + 2 + parts.length;
  for (const p of parts) total += p.bytes.length;
  const buf = Buffer.allocUnsafe(total);
  let at = head.copy(buf, 0);
  for (let c = 0; c < N_ANSWER_COLUMNS; c++) {
    at += buf.write(COLUMN_KEYS[c] as string, at, 'latin1');
    buf[at++] = 0x5b;
    let first = true;
    for (const p of parts) {
      const from = c === 0 ? 0 : (p.ends[c - 1] as number);
      const to = p.ends[c] as number;
      if (to === from && p.ends[N_ANSWER_COLUMNS - 1] === 0) continue; // a slice of no rows
      if (!first) buf[at++] = 0x2c;
      buf.set(p.bytes.subarray(from, to), at);
      at += to - from;
      first = false;
    }
    buf[at++] = 0x5d;
  }
  at += tail.copy(buf, at);
  return buf.subarray(0, at);
}

/** Prediction objects (the object path: shadow mode, other scorers) as a `ColumnSource`. */
export function columnSourceOf(
  predictions: readonly Prediction[],
  version: string,
  threshold: number,
): ColumnSource {
  const p = (r: number): Prediction => predictions[r] as Prediction;
  const c = (r: number, k: number): Contribution => p(r).explanation[k] as Contribution;
  return {
    length: predictions.length,
    version,
    threshold,
    risk: (r) => p(r).risk,
    layer: (r) => p(r).layer ?? 'model',
    rule: (r) => {
      const { layer, layers } = p(r);
      if (layer === 'slo' && layers) return layers.slo.rule;
      if (layer === 'own_normal' && layers?.own_normal) return layers.own_normal.signal;
      return undefined;
    },
    reason: (r) => {
      const { layer, layers } = p(r);
      if (layer === 'slo' && layers) return layers.slo.reason;
      if (layer === 'own_normal' && layers?.own_normal) return layers.own_normal.reason;
      return undefined;
    },
    inconclusive: (r) => p(r).inconclusive,
    imputedMask: (r) => {
      let mask = 0;
      for (const name of p(r).imputed) mask |= 1 << (INDEX.get(name) ?? 0);
      return mask;
    },
    modelRisk: (r) => p(r).layers?.model.risk ?? p(r).risk,
    referenceRisk: (r) => p(r).layers?.model.reference_risk ?? NaN,
    explained: (r) => p(r).explanation.length,
    feature: (r, k) => INDEX.get(c(r, k).feature) ?? -1,
    contribution: (r, k) => c(r, k).contribution,
    value: (r, k) => c(r, k).value,
    reference: (r, k) => c(r, k).reference ?? NaN,
  };
}

/** `body` is not a columnar answer for `rows` rows. */
export class ColumnsError extends Error {
  override readonly name = 'ColumnsError';
}

/**
 * The layers that did not fire and the empty `imputed`, one frozen object each for every row of
 * every answer rather than one per row: 10,000 rows made up to 30,000 such objects a cycle.
 */
const SLO_NOT_FIRED: PredictionLayers['slo'] = Object.freeze({
  fired: false,
  rule: null,
  reason: '',
});
const OWN_NORMAL_NOT_FIRED: NonNullable<PredictionLayers['own_normal']> = Object.freeze({
  fired: false,
  signal: null,
  reason: '',
});
const NONE_IMPUTED = Object.freeze([]) as unknown as FeatureName[];

/**
 * The prediction objects of a columnar answer, in row order. Layers that did not set the risk
 * are reported as not fired, without their reasons (the columnar form does not carry them).
 * `explain` keeps each row's first (largest) contributions only, for a caller that asked
 * `?explain=` of a server that may not know it. Throws ColumnsError when `body` is not a columnar
 * answer for `rows` rows.
 */
export function predictionsOfColumns(
  body: unknown,
  rows: number,
  explain = Infinity,
): Prediction[] {
  const b = body as Partial<ColumnarPredictions> | null;
  const e = b?.explanation;
  const columns = [
    b?.risk,
    b?.level,
    b?.layer,
    b?.rule,
    b?.reason,
    b?.inconclusive,
    b?.imputed,
    b?.model_risk,
    b?.reference_risk,
    e?.feature,
    e?.contribution,
    e?.value,
    e?.reference,
  ];
  if (
    b === null ||
    typeof b !== 'object' ||
    b.format !== 'columns' ||
    !Array.isArray(b.features) ||
    typeof b.model?.version !== 'string' ||
    typeof b.threshold !== 'number' ||
    columns.some((col) => !Array.isArray(col) || col.length !== rows)
  ) {
    throw new ColumnsError(`not a columnar answer for ${rows} rows`);
  }
  const c = b as ColumnarPredictions;
  const model = Object.freeze({ version: c.model.version });
  const names = c.features;
  const out: Prediction[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const f = c.explanation.feature[r]!;
    const top = Math.min(f.length, explain);
    const explanation: Contribution[] = new Array(top);
    for (let k = 0; k < top; k++) {
      const name = names[f[k]!];
      if (name === undefined) throw new ColumnsError(`row ${r}: unknown feature index ${f[k]}`);
      explanation[k] = {
        feature: name,
        value: c.explanation.value[r]![k]!,
        contribution: c.explanation.contribution[r]![k]! / 1e6,
        reference: c.explanation.reference[r]![k]!,
      };
    }
    const layer = c.layer[r]!;
    const reason = c.reason[r] ?? '';
    const rule = c.rule[r] ?? null;
    const inconclusive = c.inconclusive[r];
    const p: Prediction = {
      risk: c.risk[r]!,
      level: c.level[r]!,
      threshold: c.threshold,
      explanation,
      imputed: c.imputed[r]!.length === 0 ? NONE_IMPUTED : c.imputed[r]!.map((i) => names[i]!),
      model,
      layer,
      layers: {
        model: {
          risk: c.model_risk[r]!,
          reference_risk: c.reference_risk[r]!,
          abstained: inconclusive ?? null,
        },
        slo: layer === 'slo' ? { fired: true, rule, reason } : SLO_NOT_FIRED,
        own_normal:
          layer === 'own_normal' ? { fired: true, signal: rule, reason } : OWN_NORMAL_NOT_FIRED,
      },
    };
    if (inconclusive !== null && inconclusive !== undefined) p.inconclusive = inconclusive;
    out[r] = p;
  }
  return out;
}
