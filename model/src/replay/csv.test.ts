import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { inZone } from '../../test/inZone.js';
import {
  ReplayCsvError,
  formatReplayCsv,
  parseReplayCsv,
  parseTimestamp,
  detectDelimiter,
  tableNotes,
  type TableOptions,
} from './csv.js';
import { FEATURE_NAMES } from '../schema.js';

const HEAD = 'timestamp,namespace,deployment,cpu_usage_pct,http_p95_latency_seconds';

function errorOf(text: string, opts?: TableOptions): ReplayCsvError {
  try {
    parseReplayCsv(text, opts);
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
    expect(Number.isNaN(t.values[FEATURE_NAMES.length + 7])).toBe(true); // row 2's empty p95
    expect(t.timestampText[0]).toBe('2024-05-01T00:00:00Z');
  });

  it.each<[string, string, number, string | undefined, RegExp]>([
    ['empty file', '', 1, undefined, /the file is empty/],
    ['header only', HEAD + '\n', 2, undefined, /no data rows/],
    [
      'no feature column',
      'timestamp,namespace,deployment,cpu_usage,pod\n1,a,b,1,p',
      1,
      undefined,
      /no feature column; expected some of restart_count_last_5m, .* \(ignored: cpu_usage, pod\)$/,
    ],
    [
      'missing key column',
      'timestamp,deployment,cpu_usage_pct\n1,a,1',
      1,
      'namespace',
      /required column is missing/,
    ],
    [
      'duplicate column in another case',
      'timestamp,namespace,deployment,cpu_usage_pct,CPU_Usage_Pct',
      1,
      'CPU_Usage_Pct',
      /appears twice/,
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
      /is not an ISO 8601 time or an epoch number \(s, ms, µs or ns\)/,
    ],
    [
      'not a number',
      `${HEAD}\n1,prod,web,1,0.1\n2,prod,web,abc,0.1`,
      3,
      'cpu_usage_pct',
      /"abc" is not a number, nor a missing value/,
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

  it.each([
    'NaN',
    'nan',
    '-nan',
    'NA',
    'N/A',
    '#N/A',
    'null',
    'NULL',
    'None',
    '""',
    'Inf',
    '+Inf',
    '-Inf',
    'inf',
    'Infinity',
    '-Infinity',
  ])('reads %s as a missing value, as the healer reads a NaN or infinite sample', (cell) => {
    const t = parseReplayCsv(`${HEAD}\n1700000000,prod,web,${cell},${cell}\n`);
    expect(Number.isNaN(t.values[1])).toBe(true); // cpu_usage_pct (required)
    expect(Number.isNaN(t.values[7])).toBe(true); // http_p95_latency_seconds (optional)
  });

  it.each(['abc', 'NaNa', '12%', 'Inf!', '0.5s', '--1'])(
    'refuses %s in a feature cell, naming the line and column',
    (cell) => {
      const e = errorOf(`${HEAD}\n1700000000,prod,web,1,0.1\n1700000060,prod,web,${cell},0.1`);
      expect(e.message).toBe(
        `line 3, column cpu_usage_pct: "${cell}" is not a number, nor a missing value (empty, NaN, NA, null, None, ±Inf)`,
      );
    },
  );

  it.each<[string, string]>([
    [
      'comma, CRLF, BOM, quoted cells',
      '\uFEFF"timestamp","namespace","deployment","cpu_usage_pct","http_p95_latency_seconds"\r\n1700000000,"prod", "web" ,"12.5", 0.25\r\n\r\n',
    ],
    [
      'semicolons and decimal commas',
      'timestamp;namespace;deployment;cpu_usage_pct;http_p95_latency_seconds\n1700000000;prod;web;12,5;0,25\n',
    ],
    [
      'tabs',
      'timestamp\tnamespace\tdeployment\tcpu_usage_pct\thttp_p95_latency_seconds\n1700000000\tprod\tweb\t12.5\t.25\n',
    ],
    ['rows of separators only', `${HEAD}\n,,,,\n1700000000,prod,web,12.5,0.25\n , , ,,\n`],
    [
      'semicolon rows of separators only',
      'timestamp;namespace;deployment;cpu_usage_pct;http_p95_latency_seconds\n;;;;\n1700000000;prod;web;12,5;0,25\n;;;;\n',
    ],
  ])('reads a file with %s', (_n, text) => {
    const t = parseReplayCsv(text);
    expect(t.rows).toBe(1);
    expect(t.series).toEqual([{ namespace: 'prod', deployment: 'web' }]);
    expect([t.values[1], t.values[7]]).toEqual([12.5, 0.25]);
    expect(t.timestampText).toEqual(['1700000000']);
  });

  it('reads a decimal comma only in a semicolon file: in a comma file "12,5" is a quoted mistake', () => {
    expect(errorOf(`${HEAD}\n1700000000,prod,web,"12,5",0.1`).message).toMatch(
      /^line 2, column cpu_usage_pct: "12,5" is not a number/,
    );
    expect(
      errorOf('timestamp;namespace;deployment;cpu_usage_pct\n1700000000;prod;web;1,2,5').message,
    ).toMatch(/^line 2, column cpu_usage_pct: "1,2,5" is not a number/);
  });

  it.each<[string, string]>([
    ['a,b;c', ','],
    ['a;b;c', ';'],
    ['a\tb\tc', '\t'],
    ['a,b;c;d', ';'],
    ['"a;b;c",d', ','],
    ['a', ','],
    ['a;b\tc', ';'],
  ])('detects the separator of the header %j', (header, delimiter) => {
    expect(detectDelimiter(header)).toBe(delimiter);
  });

  const T = 1_704_067_320; // 2024-01-01T00:02:00Z
  it.each<[string, number | undefined]>([
    // Epoch numbers: the unit by magnitude (seconds < 1e11 ≤ ms < 1e14 ≤ µs < 1e17 ≤ ns).
    ['1704067320', T],
    ['1704067320.25', T + 0.25],
    ['1704067320000', T],
    ['1704067320250', T + 0.25],
    ['1704067320000000', T],
    ['1704067320000000000', T],
    ['1.70406732e9', T],
    ['1.70406732E+12', T],
    ['99999999999', 99_999_999_999], // just under 1e11: still seconds (the year 5138)
    ['100000000000', 100_000_000], // 1e11: milliseconds (March 1973)
    // ISO 8601: no zone is UTC; a written zone is honoured; fractions kept.
    ['2024-01-01T00:02:00Z', T],
    ['2024-01-01T00:02:00z', T],
    ['2024-01-01T00:02:00', T],
    ['2024-01-01 00:02:00', T],
    ['2024-01-01 00:02', T],
    ['2024-01-01 00:02:00 UTC', T],
    ['2024-01-01T00:02:00.000Z', T],
    ['2024-01-01T00:02:00.123456789Z', T + 0.123456789],
    ['2024-01-01T00:02:00,5Z', T + 0.5],
    ['2024-01-01T00:02:00.123+02:00', T - 7200 + 0.123],
    ['2024-01-01T00:02:00+0200', T - 7200],
    ['2024-01-01T00:02:00+02', T - 7200],
    ['2024-01-01T00:02:00-05:30', T + 5.5 * 3600],
    ['2024-01-01 00:02:00+00:00', T],
    ['2024-01-01', T - 120],
    ['2024-02-29T00:00:00Z', 1_709_164_800],
    // Not a time.
    ['', undefined],
    ['abc', undefined],
    ['2024-13-01T00:00:00Z', undefined],
    ['2023-02-29T00:00:00Z', undefined],
    ['2024-04-31', undefined],
    ['2024-01-01T24:00:00Z', undefined],
    ['2024-01-01T00:60:00Z', undefined],
    ['2024-01-01T00:02:00+25:00', undefined],
    ['01/02/2024 00:02', undefined],
    ['1e400', undefined],
  ])('reads the timestamp %j', (text, seconds) => {
    const t = parseTimestamp(text);
    if (seconds === undefined) expect(t).toBeUndefined();
    else expect(t).toBeCloseTo(seconds, 6);
  });

  it('reads a time without a zone as UTC whatever the machine zone (TZ=Asia/Kolkata)', async () => {
    const csv = fileURLToPath(new URL('./csv.ts', import.meta.url));
    const printed = await inZone(
      'Asia/Kolkata',
      csv,
      `const s = '2024-01-01 00:02:00';
       console.log(JSON.stringify([Date.parse(s) / 1000, mod.parseTimestamp(s), mod.parseTimestamp('2024-01-01T00:02')]));`,
    );
    const [dateParse, ours, withT] = printed as number[];
    expect(dateParse).toBe(T - 5.5 * 3600); // the machine's zone: what Date.parse alone would give
    expect(ours).toBe(T);
    expect(withT).toBe(T);
  });

  it('ignores columns that are neither keys nor features, and names them; header names in any case and spacing', () => {
    const t = parseReplayCsv(
      [
        ',Timestamp , NAMESPACE,pod,Deployment,cpu_usage,CPU_Usage_Pct,label,cluster',
        '0,1700000000,prod,web-1,web,3,12.5,1,eu',
        '',
      ].join('\n'),
    );
    expect(t.ignoredColumns).toEqual(['#1 (no name)', 'pod', 'cpu_usage', 'label', 'cluster']);
    expect(t.columns).toEqual(['cpu_usage_pct']);
    expect(t.values[1]).toBe(12.5);
    expect(t.series).toEqual([{ namespace: 'prod', deployment: 'web' }]);
  });

  it.each<[string, string, string, RegExp]>([
    [
      'an unknown column',
      `${HEAD},cpu_usage`,
      'cpu_usage',
      /unknown column; expected timestamp, namespace, deployment and feature names/,
    ],
    ['an unnamed column', `,${HEAD}`, '#1', /has no name/],
    ['a label column', `${HEAD},label`, 'label', /unknown column/],
  ])('--strict refuses %s', (_n, header, column, message) => {
    const e = errorOf(`${header}\n`, { strict: true });
    expect(e.line).toBe(1);
    expect(e.column).toBe(column);
    expect(e.message).toMatch(message);
    expect(parseReplayCsv(`${HEAD}\n1,prod,web,1,0.1\n`, { strict: true }).ignoredColumns).toEqual(
      [],
    );
  });

  it('reads a value outside its valid range as missing, as the healer omits such a sample, and counts it; --strict refuses it', () => {
    const text = `${HEAD}\n1,prod,web,12,0.1\n2,prod,web,-5,0.1\n3,prod,web,1500,900\n`;
    const t = parseReplayCsv(text);
    expect(t.rows).toBe(3);
    const n = FEATURE_NAMES.length;
    expect([t.values[0 * n + 1], t.values[0 * n + 7]]).toEqual([12, 0.1]);
    expect([t.values[1 * n + 1], t.values[1 * n + 7]]).toEqual([NaN, 0.1]);
    expect([t.values[2 * n + 1], t.values[2 * n + 7]]).toEqual([NaN, NaN]);
    expect(t.outOfRange).toEqual({
      cells: 3,
      first:
        'line 3, column cpu_usage_pct: -5 is outside the valid range [0, 1000] (% of CPU limit)',
    });
    expect(tableNotes(t)).toEqual([
      '3 cells outside the valid range read as missing, as the healer omits such a sample (first: line 3, column cpu_usage_pct: -5 is outside the valid range [0, 1000] (% of CPU limit))',
    ]);
    const e = errorOf(text, { strict: true });
    expect([e.line, e.column]).toEqual([3, 'cpu_usage_pct']);
    expect(tableNotes(parseReplayCsv(`${HEAD}\n1,prod,web,12,0.1\n`))).toEqual([]);
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
