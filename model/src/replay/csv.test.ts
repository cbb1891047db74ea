import { describe, expect, it } from '@jest/globals';
import { ReplayCsvError, formatReplayCsv, parseReplayCsv } from './csv.js';

const HEAD = 'timestamp,namespace,deployment,cpu_usage_pct,http_p95_latency_seconds';

function errorOf(text: string): ReplayCsvError {
  try {
    parseReplayCsv(text);
  } catch (err) {
    if (err instanceof ReplayCsvError) return err;
    throw err;
  }
  throw new Error('expected a ReplayCsvError');
}

describe('replay file', () => {
  it('parses any subset of features in any order; empty cells are missing', () => {
    const t = parseReplayCsv(
      [
        'deployment,http_p95_latency_seconds,timestamp,namespace',
        'web,0.2,2024-05-01T00:00:00Z,prod',
        'web,,1714521660,prod',
        '"api,v2",0.1,2024-05-01T00:01:00Z,prod',
        '',
      ].join('\n'),
    );
    expect(t.rows).toBe(3);
    expect(t.series.map((s) => s.deployment)).toEqual(['web', 'api,v2']);
    expect(t.columns).toEqual(['http_p95_latency_seconds']);
    expect(t.t[1]).toBe(1714521660);
    expect(Number.isNaN(t.values[13 + 7])).toBe(true);
    expect(t.timestampText[0]).toBe('2024-05-01T00:00:00Z');
  });

  it.each<[string, string, number, string | undefined, RegExp]>([
    ['empty file', '', 1, undefined, /the file is empty/],
    ['header only', HEAD + '\n', 2, undefined, /no data rows/],
    [
      'unknown column',
      'timestamp,namespace,deployment,cpu_usage',
      1,
      'cpu_usage',
      /unknown column; expected timestamp, namespace, deployment and feature names/,
    ],
    [
      'missing key column',
      'timestamp,deployment,cpu_usage_pct\n1,a,1',
      1,
      'namespace',
      /required column is missing/,
    ],
    [
      'duplicate column',
      'timestamp,namespace,deployment,cpu_usage_pct,cpu_usage_pct',
      1,
      'cpu_usage_pct',
      /appears twice/,
    ],
    [
      'bad timestamp',
      `${HEAD}\n2024-13-45T00:00:00Z,prod,web,1,0.1`,
      2,
      'timestamp',
      /is not an ISO 8601 time or unix seconds/,
    ],
    [
      'not a number',
      `${HEAD}\n1,prod,web,1,0.1\n2,prod,web,abc,0.1`,
      3,
      'cpu_usage_pct',
      /"abc" is not a finite number/,
    ],
    [
      'out of range',
      `${HEAD}\n1,prod,web,-5,0.1`,
      2,
      'cpu_usage_pct',
      /-5 is outside the valid range \[0, 1000\]/,
    ],
    ['too few fields', `${HEAD}\n1,prod,web,1`, 2, undefined, /has 4 fields, the header has 5/],
    ['empty deployment', `${HEAD}\n1,prod,,1,0.1`, 2, 'deployment', /is empty/],
    ['unterminated quote', `${HEAD}\n1,"prod,web,1,0.1`, 2, undefined, /unterminated quoted field/],
  ])('names the line and column: %s', (_n, text, line, column, message) => {
    const e = errorOf(text);
    expect(e.line).toBe(line);
    expect(e.column).toBe(column);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(new RegExp(`^line ${line}`));
  });

  it('round-trips through formatReplayCsv', () => {
    const text = formatReplayCsv(
      [{ t: 1714521600, namespace: 'prod', deployment: 'web', values: { cpu_usage_pct: 12.5 } }],
      ['cpu_usage_pct'],
    );
    const t = parseReplayCsv(text);
    expect(t.values[1]).toBe(12.5);
    expect(t.t[0]).toBe(1714521600);
  });
});
