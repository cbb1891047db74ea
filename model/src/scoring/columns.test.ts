/**
 * The columnar answer: its writer against JSON.stringify where it writes exact numbers, its
 * rounding against `sig6`/`micro`, both of its sources (ScoredBatch, prediction objects) writing
 * the same bytes, and `predictionsOfColumns` giving back the predictions within that rounding.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Predictor } from '../predictor.js';
import { Rng } from '../rng.js';
import { FEATURES, type FeatureInput } from '../schema.js';
import {
  ColumnsError,
  columnSourceOf,
  decadeOf,
  micro,
  predictionsOfColumns,
  putSig6At,
  sig6,
  writeColumns,
  type ColumnarPredictions,
} from './columns.js';
import { DECIMAL_ROOM, JsonBytes } from './jsonBytes.js';
import type { ScoredBatch } from './scoredBatch.js';
import { edgeRows, formatterCases, randomRow } from './testRows.js';

let predictor: Predictor;
beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
});
afterAll(() => predictor.dispose());

const written = (write: (out: JsonBytes) => void): string => {
  const out = new JsonBytes(4);
  write(out);
  return out.bytes().toString('utf8');
};

/**
 * The columnar answer of `s` with `,"elapsed_ms":1`, assembled plainly: JSON.stringify of the
 * exact columns, the explanation's cells formatted one by one (`micro`, `sig6`).
 */
function plainAssembly(s: ScoredBatch): string {
  const n = s.length;
  const col = <T>(f: (r: number) => T): T[] => Array.from({ length: n }, (_, r) => f(r));
  const cells = (f: (r: number, k: number) => string): string =>
    `[${col((r) => `[${Array.from({ length: s.explained() }, (_, k) => f(r, k)).join(',')}]`).join(',')}]`;
  // A 6-significant-digit cell: the shortest text of sig6(x), positional where that is an exponent.
  const sig = (x: number): string => {
    const t = JSON.stringify(sig6(x));
    if (!t.includes('e')) return t;
    const p = 5 - decadeOf(Math.abs(x));
    return written((o) => o.decimal(Math.round(x * 10 ** p), p));
  };
  return (
    JSON.stringify({
      format: 'columns',
      model: { version: s.version },
      threshold: s.threshold,
      features: FEATURES.map((f) => f.name),
      risk: col((r) => s.risk(r)),
      level: col((r) => s.level(r)),
      layer: col((r) => s.layer(r)),
      rule: col((r) => s.rule(r) ?? null),
      reason: col((r) => s.reason(r) ?? null),
      inconclusive: col((r) => s.inconclusive(r) ?? null),
      imputed: col((r) =>
        FEATURES.flatMap((_, i) => ((s.imputedMask(r) & (1 << i)) !== 0 ? [i] : [])),
      ),
      model_risk: col((r) => s.modelRisk(r)),
      reference_risk: col((r) => s.referenceRisk(r)),
    }).slice(0, -1) +
    `,"explanation":{"feature":${cells((r, k) => String(s.feature(r, k)))}` +
    `,"contribution":${cells((r, k) => String(micro(s.contribution(r, k))))}` +
    `,"value":${cells((r, k) => sig(s.value(r, k)))}` +
    `,"reference":${cells((r, k) => sig(s.reference(r, k)))}},"elapsed_ms":1}`
  );
}

