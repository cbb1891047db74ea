/**
 * A Prometheus instant-vector answer (`/api/v1/query`), parsed from its bytes as they arrive and
 * handed to a visitor one sample at a time: only the labels it asks for, the timestamp and the
 * value — no answer string and no object per sample. At 10,000 deployments a cycle reads some
 * 100 MB of answers; `JSON.parse` of each whole answer built an object per sample and a label
 * object per series, and all of that was garbage one loop later.
 *
 * Pure (bytes in, calls out), so every chunk boundary and malformed answer is table-tested apart
 * from HTTP. The samples reach the visitor before the answer is known to be whole and valid
 * (`status` may come last): a caller keeps what it read only when `end()` returns.
 */

/** Why an answer cannot be used; the query names the feature in its own message. */
export class VectorAnswerError extends Error {
  override readonly name = 'VectorAnswerError';
  constructor(
    /**
     * `not-json`: not a JSON document (or cut short); `not-vector`: not a successful vector
     * answer (`detail`: its resultType, or the answer's start); `partial`: Prometheus warned
     * (`detail`: the warnings); `malformed`: a sample without a `[time, value]` pair.
     */
    readonly kind: 'not-json' | 'not-vector' | 'partial' | 'malformed',
    readonly detail: string,
  ) {
    super(`${kind}: ${detail}`);
  }
}

/** What a caller reads from each sample. */
export interface SampleVisitor {
  /** The label names to read, in the order `sample` gets their values. */
  readonly labels: readonly string[];
  /**
   * One sample. `labels` holds the asked labels' values (undefined: absent) and is reused for the
   * next sample; `at` is seconds since epoch as Prometheus sent it; `value` follows
   * `parseSampleValue`.
   */
  sample(labels: readonly (string | undefined)[], at: number, value: number): void;
}

/** Prometheus sample values are strings: `0.5`, `NaN`, `+Inf`, `-Inf`. */
export function parseSampleValue(v: string): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

// Where the parser is between tokens.
const VALUE = 0; // a value (the document, an object member's, or an array element)
const FIRST_KEY = 1; // after `{`: a key or `}`
const KEY = 2; // after `,` in an object
const COLON = 3;
const NEXT = 4; // after a value: `,` or the container's end
const FIRST_VALUE = 5; // after `[`: a value or `]`
const DONE = 6; // after the document: only whitespace
// Inside a token.
const STRING = 7;
const ESCAPE = 8; // after a backslash
const UNICODE = 9; // in `\uXXXX`
const NUMBER = 10;
const LITERAL = 11;

// What a container or scalar means: the slot the next value fills.
const OTHER = 0;
const ROOT = 1;
const STATUS = 2;
const DATA = 3;
const WARNINGS = 4;
const WARNING = 5;
const RESULT_TYPE = 6;
const RESULT = 7;
const SAMPLE = 8;
const METRIC = 9;
const PAIR = 10; // a sample's `value`
const TIME = 11;
const SAMPLE_VALUE = 12;
const LABEL = 16; // LABEL + i: the visitor's i-th label

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const K = {
  status: ascii('status'),
  data: ascii('data'),
  warnings: ascii('warnings'),
  resultType: ascii('resultType'),
  result: ascii('result'),
  metric: ascii('metric'),
  value: ascii('value'),
};
const LITERALS = { t: ascii('true'), f: ascii('false'), n: ascii('null') };
/** What a byte after a backslash stands for (-1: not an escape; `u` is read apart). */
const ESCAPED = new Int8Array(128).fill(-1);
for (const [c, code] of Object.entries({
  '"': 0x22,
  '\\': 0x5c,
  '/': 0x2f,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
}))
  ESCAPED[c.charCodeAt(0)] = code;
/** A hex digit's value (-1: not one). */
const HEX = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) {
  HEX[d.toString(16).charCodeAt(0)] = d;
  HEX[d.toString(16).toUpperCase().charCodeAt(0)] = d;
}
const STRICT_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const HEAD_BYTES = 512;
const utf8 = new TextDecoder('utf-8');

/**
 * A strict JSON decimal in `b[0, len)` as `Number()` reads it, when that needs no rounding beyond
 * one exact operation (≤ 15 significant digits, |exponent| ≤ 22: Clinger's fast path); else
 * undefined and the caller decodes the text.
 */
