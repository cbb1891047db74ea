/**
 * The own-normal layer's verdicts as a code and the numbers their reasons name (what
 * `judgeOwnNormal` decides), and their texts made from those: as a string when read
 * (`ownNormalReason`, `ownNormalVerdictOf`) or straight into an answer's bytes
 * (`writeOwnNormalReason`). A batch keeps the codes and numbers in its typed arrays: the texts of
 * 10,000 rows were ~2 MB of strings alive from scoring until the answer was written.
 */
import { DIGIT_PAIRS, putInteger, type JsonBytes } from '../scoring/jsonBytes.js';
import type { OwnNormalSignal, OwnNormalVerdict } from './ownNormal.js';

export const NO_BASELINE: OwnNormalVerdict = Object.freeze({
  fired: false,
  signal: null,
  reason: 'no baseline for latency, errors or CPU: judged by the other layers',
});
export const WITHIN: OwnNormalVerdict = Object.freeze({
  fired: false,
  signal: null,
  reason: 'latency, errors and CPU within their own normal',
});
/** The verdict of a scorer whose own-normal layer is off. */
export const OWN_NORMAL_OFF: OwnNormalVerdict = Object.freeze({
  fired: false,
  signal: null,
  reason: 'own-normal layer off',
});

/** A number in a reason: 3 significant digits, or whole from 100 on. */
export const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/**
 * The most bytes a number of a reason takes: `String` of a double is at most 24 characters
 * (`putFmtAt` writes at most 17).
 */
export const FMT_ROOM = 24;
/** 10^(2 − e) for a number's decade e = 1 … −6, at SCALE[1 − e]: its 3 digits as an integer. */
const SCALE = Float64Array.from({ length: 8 }, (_, i) => 10 ** (i + 1));

/**
 * `fmt(nums[i])` written as bytes at `buf[p]` (room: FMT_ROOM); the position after it, or −1
 * where only `fmt` itself can say: not finite, from 2^52 on, below 10^-6 (an exponent), or within
 * 10^-9 of a tie or of a decade's edge after scaling, where the product's rounding could decide
 * otherwise than `toFixed`/`toPrecision`, which round the double's exact decimal value (half up,
 * away from zero). Elsewhere the scaled product is within 10^-13 of that exact value, so it
 * rounds the same way. Reads the number from the array: a double passed to a call the compiler
 * does not inline is boxed.
 */
export function putFmtAt(buf: Buffer, p: number, nums: Float64Array, i: number): number {
  const x = nums[i] as number;
  const a = x < 0 ? -x : x;
  let at = p;
  if (a >= 100) {
    // toFixed(0): the nearest integer, a half up (a − ⌊a⌋ is exact below 2^52).
    if (!(a < 4503599627370496)) return -1;
    const whole = Math.floor(a);
    if (x < 0) buf[at++] = 0x2d;
    return putInteger(buf, at, a - whole >= 0.5 ? whole + 1 : whole);
  }
  if (a === 0) {
    // ±0: "0.00" (toPrecision drops the sign of −0).
    buf[at] = 0x30;
    buf[at + 1] = 0x2e;
    buf[at + 2] = 0x30;
    buf[at + 3] = 0x30;
    return at + 4;
  }
  if (!(a >= 1e-6)) return -1; // NaN, or an exponent ("1.00e-7")
  // toPrecision(3): the decade e, then a·10^(2−e) rounded to the 3 digits n (100 … 999).
  const e =
    a >= 10
      ? 1
      : a >= 1
        ? 0
        : a >= 0.1
          ? -1
          : a >= 0.01
            ? -2
            : a >= 1e-3
              ? -3
              : a >= 1e-4
                ? -4
                : a >= 1e-5
                  ? -5
                  : -6;
  const s = a * (SCALE[1 - e] as number);
  const floor = Math.floor(s);
  const frac = s - floor;
  if (s < 100 + 1e-9 || s >= 999.5 || (frac > 0.5 - 1e-9 && frac < 0.5 + 1e-9)) return -1;
  const n = frac > 0.5 ? floor + 1 : floor;
  const d0 = 0x30 + ((n / 100) | 0);
  const pair = (n % 100) << 1;
  if (x < 0) buf[at++] = 0x2d;
  if (e === 1) {
    buf[at] = d0;
    buf[at + 1] = DIGIT_PAIRS[pair] as number;
    buf[at + 2] = 0x2e;
    buf[at + 3] = DIGIT_PAIRS[pair + 1] as number;
    return at + 4;
  }
  if (e === 0) {
    buf[at] = d0;
    buf[at + 1] = 0x2e;
    buf[at + 2] = DIGIT_PAIRS[pair] as number;
    buf[at + 3] = DIGIT_PAIRS[pair + 1] as number;
    return at + 4;
  }
  buf[at++] = 0x30;
  buf[at++] = 0x2e;
  for (let z = e; z < -1; z++) buf[at++] = 0x30;
  buf[at] = d0;
  buf[at + 1] = DIGIT_PAIRS[pair] as number;
  buf[at + 2] = DIGIT_PAIRS[pair + 1] as number;
  return at + 3;
}

