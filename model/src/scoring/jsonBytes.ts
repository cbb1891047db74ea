/**
 * A JSON writer straight into bytes, for large answers: building the text by string concatenation
 * left most of a 10,000-row answer's cost to the garbage collector (one short-lived string per
 * number and per separator) and to flattening the result before the socket could take it.
 */
const INT32_MAX = 0x7fffffff;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** How many decimal digits the whole number v ≥ 0 (below 2^53) has. */
function digitCount(v: number): number {
  // Comparisons rather than a loop: most numbers written have 1 to 7 digits.
  if (v < 1e4) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : 4;
  if (v < 1e8) return v < 1e5 ? 5 : v < 1e6 ? 6 : v < 1e7 ? 7 : 8;
  let d = 9;
  while (d < 16 && v >= (POW10[d] as number)) d++;
  return d;
}

/** "00" … "99": two digits per entry (i at 2i, 2i + 1), for writers that place digits in pairs. */
export const DIGIT_PAIRS = Uint8Array.from(
  { length: 200 },
  (_, i) => 0x30 + (i & 1 ? (i >> 1) % 10 : ((i >> 1) / 10) | 0),
);

/**
 * Writes the digits of the whole number v ≥ 0 right-aligned so that the last one is at end − 1,
 * zero-padded down to `from` (v's digits must fit). Integer arithmetic where v fits 31 bits.
 */
function writeDigits(buf: Buffer, end: number, v: number, from: number): void {
  let at = end;
  if (v <= INT32_MAX) {
    let u = v | 0;
    while (u >= 100) {
      const q = (u / 100) | 0;
      const d = (u - q * 100) << 1;
      buf[--at] = DIGIT_PAIRS[d + 1] as number;
      buf[--at] = DIGIT_PAIRS[d] as number;
      u = q;
    }
    if (u >= 10) {
      buf[--at] = DIGIT_PAIRS[(u << 1) + 1] as number;
      buf[--at] = DIGIT_PAIRS[u << 1] as number;
    } else if (u > 0 || at === end) {
      buf[--at] = 0x30 + u;
    }
  } else {
    let w = v;
    do {
      const q = Math.floor(w / 10);
      buf[--at] = 0x30 + (w - q * 10);
      w = q;
    } while (w !== 0);
  }
  while (at > from) buf[--at] = 0x30;
}

/** A character JSON.stringify escapes, or a surrogate (it escapes a lone one): its text is its. */
// eslint-disable-next-line no-control-regex
const NEEDS_STRINGIFY = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** The most bytes `putInteger` writes (a sign and 16 digits). */
export const INTEGER_ROOM = 17;
/** The most bytes `putDecimal` writes (a sign, "0." and 22 fraction digits; 18 with a whole part). */
export const DECIMAL_ROOM = 25;

/** The integer x (|x| < 2^53) written at `buf[p]` (room: INTEGER_ROOM); the position after it. */
export function putInteger(buf: Buffer, p: number, x: number): number {
  let at = p;
  let v = x;
  if (v < 0) {
    buf[at++] = 0x2d; // '-'
    v = -v;
  }
  const end = at + digitCount(v);
  writeDigits(buf, end, v, at);
  return end;
}

/**
 * `JsonBytes.decimal(n, q)` written at `buf[p]` (room: DECIMAL_ROOM); the position after it.
 */
export function putDecimal(buf: Buffer, p: number, n: number, q0: number): number {
  let v = n < 0 ? -n : n;
  let q = q0;
  if (v <= INT32_MAX) {
    let u = v | 0;
    while (q > 0 && u !== 0 && u % 10 === 0) {
      u = (u / 10) | 0;
      q--;
    }
    v = u;
  } else {
    while (q > 0 && v % 10 === 0) {
      v /= 10;
      q--;
    }
  }
  if (q === 0 || v === 0) return putInteger(buf, p, n < 0 && v !== 0 ? -v : v);
  const digits = digitCount(v);
  const whole = digits > q ? digits - q : 1;
  let at = p;
  if (n < 0) buf[at++] = 0x2d; // '-'
  const end = at + whole + 1 + q;
  // The fraction's q digits (zero-padded), the point, then the whole part ("0" when v < 10^q).
  const point = end - q - 1;
  const scale = POW10[q] as number;
  const w = Math.floor(v / scale);
  writeDigits(buf, end, v - w * scale, point + 1);
  buf[point] = 0x2e; // '.'
  writeDigits(buf, point, w, at);
  return end;
}

export class JsonBytes {
  private buf: Buffer;
  private pos = 0;