function fastDecimal(b: Uint8Array, len: number): number | undefined {
  if (len === 0) return undefined;
  let i = 0;
  const negative = b[0] === 0x2d;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  const start = i;
  if (i < len && b[i] === 0x30) i++;
  else
    for (; i < len && b[i]! >= 0x30 && b[i]! <= 0x39; i++) {
      mantissa = mantissa * 10 + b[i]! - 0x30;
      digits++;
    }
  if (i === start) return undefined;
  if (i < len && b[i] === 0x2e) {
    const dot = ++i;
    for (; i < len && b[i]! >= 0x30 && b[i]! <= 0x39; i++) {
      if (mantissa === 0 && b[i] === 0x30) {
        exponent--;
        continue;
      }
      mantissa = mantissa * 10 + b[i]! - 0x30;
      digits++;
      exponent--;
    }
    if (i === dot) return undefined;
  }
  if (i < len && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let sign = 1;
    if (i < len && (b[i] === 0x2b || b[i] === 0x2d)) sign = b[i++] === 0x2d ? -1 : 1;
    const from = i;
    let e = 0;
    for (; i < len && b[i]! >= 0x30 && b[i]! <= 0x39 && e < 1000; i++) e = e * 10 + b[i]! - 0x30;
    if (i === from || e >= 1000) return undefined;
    exponent += sign * e;
  }
  if (i !== len || digits > 15) return undefined;
  const magnitude =
    mantissa === 0
      ? 0
      : exponent < -22 || exponent > 22
        ? undefined
        : exponent < 0
          ? mantissa / POW10[-exponent]!
          : mantissa * POW10[exponent]!;
  if (magnitude === undefined) return undefined;
  return negative ? -magnitude : magnitude;
}

/**
 * Feed it the answer's bytes with `write`, then call `end`: the visitor's `sample` is called once
 * per sample as soon as it is complete. Throws `VectorAnswerError` (from `write` as soon as the
 * bytes cannot be JSON, from `end` for the rest). One parser per answer.
 */
export class VectorAnswerParser {
  private readonly wanted: Uint8Array[];
  private readonly labelValues: (string | undefined)[];
  /** Per label: the bytes and string of its last value, reused when the next is the same. */
  private readonly lastBytes: Uint8Array[];
  private readonly lastLength: number[];
  private readonly lastString: string[];

  private state = VALUE;
  /** The containers open: their slot, and for arrays the element index. */
  private readonly roles: number[] = [];
  private readonly isArray: boolean[] = [];
  private readonly elements: number[] = [];
  /** What the next value means (set by its key, or its array). */
  private slot = ROOT;
  /** The string being read: a key, or a value in `stringSlot`; `collect`: copied (else skipped). */
  private readingKey = false;
  private stringSlot = OTHER;
  private collect = false;
  private scratch = Buffer.allocUnsafe(256);
  private length = 0;
  private highSurrogate = -1;
  private hex = 0;
  private hexDigits = 0;
  private literal: Uint8Array = LITERALS.t;
  private literalAt = 0;

  private readonly head = new Uint8Array(HEAD_BYTES);
  private headLength = 0;
  /** Bytes read so far. */
  bytes = 0;

  private status: string | undefined;
  private resultType: string | undefined;
  private warnings: string[] | undefined;
  private malformed = false;
  private time: number | undefined;
  private value: number | undefined;
  /** The last timestamp's bytes: an instant query stamps every sample with the same one. */
  private lastTime = new Uint8Array(32);
  private lastTimeLength = -1;
  private lastTimeValue = 0;

  constructor(private readonly visitor: SampleVisitor) {
    this.wanted = visitor.labels.map(ascii);
    this.labelValues = visitor.labels.map(() => undefined);
    this.lastBytes = visitor.labels.map(() => new Uint8Array(64));
    this.lastLength = visitor.labels.map(() => -1);
    this.lastString = visitor.labels.map(() => '');
  }