/*
 * A verdict as a code and the numbers its reason names, so a batch keeps them in its typed arrays
 * and writes the text only when it is read (`ownNormalReason`) or straight into an answer's bytes
 * (`writeOwnNormalReason`): the texts of 10,000 rows were ~2 MB of strings alive from scoring
 * until the answer was written. The code's low 3 bits are the check (or 0/1: within, no
 * baseline), then flags.
 */
/** Not fired: within their own normal. */
export const OWN_WITHIN = 0;
/** Not fired: no baseline to judge by. */
export const OWN_NO_BASELINE = 1;
export const MEMORY = 2;
/** Latency against its normal median (`ratioOf: 'median'`) or p90 (`'p90'`), its lower spreads. */
export const LATENCY_MEDIAN = 3;
export const LATENCY_P90 = 4;
export const LATENCY_LOWER = 5;
export const CPU = 6;
export const ERRORS = 7;
const CHECK = 7;
/** Flags: the callers' latency; still high after a spike (the spike's check is the code's). */
export const CALLERS = 8;
export const AFTER_SPIKE = 16;
/** Not fired: the layer is off. */
export const OWN_OFF = 32;
/** The numbers a verdict keeps (`judgeOwnNormal`'s `nums` from `at`). */
export const OWN_NUMBERS = 11;

/** Whether the verdict of code `code` fired. */
export const ownNormalFired = (code: number): boolean => (code & CHECK) >= MEMORY;

/** The signal the verdict of code `code` names (null where it did not fire). */
export function ownNormalSignal(code: number): OwnNormalSignal | null {
  const check = code & CHECK;
  if (check === MEMORY) return 'memory_growth_ratio_per_min';
  if (check === CPU) return 'cpu_usage_pct';
  if (check === ERRORS) return 'http_5xx_error_rate';
  if (check >= LATENCY_MEDIAN) {
    return code & CALLERS ? 'http_caller_p95_latency_seconds' : 'http_p95_latency_seconds';
  }
  return null;
}

/**
 * A reason's pieces: text, or the slot of a number (at `at + slot` of the verdict's numbers) and
 * how it is written: `fmt` (3 significant digits) or `String` (a rule's own setting).
 */
type Piece = string | readonly [slot: number, form: 'fmt' | 'String'];
const F = (slot: number): Piece => [slot, 'fmt'];
const S = (slot: number): Piece => [slot, 'String'];
/** The slots of a latency check: the value (p95 or the spike's peak), its z, the normal, … */
// prettier-ignore
const upper = (ratioOf: string): readonly Piece[] => [
  'p95 ', F(0), ' s is ', F(1), ' spreads above its own normal ', F(2), ' s (≥ ', S(3),
  ') and ×', F(4), ` its normal ${ratioOf} `, F(5), ' s (≥ ×', S(6), ')',
];
// prettier-ignore
const TEMPLATES: Readonly<Record<number, readonly Piece[]>> = {
  [MEMORY]: [
    'memory ', F(0), ' % of its limit, growing ', F(1), ' % per minute: exhausted in ', F(2),
    ' min (≤ ', S(3), ')',
  ],
  [LATENCY_MEDIAN]: upper('median'),
  [LATENCY_P90]: upper('p90'),
  [LATENCY_LOWER]: [
    'p95 ', F(0), ' s is ', F(1), ' lower spreads above its own normal ', F(2), ' s (≥ ', S(3),
    ') and ×', F(4), ' its normal median (≥ ×', S(5), ')',
  ],
  [CPU]: [
    'CPU ', F(0), ' % of its limit (≥ ', S(1), ' %: saturated) is ×', F(2), ' its normal p90 ',
    F(3), ' % (≥ ×', S(4), ')',
  ],
  [ERRORS]: [
    '5xx ratio ', F(0), ' is ', F(1), ' spreads above its own normal ', F(2), ' (≥ ', S(3), ', +',
    F(4), ' ≥ ', S(5), ')',
  ],
};
/** Before the spike's own reason: the current p95 (slots 7, 8), the normal (2), the rule (9, 10). */
// prettier-ignore
const AFTER_SPIKE_PIECES: readonly Piece[] = [
  'p95 ', F(7), ' s is still ×', F(8), ' its normal median ', F(2), ' s (≥ ×', S(9), ', ≥ +',
  S(10), ' s) after a spike in the last 3 minutes: peak ',
];
const CALLERS_PIECES: readonly Piece[] = ["callers' "];

