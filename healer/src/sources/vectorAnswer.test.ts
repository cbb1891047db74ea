import {
  VectorAnswerError,
  VectorAnswerParser,
  parseSampleValue,
  type SampleVisitor,
} from './vectorAnswer.js';

type Row = [...(string | undefined)[], number, number];
type Outcome = { rows: Row[] } | { error: VectorAnswerError['kind']; detail: string };

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The answer fed in these chunks, as rows (the asked labels, time, value) or the error. */
function parse(chunks: readonly Uint8Array[], labels: readonly string[]): Outcome {
  const rows: Row[] = [];
  const visitor: SampleVisitor = {
    labels,
    sample: (values, at, value) => rows.push([...values, at, value] as Row),
  };
  const p = new VectorAnswerParser(visitor);
  try {
    for (const c of chunks) p.write(c);
    p.end();
  } catch (err) {
    if (!(err instanceof VectorAnswerError)) throw err;
    return { error: err.kind, detail: err.detail };
  }
  return { rows };
}

/** The same answer read as the source read it before: `JSON.parse` of the whole text. */
function reference(text: string, labels: readonly string[]): Outcome {
  let body: {
    status?: unknown;
    warnings?: unknown;
    data?: {
      resultType?: unknown;
      result?: { metric: Record<string, unknown>; value: unknown[] }[];
    };
  };
  try {
    body = JSON.parse(text);
  } catch {
    return { error: 'not-json', detail: text.slice(0, 100) };
  }
  if (body?.status !== 'success' || body.data?.resultType !== 'vector')
    return { error: 'not-vector', detail: String(body?.data?.resultType ?? text) };
  if (Array.isArray(body.warnings) && body.warnings.length > 0)
    return { error: 'partial', detail: body.warnings.map(String).join('; ') };
  return {
    rows: (body.data.result ?? []).map(
      (r) =>
        [
          ...labels.map((l) =>
            typeof r.metric[l] === 'string' ? (r.metric[l] as string) : undefined,
          ),
          Number(r.value[0]),
          parseSampleValue(String(r.value[1])),
        ] as Row,
    ),
  };
}

const LABELS = ['namespace', 'deployment'];
const answer = (result: string, extra = ''): string =>
  `{"status":"success"${extra},"data":{"resultType":"vector","result":[${result}]}}`;
const sample = (ns: string, dep: string, v: string, t = '1700000000.123'): string =>
  `{"metric":{"__name__":"x","deployment":${dep},"namespace":${ns}},"value":[${t},${v}]}`;

/** An answer with escapes, unicode (raw and escaped, a surrogate pair) and every value form. */
const RICH = answer(
  [
    sample('"prod"', '"web"', '"0.5"'),
    sample('"pr\\"od\\\\"', '"a\\/b\\n\\t\\u00e9\\ud83d\\ude00"', '"NaN"'),
    sample('"ünï😀"', '"x"', '"+Inf"', '1700000000'),
    sample('"prod"', '"y"', '"-Inf"', '1.7e9'),
    sample('"prod"', '"z"', '"0.30000000000000004"'),
    sample('"prod"', '"w"', '"-0"', '0'),
    sample('"prod"', '"v"', '"1e-7"'),
    sample('"prod"', '"u"', '"12345678901234567890"', '-1.5E+2'),
  ].join(','),
);