  write(chunk: Uint8Array): void {
    if (this.headLength < HEAD_BYTES) {
      const take = Math.min(HEAD_BYTES - this.headLength, chunk.length);
      this.head.set(chunk.subarray(0, take), this.headLength);
      this.headLength += take;
    }
    this.bytes += chunk.length;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const c = chunk[i]!;
      switch (this.state) {
        case STRING: {
          // the run of plain bytes up to the closing quote or an escape, copied when wanted
          let j = i;
          let d = c;
          while (d !== 0x22 && d !== 0x5c && d >= 0x20) {
            if (++j === n) break;
            d = chunk[j]!;
          }
          if (j > i && this.collect) {
            this.flushSurrogate();
            this.append(chunk, i, j);
          }
          if (j === n) return;
          if (d < 0x20) this.fail();
          i = j + 1;
          if (d === 0x5c) this.state = ESCAPE;
          else this.endString();
          continue;
        }
        case ESCAPE: {
          i++;
          if (c === 0x75) {
            this.state = UNICODE;
            this.hex = 0;
            this.hexDigits = 0;
            continue;
          }
          const code = c < 0x80 ? ESCAPED[c]! : -1;
          if (code < 0) this.fail();
          if (this.collect) {
            this.flushSurrogate();
            this.push(code);
          }
          this.state = STRING;
          continue;
        }
        case UNICODE: {
          i++;
          const h = c < 0x80 ? HEX[c]! : -1;
          if (h < 0) this.fail();
          this.hex = this.hex * 16 + h;
          if (++this.hexDigits === 4) {
            if (this.collect) this.codeUnit(this.hex);
            this.state = STRING;
          }
          continue;
        }
        case NUMBER: {
          let j = i;
          let d = c;
          while (
            (d >= 0x30 && d <= 0x39) ||
            d === 0x2e ||
            d === 0x65 ||
            d === 0x45 ||
            d === 0x2b ||
            d === 0x2d
          ) {
            this.push(d);
            if (++j === n) return;
            d = chunk[j]!;
          }
          i = j;
          this.endNumber();
          continue; // the byte after the number is read again
        }
        case LITERAL: {
          if (c !== this.literal[this.literalAt]) this.fail();
          i++;
          if (++this.literalAt === this.literal.length) {
            this.scalar(this.slot, 'literal');
            this.afterValue();
          }
          continue;
        }
      }
      // between tokens
      i++;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      switch (this.state) {
        case VALUE:
        case FIRST_VALUE:
          if (c === 0x5d && this.state === FIRST_VALUE) this.close();
          else this.startValue(c);
          break;
        case FIRST_KEY:
        case KEY:
          if (c === 0x7d && this.state === FIRST_KEY) this.close();
          else if (c === 0x22) this.startString(OTHER, true);
          else this.fail();
          break;
        case COLON:
          if (c !== 0x3a) this.fail();
          this.state = VALUE;
          break;
        case NEXT: {
          const top = this.roles.length - 1;
          if (c === 0x2c) {
            if (this.isArray[top]) {
              this.slot = this.elementSlot(top, ++this.elements[top]!);
              this.state = VALUE;
            } else this.state = KEY;
          } else if (c === 0x5d && this.isArray[top]) this.close();
          else if (c === 0x7d && !this.isArray[top]) this.close();
          else this.fail();
          break;
        }
        default: // DONE
          this.fail();
      }
    }
  }

  /** The answer is whole: throws unless it was a successful vector answer without warnings. */
  end(): void {
    if (this.state === NUMBER) this.endNumber();
    if (this.state !== DONE) this.fail();
    if (this.status !== 'success' || this.resultType !== 'vector')
      throw new VectorAnswerError('not-vector', this.resultType ?? this.headText());
    if (this.warnings !== undefined && this.warnings.length > 0)
      throw new VectorAnswerError('partial', this.warnings.join('; '));
    if (this.malformed)
      throw new VectorAnswerError('malformed', 'a sample without a [time, value] pair');
  }

  /** The answer's first bytes as text, for messages. */
  headText(): string {
    return utf8.decode(this.head.subarray(0, this.headLength));
  }

  private fail(): never {
    throw new VectorAnswerError('not-json', this.headText().slice(0, 100));
  }

  private startValue(c: number): void {
    const slot = this.slot;
    if (c === 0x22) this.startString(slot, false);
    else if (c === 0x7b || c === 0x5b) this.open(slot, c === 0x5b);
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      this.state = NUMBER;
      this.scratch[0] = c;
      this.length = 1;
    } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
      this.literal = c === 0x74 ? LITERALS.t : c === 0x66 ? LITERALS.f : LITERALS.n;
      this.literalAt = 1;
      this.state = LITERAL;
    } else this.fail();
  }

  private open(slot: number, array: boolean): void {
    const role =
      (array && (slot === RESULT || slot === PAIR || slot === WARNINGS)) ||
      (!array && (slot === ROOT || slot === DATA || slot === SAMPLE || slot === METRIC))
        ? slot
        : OTHER;
    if (role === SAMPLE) {
      this.labelValues.fill(undefined);
      this.time = undefined;
      this.value = undefined;
    } else if (role === WARNINGS) this.warnings = [];
    else if (slot === WARNING) this.warnings!.push(array ? '' : '[object Object]');
    else if (role === OTHER && (slot === SAMPLE || slot === PAIR)) this.malformed = true;
    this.roles.push(role);
    this.isArray.push(array);
    this.elements.push(0);
    if (array) {
      this.slot = this.elementSlot(this.roles.length - 1, 0);
      this.state = FIRST_VALUE;
    } else this.state = FIRST_KEY;
  }

  private close(): void {
    const role = this.roles.pop()!;
    this.isArray.pop();
    this.elements.pop();
    if (role === SAMPLE) {
      if (this.time === undefined || this.value === undefined) this.malformed = true;
      else this.visitor.sample(this.labelValues, this.time, this.value);
    }
    this.afterValue();
  }

  private elementSlot(top: number, index: number): number {
    const role = this.roles[top];
    if (role === RESULT) return SAMPLE;
    if (role === WARNINGS) return WARNING;
    if (role === PAIR) return index === 0 ? TIME : index === 1 ? SAMPLE_VALUE : OTHER;
    return OTHER;
  }

  private afterValue(): void {
    this.state = this.roles.length === 0 ? DONE : NEXT;
  }

  private startString(slot: number, key: boolean): void {
    this.state = STRING;
    this.length = 0;
    this.highSurrogate = -1;
    this.readingKey = key;
    this.stringSlot = slot;
    // copy the strings that mean something here; skip the rest
    this.collect = key
      ? this.roles[this.roles.length - 1] !== OTHER
      : slot === STATUS ||
        slot === RESULT_TYPE ||
        slot === WARNING ||
        slot === TIME ||
        slot === SAMPLE_VALUE ||
        slot >= LABEL;
  }

  private endString(): void {
    this.flushSurrogate();
    if (this.readingKey) {
      this.slot = this.collect ? this.keySlot() : OTHER;
      this.state = COLON;
      return;
    }
    this.scalar(this.stringSlot, 'string');
    this.afterValue();
  }

  /** What the value after the key just read means, from the object it is in. */
  private keySlot(): number {
    const role = this.roles[this.roles.length - 1];
    if (role === ROOT) {
      if (this.is(K.status)) return STATUS;
      if (this.is(K.data)) return DATA;
      if (this.is(K.warnings)) return WARNINGS;
    } else if (role === DATA) {
      if (this.is(K.resultType)) return RESULT_TYPE;
      if (this.is(K.result)) return RESULT;
    } else if (role === SAMPLE) {
      if (this.is(K.metric)) return METRIC;
      if (this.is(K.value)) return PAIR;
    } else if (role === METRIC) {
      for (let k = 0; k < this.wanted.length; k++) if (this.is(this.wanted[k]!)) return LABEL + k;
    }
    return OTHER;
  }

  /** Whether the string read is `name` (its first `length` bytes). */
  private is(name: Uint8Array, length = name.length): boolean {
    if (length !== this.length) return false;
    for (let k = 0; k < length; k++) if (name[k] !== this.scratch[k]) return false;
    return true;
  }

  /** A string, number or literal read in this slot. */
  private scalar(slot: number, kind: 'string' | 'number' | 'literal', number = 0): void {
    if (slot === STATUS) this.status = kind === 'string' ? this.text() : undefined;
    else if (slot === RESULT_TYPE) this.resultType = kind === 'string' ? this.text() : undefined;
    else if (slot === WARNING)
      this.warnings!.push(kind === 'literal' ? utf8.decode(this.literal) : this.text());
    else if (slot === TIME || slot === SAMPLE_VALUE) {
      const v =
        kind === 'number'
          ? number
          : kind === 'string'
            ? (fastDecimal(this.scratch, this.length) ?? parseSampleValue(this.text()))
            : undefined;
      if (v === undefined) this.malformed = true;
      else if (slot === TIME) this.time = v;
      else this.value = v;
    } else if (slot >= LABEL)
      this.labelValues[slot - LABEL] = kind === 'string' ? this.label(slot - LABEL) : undefined;
    else if (slot === PAIR || slot === SAMPLE) this.malformed = true;
  }

  private text(): string {
    return this.scratch.toString('utf8', 0, this.length);
  }

  /** A label's value, the same string as the last one when the bytes are the same. */
  private label(k: number): string {
    const last = this.lastBytes[k]!;
    const len = this.length;
    if (len === this.lastLength[k] && this.is(last, len)) return this.lastString[k]!;
    const s = this.scratch.toString('utf8', 0, len);
    if (len <= last.length) {
      for (let j = 0; j < len; j++) last[j] = this.scratch[j]!;
      this.lastLength[k] = len;
      this.lastString[k] = s;
    } else this.lastLength[k] = -1;
    return s;
  }

  /** A number token, validated (the same bytes as the last timestamp: its value again). */
  private endNumber(): void {
    const b = this.scratch;
    const len = this.length;
    let v: number | undefined;
    if (len === this.lastTimeLength) {
      v = this.lastTimeValue;
      for (let k = 0; k < len; k++)
        if (b[k] !== this.lastTime[k]) {
          v = undefined;
          break;
        }
    }
    if (v === undefined) {
      v = fastDecimal(b, len);
      if (v === undefined) {
        const text = b.toString('latin1', 0, len);
        if (!STRICT_NUMBER.test(text)) this.fail();
        v = Number(text);
      }
      if (len <= this.lastTime.length) {
        for (let k = 0; k < len; k++) this.lastTime[k] = b[k]!;
        this.lastTimeLength = len;
        this.lastTimeValue = v;
      }
    }
    this.scalar(this.slot, 'number', v);
    this.afterValue();
  }

  private append(chunk: Uint8Array, from: number, to: number): void {
    const need = this.length + (to - from);
    if (need > this.scratch.length) this.grow(need);
    // most runs are a label's value: a loop beats a subarray view for a few bytes
    if (to - from < 32)
      for (let k = from, at = this.length; k < to; k++, at++) this.scratch[at] = chunk[k]!;
    else this.scratch.set(chunk.subarray(from, to), this.length);
    this.length = need;
  }

  private push(byte: number): void {
    if (this.length + 4 > this.scratch.length) this.grow(this.length + 4);
    this.scratch[this.length++] = byte;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    next.set(this.scratch.subarray(0, this.length));
    this.scratch = next;
  }

  /** A `\uXXXX` escape: UTF-16 code units, surrogate pairs joined, written as UTF-8. */
  private codeUnit(u: number): void {
    if (u >= 0xdc00 && u <= 0xdfff && this.highSurrogate >= 0) {
      const cp = 0x10000 + ((this.highSurrogate - 0xd800) << 10) + (u - 0xdc00);
      this.highSurrogate = -1;
      this.codePoint(cp);
      return;
    }
    this.flushSurrogate();
    if (u >= 0xd800 && u <= 0xdbff) this.highSurrogate = u;
    else this.codePoint(u >= 0xdc00 && u <= 0xdfff ? 0xfffd : u);
  }

  /** A high surrogate not followed by a low one: U+FFFD, as a UTF-8 decoder writes it. */
  private flushSurrogate(): void {
    if (this.highSurrogate < 0) return;
    this.highSurrogate = -1;
    this.codePoint(0xfffd);
  }

  private codePoint(cp: number): void {
    if (cp < 0x80) this.push(cp);
    else if (cp < 0x800) {
      this.push(0xc0 | (cp >> 6));
      this.push(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      this.push(0xe0 | (cp >> 12));
      this.push(0x80 | ((cp >> 6) & 0x3f));
      this.push(0x80 | (cp & 0x3f));
    } else {
      this.push(0xf0 | (cp >> 18));
      this.push(0x80 | ((cp >> 12) & 0x3f));
      this.push(0x80 | ((cp >> 6) & 0x3f));
      this.push(0x80 | (cp & 0x3f));
    }
  }
}