describe('JsonBytes', () => {
  it.each([
    0,
    -0,
    1,
    -7,
    10,
    123456789,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2 ** 53,
    1e21,
    0.1,
    -2.5e-7,
    1 / 3,
    NaN,
    Infinity,
    -Infinity,
  ])('writes %p as JSON.stringify does', (x) => {
    expect(written((o) => o.number(x))).toBe(JSON.stringify(x));
  });

  it('writes any double as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.double(), (x) => written((o) => o.number(x)) === JSON.stringify(x)),
      { numRuns: 2000 },
    );
  });

  it.each([
    [123, 0, '123'],
    [123, 2, '1.23'],
    [123, 5, '0.00123'],
    [1234567, 3, '1234.567'],
    [2 ** 40 + 1, 4, '109951162.7777'],
    [-1500, 3, '-1.5'],
    [1000, 3, '1'],
    [0, 4, '0'],
    [-5, 1, '-0.5'],
    [123, 20, '0.00000000000000000123'],
  ])('decimal(%p, %p) is %p', (n, p, text) => {
    expect(written((o) => o.decimal(n, p))).toBe(text);
  });

  it('writes n / 10^p as String does wherever that is positional (up to 15 digits)', () => {
    const n = fc.oneof(
      fc.integer({ min: -999_999_999, max: 999_999_999 }),
      fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }),
      fc.constantFrom(
        0,
        1,
        9,
        10,
        99,
        100,
        101,
        999_999,
        1_000_000,
        2 ** 31 - 1,
        2 ** 31,
        2 ** 31 + 1,
      ),
    );
    fc.assert(
      fc.property(n, fc.integer({ min: 0, max: 22 }), (m, p) => {
        const text = String(m / 10 ** p);
        const got = written((o) => o.decimal(m, p));
        return text.includes('e') ? Number(got) === m / 10 ** p : got === text;
      }),
      { numRuns: 20000 },
    );
  });

  it.each([
    '',
    'plain',
    'burn 14.4× ≥ 2 %',
    'quote " and backslash \\',
    'control \u0000\u001f\n\t',
    'del \u007f',
    'é at the start',
    '€ and 𝄞 (a pair)',
    'lone \ud800 high',
    'lone \udc00 low',
    '\udc00\ud800 reversed',
  ])('writes the string %p as JSON.stringify does', (s) => {
    expect(written((o) => o.string(s))).toBe(JSON.stringify(s));
  });

  it('writes any string as JSON.stringify does', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.string({
        unit: fc.constantFrom('a', '"', '\\', '\n', '×', '≥', '\ud83d', '\ude00', '\u007f'),
      }),
    );
    fc.assert(
      fc.property(text, (s) => written((o) => o.string(s)) === JSON.stringify(s)),
      { numRuns: 5000 },
    );
  });

  it.each([
    '',
    'http_5xx_error_rate',
    'a"b',
    'a\\b',
    'tab\there',
    '\u001f',
    '\u007f',
    'é',
    '≥ 14.4×',
    '\ud83d\ude00',
    '\ud800 lone',
    'x'.repeat(32),
    `${'x'.repeat(31)}"`,
    'x'.repeat(33),
  ])('writes the string %p as JSON.stringify does', (s) => {
    expect(written((o) => o.raw('[').string(s).raw(']'))).toBe(`[${JSON.stringify(s)}]`);
  });

  it('escapes strings and writes non-ASCII text as UTF-8', () => {
    const s = 'burn 14.4× ≥ "fast" – line\nbreak';
    expect(written((o) => o.string(s).raw(',').string(null))).toBe(`${JSON.stringify(s)},null`);
  });
});

