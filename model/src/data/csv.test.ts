import { describe, expect, it } from '@jest/globals';
import { CsvError, formatTrainingCsv, parseTrainingCsv, splitDataset } from './csv.js';
import { FEATURES, FEATURE_NAMES } from '../schema.js';

const header = [...FEATURE_NAMES, 'label'].join(',');
const good = FEATURES.map((f) => f.default).join(',');

function errorOf(text: string): CsvError {
  try {
    parseTrainingCsv(text);
  } catch (err) {
    if (err instanceof CsvError) return err;
    throw err;
  }
  throw new Error('expected a CsvError');
}

describe('training CSV', () => {
  it('parses features and labels, ignores extra columns, imputes absent optional columns', () => {
    const required = FEATURES.filter((f) => f.required);
    const text = [
      ['timestamp', ...required.map((f) => f.name), 'label'].join(','),
      ['2024-01-01T00:00:00Z', ...required.map((f) => f.default), '1'].join(','),
      ['"2024-01-01T00:00:30Z"', ...required.map((f) => f.default), '0'].join(','),
      '',
    ].join('\n');
    const d = parseTrainingCsv(text);
    expect(d.rows).toBe(2);
    expect(Array.from(d.y)).toEqual([1, 0]);
    expect(Array.from(d.x.subarray(0, FEATURES.length))).toEqual(FEATURES.map((f) => f.default));
  });

  it('round-trips through formatTrainingCsv', () => {
    const rows = [
      { features: FEATURES.map((f) => f.default), label: 1 as const, extra: { deployment: 'a,b' } },
    ];
    const d = parseTrainingCsv(formatTrainingCsv(rows, ['deployment']));
    expect(Array.from(d.x)).toEqual(rows[0]!.features);
  });

  it.each([
    ['empty file', '', 1, undefined, /empty/],
    [
      'missing label column',
      FEATURE_NAMES.join(',') + '\n' + FEATURES.map((f) => f.default).join(','),
      1,
      'label',
      /missing/,
    ],
    [
      'missing required column',
      'cpu_usage_pct,label\n1,0',
      1,
      'restart_count_last_5m',
      /required column/,
    ],
    ['header only', header, 2, undefined, /no data rows/],
    [
      'not a number',
      `${header}\n${good},0\n${good.replace(/^0/, 'abc')},1`,
      3,
      'restart_count_last_5m',
      /"abc" is not a finite number/,
    ],
    [
      'out of range',
      `${header}\n${good.replace(/,1,0,/, ',1.5,0,')},0`,
      2,
      'ready_replica_ratio',
      /outside the valid range \[0, 1\]/,
    ],
    ['bad label', `${header}\n${good},yes`, 2, 'label', /"yes" must be 0 or 1/],
    [
      'empty required cell',
      `${header}\n,${good.split(',').slice(1).join(',')},1`,
      2,
      'restart_count_last_5m',
      /required but empty/,
    ],
    ['wrong field count', `${header}\n${good}`, 2, undefined, /fields, the header has/],
    ['duplicate column', `label,${header}\n0,${good},0`, 1, 'label', /twice/],
    ['unterminated quote', `${header}\n"${good},0`, 2, undefined, /unterminated/],
  ])('%s', (_name, text, line, field, message) => {
    const err = errorOf(text);
    expect(err.line).toBe(line);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(new RegExp(`^line ${line}`));
  });

  it('splits into disjoint training and validation rows', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `${good},${i % 2}`);
    const d = parseTrainingCsv([header, ...lines].join('\n'));
    const { train, validation } = splitDataset(d);
    expect(train.rows + validation.rows).toBe(1000);
    expect(validation.rows).toBe(200); // every fifth block of 50 rows
  });
});
