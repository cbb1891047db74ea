/**
 * The compact, columnar form of a batch answer (`POST /predict?format=columns`): one array per
 * field instead of one object per row, feature names sent once, and fewer digits where a caller
 * acting on the answer needs none (contributions as whole millionths of risk, values and
 * references to 6 significant digits; risks stay exact). The healer asks for it: a 10,000-row answer is a fraction
 * of the default one, and cheaper to write and to parse. The default answer is unchanged.
 *
 * `writeColumns` writes it from a `ColumnSource` (the model's `ScoredBatch`, or prediction objects
 * through `columnSourceOf`); `predictionsOfColumns` turns it back into prediction objects
 * (`columnObjects.ts`). The explanation's cells are written by `explainedCells.ts`.
 */
import {
  FEATURES,
  RISK_LEVELS,
  riskLevel,
  type FeatureName,
  type RiskLayer,
  type RiskLevel,
} from '../schema.js';
import { JsonBytes } from './jsonBytes.js';
import { writeExplainedCells } from './explainedCells.js';

// Split along the flow: the explanation's cells, and the prediction objects in and out.
export { decadeOf, micro, putSig6At, sig6 } from './explainedCells.js';
export { ColumnsError, columnSourceOf, predictionsOfColumns } from './columnObjects.js';

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
  /**
   * `reason(r)` as a JSON string (null for undefined) into `out`, when the source can write it
   * without making the text: the writer uses it instead of `reason`.
   */
  writeReason?(out: JsonBytes, r: number): void;
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
const NAMES_JSON = JSON.stringify(NAMES);

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
  if (c === 4 && src.writeReason !== undefined) {
    for (let r = 0; r < src.length; r++) {
      if (r > 0) out.char(0x2c);
      src.writeReason(out, r);
    }
    return;
  }
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
const answerCapacity = (n: number, top: number): number => 256 + n * (160 + 32 * top);

/**
 * The answer as JSON bytes (UTF-8); `extra` (`,"k":v` …) goes before the closing brace. Written
 * column by column straight into one buffer, with no string per row or per number: `into` when
 * it has the room the answer may need (`answerCapacity`; the answer is then a view of it), else
 * a new one.
 */
export function writeColumns(src: ColumnSource, extra = '', into?: Buffer): Buffer {
  const n = src.length;
  const out = new JsonBytes(answerCapacity(n, n > 0 ? src.explained(0) : 0), into);
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
  const out = new JsonBytes(answerCapacity(src.length, src.length > 0 ? src.explained(0) : 0));
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