describe('rounding of the columnar form', () => {
  it('writes values to 6 significant digits, parsing back to sig6(x) within 5e-6 of x', () => {
    const rows = edgeRows();
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const src = columnSourceOf(
          [
            {
              ...predictor.predict([rows[0] as FeatureInput])[0]!,
              explanation: [{ feature: 'cpu_usage_pct', value: x, contribution: 0, reference: x }],
            },
          ],
          'v',
          0.5,
        );
        const back = JSON.parse(writeColumns(src).toString('utf8')) as ColumnarPredictions;
        const v = back.explanation.value[0]![0]!;
        return (
          Object.is(v, sig6(x) === 0 ? 0 : sig6(x)) &&
          Math.abs(v - x) <= 5e-6 * Math.abs(x) &&
          back.explanation.reference[0]![0] === v
        );
      }),
      { numRuns: 3000 },
    );
  });

  describe('putSig6At: a value or reference cell written from its six digits', () => {
    const buf = Buffer.alloc(64);
    const cell = new Float64Array(1);
    /** The cell as the writer wrote it before putSig6At (putInteger, decimal or number of sig6). */
    const before = (x: number): string =>
      written((o) => {
        const a = Math.abs(x);
        if (x - x !== 0 || x === 0 || (a < 1e6 && x === Math.round(x))) return void o.number(x);
        const e = 5 - decadeOf(a);
        if (e >= 0 && e < 23) return void o.decimal(Math.round(x * 10 ** e), e);
        o.number(sig6(x));
      });
    /** putSig6At's text, number(sig6(x)) where it declines; nothing written outside its room. */
    const now = (x: number): string => {
      buf.fill(0x7e);
      cell[0] = x;
      const end = putSig6At(buf, 8, cell, 0);
      if (end < 0) return written((o) => o.number(sig6(x)));
      // Scratch digits past the end are allowed, within the room.
      const inside = end - 8 <= DECIMAL_ROOM && buf[7] === 0x7e && buf[8 + DECIMAL_ROOM] === 0x7e;
      return inside ? buf.toString('latin1', 8, end) : 'outside its room';
    };
    const wrongOf = (xs: Iterable<number>): string[] => {
      const wrong: string[] = [];
      for (const x of xs) if (now(x) !== before(x)) wrong.push(`${x}: ${now(x)} ≠ ${before(x)}`);
      return wrong;
    };

    it('writes the edges as before: zero, signs, whole numbers, rounding up to the next decade, tiny and huge', () => {
      const edges = [
        0,
        -0,
        NaN,
        Infinity,
        -Infinity,
        1,
        -1,
        999999,
        999999.5,
        1e6,
        1e6 + 0.5,
        9.999995,
        9.9999949,
        9.99999,
        0.1,
        0.123456,
        0.1234565,
        1.5,
        -2.25,
        100000.5,
        99999.95,
        123456.7,
        1e-5,
        1.23456e-7,
        9.999995e-7,
        1e-17,
        1.2e-17,
        1e-18,
        1e-300,
        5e-324,
        2 ** 53,
        2 ** 53 + 2,
        9.007199254740991e15,
        9.9999951e15,
        1e21,
        1.7976931348623157e308,
        783750000,
        3046010.4,
      ];
      expect(
        wrongOf(edges.flatMap((x) => [x, -x, x * (1 + 2 ** -52), x * (1 - 2 ** -53)])),
      ).toEqual([]);
    });

    it('writes what the writer wrote before for doubles of every decade, ties and grids', () => {
      // Six-digit ties (x.xxxxx5) and three-decimal values like the healer's.
      const numbers = formatterCases(
        new Rng(15),
        60_000,
        [-20, 20],
        [
          (r) => ((Math.round(r.next() * 2e6) + 0.5) / 1e5) * 10 ** Math.round(6 * r.next() - 3),
          (r) => Math.round((r.next() - 0.5) * 2e7) / 1000,
        ],
      );
      expect(wrongOf(numbers)).toEqual([]);
      fc.assert(
        fc.property(fc.double(), (x) => now(x) === before(x)),
        { numRuns: 20000 },
      );
    });
  });

  it('finds the decade of any positive double as Math.floor(Math.log10(x)) does', () => {
    const edges = Array.from({ length: 45 }, (_, i) => 10 ** (i - 22)).flatMap((p) => [
      p,
      p * (1 - 1e-16),
      p * (1 + 1e-16),
      p * (1 - 1e-7),
      p * (1 + 1e-7),
      p * (1 - 1e-5),
      p * (1 + 1e-5),
    ]);
    for (const x of [...edges, Number.MIN_VALUE, Number.MAX_VALUE, 5e-324, 1e-300, 1e300]) {
      expect([x, decadeOf(x)]).toEqual([x, Math.floor(Math.log10(x))]);
    }
    fc.assert(
      fc.property(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), (x) =>
        x === 0 ? true : decadeOf(x) === Math.floor(Math.log10(x)),
      ),
      { numRuns: 20000 },
    );
  });

  it.each([
    [0.907637026780041, 907637],
    [-0.000000499, 0],
    [0.0000005, 1],
    [-1, -1000000],
  ])('micro(%p) is %p', (x, m) => {
    expect(micro(x) + 0).toBe(m);
  });
});

