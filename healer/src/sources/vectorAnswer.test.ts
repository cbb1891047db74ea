import { describe, expect, it } from '@jest/globals';
import {
  SCANNED_LABELS,
  scanVector,
  vectorOf,
  type Vector,
  type VectorSample,
} from './vectorAnswer.js';

/** The samples a vector yields, copied out (the walk may reuse its sample object). */
function samplesOf(v: Vector): { metric: Record<string, string>; value: [number, string] }[] {
  const out: { metric: Record<string, string>; value: [number, string] }[] = [];
  v.forEach((s) => {
    const metric: Record<string, string> = {};
    for (const l of SCANNED_LABELS) if (s.metric[l] !== undefined) metric[l] = s.metric[l]!;
    out.push({ metric, value: [s.value[0], s.value[1]] });
  });
  return out;
}

/** What `JSON.parse` reads from the same answer, with only the scanned labels. */
function parsed(text: string): ReturnType<typeof samplesOf> {
  const body = JSON.parse(text) as { data: { result: VectorSample[] } };
  return samplesOf(vectorOf(body.data.result));
}

const answer = (result: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ status: 'success', data: { resultType: 'vector', result }, ...extra });
const series = (metric: Record<string, string>, t: number, v: string) => ({
  metric,
  value: [t, v],
});

describe('scanVector', () => {
  it.each([
    ['empty', answer([])],
    ['empty, newline after', `${answer([])}\n`],
    [
      'features of two deployments',
      answer([
        series(
          { __name__: 'aiops:f', namespace: 'shop', deployment: 'web' },
          1764520000.123,
          '0.5',
        ),
        series({ __name__: 'aiops:f', namespace: 'shop', deployment: 'api' }, 1764520000, '12'),
      ]),
    ],
    [
      'NaN, infinities, exponents, a negative time',
      answer([
        series({ namespace: 'a', deployment: 'x' }, 1e9, 'NaN'),
        series({ namespace: 'a', deployment: 'y' }, 1.5e9, '+Inf'),
        series({ namespace: 'a', deployment: 'z' }, -1, '-Inf'),
        series({ namespace: 'a', deployment: 'w' }, 1764520000.5, '1.5e-07'),
      ]),
    ],
    [
      'labels the source does not read, missing ones, an empty label set',
      answer([
        series({ job: 'j', namespace: 'a', pod: 'p-1', deployment: 'x', metric: 'm' }, 1, '1'),
        series({ rule_group: 'features' }, 2, '2'),
        series({}, 3, '3'),
        series({ namespace: '', deployment: 'é ü 漢' }, 4, '4'),
      ]),
    ],
    [
      'a label named like a key of the answer',
      answer([series({ value: 'v', metric: 'value' }, 1, '1')]),
    ],
  ])('reads %s as JSON.parse does', (_name, text) => {
    const scanned = scanVector(text);
    expect(scanned).toBeDefined();
    expect(samplesOf(scanned!)).toEqual(parsed(text));
    expect(scanned!.length).toBe(parsed(text).length);
  });

  it.each([
    [
      'warnings (a partial answer)',
      answer([series({ namespace: 'a' }, 1, '1')], { warnings: ['w'] }),
    ],
    ['infos', answer([], { infos: ['i'] })],
    ['an escaped label value', answer([series({ namespace: 'a"b', deployment: 'x' }, 1, '1')])],
    ['an escaped label name', answer([series({ 'a\\b': 'x' }, 1, '1')])],
    [
      'HTML escaped by Go',
      answer([]).replace('[]', '[{"metric":{"namespace":"a\\u003cb"},"value":[1,"1"]}]'),
    ],
    [
      'a native histogram',
      answer([{ metric: { namespace: 'a' }, histogram: [1, { count: '1', sum: '1' }] }]),
    ],
    ['another key order', answer([{ value: [1, '1'], metric: { namespace: 'a' } }])],
    ['a matrix', JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } })],
    ['an error', JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' })],
    ['truncated', answer([series({ namespace: 'a' }, 1, '1')]).slice(0, -5)],
    [
      'a timestamp that is not a JSON number',
      answer([]).replace('[]', '[{"metric":{},"value":[0x10,"1"]}]'),
    ],
    ['an unquoted value', answer([]).replace('[]', '[{"metric":{},"value":[1,1]}]')],
    ['whitespace between tokens', answer([]).replace('[]', '[ {"metric":{},"value":[1,"1"]}]')],
    ['trailing garbage', `${answer([])}x`],
    ['not JSON at all', '<html>bad gateway</html>'],
    ['empty', ''],
  ])('leaves %s to JSON.parse', (_name, text) => {
    expect(scanVector(text)).toBeUndefined();
  });

  it('reads a large answer as JSON.parse does (every deployment, every label kept)', () => {
    const rows = Array.from({ length: 5000 }, (_, i) =>
      series(
        {
          __name__: 'aiops:feature:x',
          namespace: `ns-${i % 7}`,
          deployment: `app-${i}`,
          metric: `m${i % 3}`,
        },
        1764520000 + i / 1000,
        String(i / 7),
      ),
    );
    const text = answer(rows);
    expect(samplesOf(scanVector(text)!)).toEqual(parsed(text));
  });
});