  /** `into`: a buffer to write into when it holds `capacity` bytes (else a new one is made). */
  constructor(capacity = 1 << 16, into?: Buffer) {
    this.buf = into !== undefined && into.length >= capacity ? into : Buffer.allocUnsafe(capacity);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Text that is already JSON (punctuation, keys, pre-escaped pieces); any Unicode. */
  raw(s: string): this {
    const n = s.length;
    if (n > 32) {
      this.room(3 * n);
      this.pos += this.buf.write(s, this.pos, 'utf8');
      return this;
    }
    this.room(3 * n);
    const { buf } = this;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = p;
        this.pos += buf.write(s.slice(i), p, 'utf8');
        return this;
      }
      buf[p++] = c;
    }
    this.pos = p;
    return this;
  }

  /** Again the `length` bytes written at `from` (a number's text written before). */
  copy(from: number, length: number): this {
    this.room(length);
    const { buf } = this;
    let p = this.pos;
    for (let i = from; i < from + length; i++) buf[p++] = buf[i] as number;
    this.pos = p;
    return this;
  }

  /** Bytes that are already JSON text (a piece of text kept encoded, a few dozen bytes). */
  append(b: Uint8Array): this {
    const n = b.length;
    this.room(n);
    const { buf } = this;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i] as number;
    this.pos = p;
    return this;
  }

  /** One character (ASCII). */
  char(c: number): this {
    this.room(1);
    this.buf[this.pos++] = c;
    return this;
  }

  /** A number as JSON.stringify writes it (null when not finite); integers without a string. */
  number(x: number): this {
    if (x - x !== 0) return this.raw('null');
    if (x === Math.trunc(x) && x <= 9007199254740991 && x >= -9007199254740991) {
      return this.integer(x);
    }
    return this.raw(String(x));
  }

  /**
   * n / 10^p as a decimal (n an integer below 2^53, 0 ≤ p ≤ 22), trailing zeros dropped: what
   * `String(n / 10 ** p)` writes for it, or the same value in positional form where that would
   * switch to an exponent; both parse to the same double. No string is made.
   */
  decimal(n: number, p: number): this {
    this.room(DECIMAL_ROOM);
    this.pos = putDecimal(this.buf, this.pos, n, p);
    return this;
  }

  /**
   * An integer of at most 31 bits (what `number` writes for it), taken as a small integer: the
   * callers' loops pass it without boxing it.
   */
  smallInteger(x: number): this {
    return this.integer(x);
  }

  private integer(x: number): this {
    this.room(INTEGER_ROOM);
    this.pos = putInteger(this.buf, this.pos, x);
    return this;
  }

  /**
   * Room for n more bytes, and the buffer to write them into from `length` on (`putInteger`,
   * `putDecimal`, bytes); `advanceTo` then says where the writing ended. For a loop that writes
   * many small cells: one check of the room per row instead of one per character.
   */
  reserve(n: number): Buffer {
    this.room(n);
    return this.buf;
  }

  /** The bytes up to `end` of the buffer `reserve` returned are written. */
  advanceTo(end: number): void {
    this.pos = end;
  }

  /**
   * A string value, quoted and escaped as JSON.stringify does (null for null or undefined). Text
   * with nothing to escape (the usual reason: ASCII, `×`, `≥`) is encoded straight into the
   * buffer as UTF-8 by Buffer's native encoder (a regular expression finds the rest: a quote, a
   * backslash, a control character or a surrogate, which go through JSON.stringify). A
   * 10,000-row answer had made one escaped copy of every reason; encoding them a character at a
   * time in JavaScript then cost ~5 ms.
   */
  string(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.raw('null');
    const n = s.length;
    if (n <= 32) {
      // A short text (a rule's or signal's name) a character at a time: no regular expression
      // and no call into the native encoder for a few bytes. At the first character that is
      // not plain ASCII, or that JSON escapes, the general path below (nothing kept of this).
      this.room(n + 2);
      const { buf } = this;
      let p = this.pos;
      buf[p++] = 0x22;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20 || c >= 0x80 || c === 0x22 || c === 0x5c) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[p++] = 0x22;
        this.pos = p;
        return this;
      }
    }
    if (NEEDS_STRINGIFY.test(s)) return this.raw(JSON.stringify(s));
    this.room(3 * s.length + 2);
    const { buf } = this;
    buf[this.pos++] = 0x22;
    this.pos += buf.write(s, this.pos, 'utf8');
    buf[this.pos++] = 0x22;
    return this;
  }

  /** How many bytes have been written. */
  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