describe('writeColumns and predictionsOfColumns on the real model', () => {
  const rng = new Rng(11);
  const rows = (): FeatureInput[] => [
    ...edgeRows(),
    ...Array.from({ length: 400 }, () => randomRow(rng)),
  ];

  it.each([undefined, 3, 0])(
    'ScoredBatch and prediction objects write the same bytes (explain %p)',
    (explain) => {
      const batch = rows();
      const scored = predictor.score(batch, { explain });
      const objects = columnSourceOf(
        predictor.predict(batch, { explain }),
        predictor.version,
        predictor.threshold,
      );
      expect(writeColumns(scored, ',"elapsed_ms":1').toString('utf8')).toBe(
        writeColumns(objects, ',"elapsed_ms":1').toString('utf8'),
      );
    },
  );

  it.each([undefined, 3, 0])(
    'writes the bytes of a plain assembly of the columns (explain %p)',
    (explain) => {
      const s = predictor.score(rows(), { explain });
      expect(writeColumns(s, ',"elapsed_ms":1').toString('utf8')).toBe(plainAssembly(s));
    },
  );

  it('writes into a buffer given to it when it has the room, else into a new one', () => {
    const s = predictor.score(rows());
    const want = writeColumns(s, ',"elapsed_ms":1');
    const room = Buffer.alloc(4 * want.length, 0x7e);
    const into = writeColumns(s, ',"elapsed_ms":1', room);
    expect(into.equals(want)).toBe(true);
    expect(into.buffer).toBe(room.buffer);
    const tight = Buffer.alloc(want.length, 0x7e);
    const grown = writeColumns(s, ',"elapsed_ms":1', tight);
    expect(grown.equals(want)).toBe(true);
    // Not the room the writer starts with: a new buffer, and the one given is left as it was.
    expect(grown.buffer).not.toBe(tight.buffer);
    expect(tight.every((b) => b === 0x7e)).toBe(true);
  });

  // The writer copies a text it wrote before where the number is the same (a model risk equal to
  // the risk, a reference risk or rule equal to the previous row's, a reference equal to the
  // row's value), keeping where each text is across calls: a copy from the wrong place, or a
  // position left over from a larger answer written before, changes the bytes.
  it.each([undefined, 3, 1])(
    'copies texts only from the same numbers, after a larger answer too (explain %p)',
    (explain) => {
      const big = predictor.score(rows(), { explain });
      expect(writeColumns(big, ',"elapsed_ms":1').toString('utf8')).toBe(plainAssembly(big));
      const r = new Rng(5);
      const large = (max: number): number =>
        [1e6, 999999.5, 1234567.891, max, Math.round(r.next() * max)][Math.floor(r.next() * 5)]!;
      const row = (): FeatureInput => ({
        ...randomRow(r),
        memory_usage_bytes: large(1e13),
        network_receive_bytes_per_s: large(1e12),
      });
      const some = Array.from({ length: 12 }, row);
      // Each row twice in a row: every number the same as the last one of its feature.
      const small = [...some.flatMap((x) => [x, x]), ...edgeRows().slice(0, 5)];
      const s = predictor.score(small, { explain });
      expect(writeColumns(s, ',"elapsed_ms":1').toString('utf8')).toBe(plainAssembly(s));
    },
  );

  it('gives back the predictions: risks, levels, layers, imputed exactly; the rest rounded', () => {
    const batch = rows();
    const want = predictor.predict(batch);
    const body = JSON.parse(writeColumns(predictor.score(batch)).toString('utf8')) as unknown;
    const got = predictionsOfColumns(body, batch.length);
    expect(got).toHaveLength(want.length);
    let fired = 0;
    let inconclusive = 0;
    for (let r = 0; r < want.length; r++) {
      const [g, w] = [got[r]!, want[r]!];
      expect([g.risk, g.level, g.layer, g.imputed, g.inconclusive, g.model, g.threshold]).toEqual([
        w.risk,
        w.level,
        w.layer,
        w.imputed,
        w.inconclusive,
        w.model,
        w.threshold,
      ]);
      expect(g.layers?.model).toEqual({
        ...w.layers!.model,
        abstained: w.inconclusive ?? null,
      });
      if (w.layer === 'slo') expect(g.layers?.slo).toEqual(w.layers?.slo);
      if (w.layer === 'own_normal') expect(g.layers?.own_normal).toEqual(w.layers?.own_normal);
      if (w.layer !== 'model') fired++;
      if (w.inconclusive !== undefined) inconclusive++;
      expect(g.explanation.map((c) => c.feature)).toEqual(w.explanation.map((c) => c.feature));
      g.explanation.forEach((c, k) => {
        const e = w.explanation[k]!;
        expect(Math.abs(c.contribution - e.contribution)).toBeLessThanOrEqual(5e-7);
        expect(c.value).toBe(sig6(e.value));
        expect(c.reference).toBe(sig6(e.reference!));
      });
    }
    // The rows reach every kind of answer the form has to carry.
    expect(fired).toBeGreaterThan(0);
    expect(inconclusive).toBeGreaterThan(0);
  });

  it.each([0, 1, 3])(
    'keeps the first %i contributions of each row when asked (a server that ignored ?explain=)',
    (explain) => {
      const batch = rows();
      const body = JSON.parse(writeColumns(predictor.score(batch)).toString('utf8')) as unknown;
      const whole = predictionsOfColumns(body, batch.length);
      const top = predictionsOfColumns(body, batch.length, explain);
      expect(whole.some((p) => p.explanation.length > explain)).toBe(true);
      expect(top.map((p) => p.explanation)).toEqual(
        whole.map((p) => p.explanation.slice(0, explain)),
      );
    },
  );

  it.each<[string, () => unknown]>([
    ['null', () => null],
    ['another format', () => ({ format: 'objects' })],
    ['a short column', () => ({ ...columnarOf(2), risk: [0.1] })],
    ['a bad feature index', () => withFeatureIndex(99)],
  ])('rejects %s with a ColumnsError', (_name, body) => {
    expect(() => predictionsOfColumns(body(), 2)).toThrow(ColumnsError);
  });

  function columnarOf(n: number): ColumnarPredictions {
    const batch = edgeRows().slice(0, n);
    return JSON.parse(writeColumns(predictor.score(batch)).toString('utf8')) as ColumnarPredictions;
  }
  function withFeatureIndex(i: number): ColumnarPredictions {
    const c = columnarOf(2);
    c.explanation.feature[1]![0] = i;
    return c;
  }
});