describe('VectorAnswerParser', () => {
  it('reads the asked labels, the time and the value of each sample', () => {
    expect(parse([bytes(RICH)], LABELS)).toEqual({
      rows: [
        ['prod', 'web', 1700000000.123, 0.5],
        ['pr"od\\', 'a/b\n\té😀', 1700000000.123, NaN],
        ['ünï😀', 'x', 1700000000, Infinity],
        ['prod', 'y', 1.7e9, -Infinity],
        ['prod', 'z', 1700000000.123, 0.30000000000000004],
        ['prod', 'w', 0, -0],
        ['prod', 'v', 1700000000.123, 1e-7],
        ['prod', 'u', -150, Number('12345678901234567890')],
      ],
    });
    expect(parse([bytes(RICH)], LABELS)).toEqual(reference(RICH, LABELS));
  });

  it('reads the same answer split at every byte offset, and byte by byte', () => {
    const b = bytes(RICH);
    const whole = parse([b], LABELS);
    for (let k = 0; k <= b.length; k++)
      expect(parse([b.subarray(0, k), b.subarray(k)], LABELS)).toEqual(whole);
    expect(
      parse(
        Array.from(b, (x) => Uint8Array.of(x)),
        LABELS,
      ),
    ).toEqual(whole);
  });

  it.each([
    ['no samples', answer(''), []],
    [
      'value before metric',
      answer('{"value":[1,"2"],"metric":{"namespace":"a","deployment":"b"}}'),
      [['a', 'b', 1, 2]],
    ],
    [
      'data before status, result before resultType, whitespace',
      ' {\n "data" : { "result" : [ { "metric" : { "namespace" : "a" } , "value" : [ 1 , "2" ] } ] ,\t"resultType":"vector" } ,\r\n "status" : "success" } ',
      [['a', undefined, 1, 2]],
    ],
    [
      'unknown fields anywhere, with the known names inside',
      '{"status":"success","stats":{"metric":{"namespace":"no"},"value":[9,"9"],"result":[{"value":[1,"1"]}]},"data":{"x":[true,false,null,{"a":[]}],"resultType":"vector","result":[{"metric":{"namespace":"a","deployment":"b","other":{"namespace":"c"}},"value":[1,"2",{"x":1}],"histogram":null}]},"infos":["x"]}',
      [['a', 'b', 1, 2]],
    ],
    [
      'a label that is not a string',
      answer('{"metric":{"namespace":7,"deployment":"b"},"value":[1,"2"]}'),
      [[undefined, 'b', 1, 2]],
    ],
    ['empty warnings', answer('', ',"warnings":[]'), []],
    ['a numeric value', answer('{"metric":{},"value":[1,2.5]}'), [[undefined, undefined, 1, 2.5]]],
  ])('%s', (_name, text, rows) => {
    expect(parse([bytes(text)], LABELS)).toEqual({ rows });
    expect(parse([bytes(text)], LABELS)).toEqual(reference(text, LABELS));
  });

  it.each([
    ['empty', '', 'not-json', ''],
    ['HTML', '<html>bad gateway</html>', 'not-json', '<html>bad gateway</html>'],
    ['trailing bytes', `${answer('')}x`, 'not-json', `${answer('')}x`],
    ['a raw newline in a string', '{"status":"succ\ness"}', 'not-json', '{"status":"succ\ness"}'],
    ['a bad escape', '{"status":"\\x"}', 'not-json', '{"status":"\\x"}'],
    ['a bad number', '{"status":01}', 'not-json', '{"status":01}'],
    ['a bad literal', '{"status":nul}', 'not-json', '{"status":nul}'],
    [
      'a missing comma',
      '{"status":"success" "data":{}}',
      'not-json',
      '{"status":"success" "data":{}}',
    ],
    ['a mismatched bracket', '{"status":"success"]', 'not-json', '{"status":"success"]'],
    [
      'an error answer',
      '{"status":"error","errorType":"bad_data","error":"parse error"}',
      'not-vector',
      '{"status":"error","errorType":"bad_data","error":"parse error"}',
    ],
    [
      'a matrix',
      '{"status":"success","data":{"resultType":"matrix","result":[]}}',
      'not-vector',
      'matrix',
    ],
    [
      'a scalar',
      '{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}',
      'not-vector',
      'scalar',
    ],
    ['not an object', '"success"', 'not-vector', '"success"'],
    [
      'warnings after data',
      answer('', '').replace(/}$/, ',"warnings":["store eu-1 down","slow"]}'),
      'partial',
      'store eu-1 down; slow',
    ],
    [
      'warnings before data',
      '{"warnings":["w"],"status":"success","data":{"resultType":"vector","result":[]}}',
      'partial',
      'w',
    ],
  ])('%s: %s', (_name, text, kind, detail) => {
    expect(parse([bytes(text)], LABELS)).toEqual({ error: kind, detail });
    expect(reference(text, LABELS)).toEqual({ error: kind, detail });
  });

  it.each([
    ['a sample without a value', answer('{"metric":{}}')],
    ['a value that is not a pair', answer('{"metric":{},"value":{"t":1}}')],
    ['a null value', answer('{"metric":{},"value":[1,null]}')],
    ['a sample that is not an object', answer('[1,"2"]')],
  ])('%s is malformed', (_name, text) => {
    expect(parse([bytes(text)], LABELS)).toEqual({
      error: 'malformed',
      detail: 'a sample without a [time, value] pair',
    });
  });

  it.each([
    '0',
    '-0',
    '-0.0',
    '0.5',
    '00',
    '1.',
    '.5',
    '+1',
    ' 1',
    '1 ',
    '0x10',
    '',
    '-',
    '1e',
    '1e+',
    '1e400',
    '1e-400',
    '5e-324',
    '1.7976931348623157e308',
    '123456789012345',
    '1234567890123456',
    '1_0',
    'Infinity',
    '+Inf',
    '-Inf',
    'NaN',
    'nan',
    '0.000001',
    '1E5',
    '1e-22',
    '1e23',
    '9007199254740993',
  ])('the value string %j reads as parseSampleValue reads it', (v) => {
    const text = answer(`{"metric":{},"value":[1,${JSON.stringify(v)}]}`);
    expect(parse([bytes(text)], [])).toEqual({ rows: [[1, parseSampleValue(v)]] });
  });

  it('every strict prefix of an answer is not JSON', () => {
    const b = bytes(RICH);
    for (let k = 0; k < b.length; k++) {
      const r = parse([b.subarray(0, k)], LABELS);
      expect('error' in r && r.error).toBe('not-json');
    }
  });

  it('matches JSON.parse on generated answers split at random offsets', () => {
    let seed = 42;
    const random = (): number => {
      // mulberry32: reproducible
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const ALPHABET = [
      'a',
      'Z',
      '-',
      '"',
      '\\',
      '/',
      '\n',
      '\u0001',
      'é',
      '€',
      '😀',
      ' ',
      '{',
      ']',
      ':',
      ',',
    ];
    const str = (): string =>
      Array.from({ length: Math.floor(random() * 6) }, () => pick(ALPHABET)).join('');
    /** JSON of a string, sometimes with every non-ASCII character escaped. */
    const quote = (s: string): string =>
      random() < 0.5
        ? JSON.stringify(s)
        : JSON.stringify(s).replace(
            /[^\x20-\x7e]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
          );
    const num = (): string =>
      pick([
        () => String(Math.floor(random() * 1000)),
        () => String(random() * 10 ** Math.floor(random() * 40 - 20)),
        () => String(-random()),
        () => (1.7e9 + random() * 1000).toFixed(3),
        () => `${Math.floor(random() * 100)}e${Math.floor(random() * 60 - 30)}`,
      ])();
    const value = (): string =>
      pick([() => `"${num()}"`, () => `"NaN"`, () => `"+Inf"`, () => `"-Inf"`, num])();
    const members = (m: string[]): string => {
      for (let k = m.length - 1; k > 0; k--) {
        const j = Math.floor(random() * (k + 1));
        [m[k], m[j]] = [m[j]!, m[k]!];
      }
      return `{${m.join(pick([',', ' , ', ',\n']))}}`;
    };
    for (let round = 0; round < 300; round++) {
      const samples = Array.from({ length: Math.floor(random() * 8) }, () => {
        const labels = ['namespace', 'deployment', 'pod', '__name__']
          .filter(() => random() < 0.8)
          .map((l) => `${quote(l)}:${quote(str())}`);
        return members([
          `"metric":${members(labels)}`,
          `"value":[${num()},${value()}]`,
          ...(random() < 0.2 ? ['"x":[1,{"value":2}]'] : []),
        ]);
      });
      const text = members([
        '"status":"success"',
        `"data":${members(['"resultType":"vector"', `"result":[${samples.join(',')}]`])}`,
        ...(random() < 0.1 ? [`"warnings":[${quote(str())}]`] : []),
        ...(random() < 0.2 ? ['"infos":[]'] : []),
      ]);
      const b = bytes(text);
      const cuts = Array.from({ length: 3 }, () => Math.floor(random() * (b.length + 1))).sort(
        (x, y) => x - y,
      );
      const chunks = [
        b.subarray(0, cuts[0]),
        b.subarray(cuts[0], cuts[1]),
        b.subarray(cuts[1], cuts[2]),
        b.subarray(cuts[2]),
      ];
      expect(parse(chunks, ['namespace', 'deployment', '__name__'])).toEqual(
        reference(text, ['namespace', 'deployment', '__name__']),
      );
    }
  });

  it('counts the bytes read', () => {
    const p = new VectorAnswerParser({ labels: [], sample: () => undefined });
    p.write(bytes('{"status":"success",'));
    p.write(bytes('"data":{"resultType":"vector","result":[]}}'));
    p.end();
    expect(p.bytes).toBe(answer('').length);
  });
});
