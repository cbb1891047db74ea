/**
 * A JSON writer straight into bytes, for large answers: building the text by string concatenation
 * left most of a 10,000-row answer's cost to the garbage collector (one short-lived string per
 * number and per separator) and to flattening the result before the socket could take it.
 */
export class JsonBytes {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity);
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
    let v = n < 0 ? -n : n;
    let q = p;
    while (q > 0 && v % 10 === 0) {
      v /= 10;
      q--;
    }
    if (q === 0 || v === 0) return this.integer(n < 0 && v !== 0 ? -v : v);
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    const whole = digits > q ? digits - q : 1;
    this.room(whole + q + 2);
    const { buf } = this;
    if (n < 0) buf[this.pos++] = 0x2d;
    const end = this.pos + whole + 1 + q;
    let at = end;
    for (let i = 0; i < q; i++) {
      const d = Math.floor(v / 10);
      buf[--at] = 0x30 + (v - d * 10);
      v = d;
    }
    buf[--at] = 0x2e; // '.'
    do {
      const d = Math.floor(v / 10);
      buf[--at] = 0x30 + (v - d * 10);
      v = d;
    } while (v > 0);
    this.pos = end;
    return this;
  }

  private integer(x: number): this {
    this.room(17);
    const { buf } = this;
    let v = x;
    if (v < 0) {
      buf[this.pos++] = 0x2d; // '-'
      v = -v;
    }
    if (v < 10) {
      buf[this.pos++] = 0x30 + v;
      return this;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      buf[--p] = 0x30 + (v - q * 10);
      v = q;
    }
    buf[--p] = 0x30 + v;
    return this;
  }

  /** A string value, quoted and escaped (null for null or undefined). */
  string(s: string | null | undefined): this {
    return this.raw(s === null || s === undefined ? 'null' : JSON.stringify(s));
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