/** The pieces of a fired verdict's reason, in order. */
function piecesOf(code: number): readonly (readonly Piece[])[] {
  const out: (readonly Piece[])[] = [];
  if (code & CALLERS) out.push(CALLERS_PIECES);
  if (code & AFTER_SPIKE) out.push(AFTER_SPIKE_PIECES);
  out.push(TEMPLATES[code & CHECK] as readonly Piece[]);
  return out;
}
/** The pieces of every fired code, made once. */
const PIECES = new Map<number, readonly Piece[]>();
for (const check of [MEMORY, LATENCY_MEDIAN, LATENCY_P90, LATENCY_LOWER, CPU, ERRORS]) {
  for (const flags of [0, CALLERS, AFTER_SPIKE, CALLERS | AFTER_SPIKE]) {
    PIECES.set(check | flags, piecesOf(check | flags).flat());
  }
}
/**
 * Each fired code's pieces for `writeOwnNormalReason`, by code: the texts JSON-escaped as UTF-8
 * (`text[i]`, null for a number) and the numbers' slots and forms (`slot[i]`, `fmt[i]`).
 */
interface EncodedPieces {
  text: (Buffer | null)[];
  slot: Int8Array;
  fmt: Uint8Array;
  /** The most bytes the reason takes: its texts, and each number's widest. */
  room: number;
  /**
   * A `String` piece's last number and its text's bytes (`lastNumber[i]`, `lastText[i]`): those
   * are a rule's settings, the same in every row, so each is made once.
   */
  lastNumber: Float64Array;
  lastText: (Buffer | null)[];
}
const ENCODED: (EncodedPieces | undefined)[] = [];
for (const [code, pieces] of PIECES) {
  const text = pieces.map((p) =>
    typeof p === 'string' ? Buffer.from(JSON.stringify(p).slice(1, -1)) : null,
  );
  ENCODED[code] = {
    text,
    slot: Int8Array.from(pieces, (p) => (typeof p === 'string' ? -1 : p[0])),
    fmt: Uint8Array.from(pieces, (p) => (typeof p !== 'string' && p[1] === 'fmt' ? 1 : 0)),
    room: 2 + text.reduce((sum, t) => sum + (t === null ? FMT_ROOM : t.length), 0),
    lastNumber: new Float64Array(pieces.length).fill(NaN),
    lastText: pieces.map(() => null),
  };
}

const textOf = (x: number, form: 'fmt' | 'String'): string => (form === 'fmt' ? fmt(x) : String(x));

/** The reason of the verdict with code `code` and numbers `nums[at …]`. */
export function ownNormalReason(code: number, nums: Float64Array, at: number): string {
  if (code === OWN_WITHIN) return WITHIN.reason;
  if (code === OWN_NO_BASELINE) return NO_BASELINE.reason;
  if (code === OWN_OFF) return OWN_NORMAL_OFF.reason;
  let s = '';
  for (const p of PIECES.get(code) as readonly Piece[]) {
    s += typeof p === 'string' ? p : textOf(nums[at + p[0]] as number, p[1]);
  }
  return s;
}

/**
 * The reason of the verdict with code `code` as a JSON string into `out`: the same bytes as
 * `out.string(ownNormalReason(code, nums, at))`, without making the text (its pieces are kept
 * encoded; only each number's few characters are made).
 */
export function writeOwnNormalReason(
  out: JsonBytes,
  code: number,
  nums: Float64Array,
  at: number,
): void {
  const pieces = ENCODED[code];
  if (pieces === undefined) return void out.string(ownNormalReason(code, nums, at));
  const { text, slot, fmt: form, lastNumber, lastText } = pieces;
  const buf = out.reserve(pieces.room);
  let p = out.length;
  buf[p++] = 0x22;
  for (let i = 0; i < slot.length; i++) {
    const k = slot[i] as number;
    let bytes: Buffer;
    if (k < 0) bytes = text[i] as Buffer;
    else if (form[i] === 1) {
      const end = putFmtAt(buf, p, nums, at + k);
      if (end >= 0) {
        p = end;
        continue;
      }
      bytes = Buffer.from(fmt(nums[at + k] as number), 'latin1');
    } else {
      // A rule's setting: its text made once (NaN equals nothing: made each time).
      const x = nums[at + k] as number;
      if (!(x === lastNumber[i])) {
        lastText[i] = Buffer.from(String(x), 'latin1');
        lastNumber[i] = x;
      }
      bytes = lastText[i] as Buffer;
    }
    // A number's text is at most FMT_ROOM bytes (String of a double: 24 at most).
    for (let j = 0; j < bytes.length; j++) buf[p++] = bytes[j] as number;
  }
  buf[p++] = 0x22;
  out.advanceTo(p);
}

/** The verdict object of code `code` and numbers `nums[at …]` (the API's `own_normal`). */
export function ownNormalVerdictOf(code: number, nums: Float64Array, at: number): OwnNormalVerdict {
  if (code === OWN_WITHIN) return WITHIN;
  if (code === OWN_NO_BASELINE) return NO_BASELINE;
  if (code === OWN_OFF) return OWN_NORMAL_OFF;
  return { fired: true, signal: ownNormalSignal(code), reason: ownNormalReason(code, nums, at) };
}
