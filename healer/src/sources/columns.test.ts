/**
 * The answers' samples into columns indexed like the targets, and a deployment's samples read
 * back from them, as tables.
 */
import { describe, expect, it } from '@jest/globals';
import { FEATURE_NAMES, type FeatureName } from '@aiops/model/schema';
import {
  contextColumnReader,
  failedColumn,
  featureColumnReader,
  indexTargets,
  samplesAt,
  type FeatureColumn,
} from './columns.js';
import type { AnswerReader } from './query.js';
import type { Sample } from './vector.js';

const TARGETS = [
  { namespace: 'prod', name: 'web' },
  { namespace: 'prod', name: 'api' },
  { namespace: 'dev', name: 'web' },
];
const indexOf = indexTargets(TARGETS);

/** Feeds `rows` ([namespace, deployment, seconds, value]) to a reader; its result. */
function feed<T>(reader: AnswerReader<T>, rows: [string?, string?, number?, number?][]): T {
  for (const [ns, name, at = 1_700_000_000, v = 1] of rows) reader.sample([ns, name], at, v);
  return reader.result();
}

describe('indexTargets', () => {
  it.each<[string, (string | undefined)[], number | undefined]>([
    ['first', ['prod', 'web'], 0],
    ['same name, another namespace', ['dev', 'web'], 2],
    ['unknown deployment', ['prod', 'db'], undefined],
    ['unknown namespace', ['qa', 'web'], undefined],
    ['no deployment label', ['prod', undefined], undefined],
    ['no namespace label', [undefined, 'web'], undefined],
    ['no labels', [], undefined],
    ['empty strings', ['', ''], undefined],
  ])('%s', (_n, labels, expected) => {
    expect(indexOf(labels)).toBe(expected);
  });

  it('no targets: nothing is ours', () => {
    expect(indexTargets([])(['prod', 'web'])).toBeUndefined();
  });
});

describe('featureColumnReader', () => {
  it('places each sample at its target, ms; no series: NaN; foreign series dropped', () => {
    const col = feed(featureColumnReader(3, indexOf), [
      ['dev', 'web', 1_700_000_000, 0.5],
      ['qa', 'web', 1_700_000_000, 9],
      ['prod', 'web', 1_700_000_001, Number.NaN],
    ]);
    expect([...col.value]).toEqual([Number.NaN, Number.NaN, 0.5]);
    expect([...col.at]).toEqual([1_700_000_001_000, Number.NaN, 1_700_000_000_000]);
    expect(col.duplicate).toBeUndefined();
  });

  it('a deployment answered twice is marked (a template that does not aggregate)', () => {
    const col = feed(featureColumnReader(3, indexOf), [
      ['prod', 'api'],
      ['prod', 'api'],
      ['prod', 'web'],
    ]);
    expect([...(col.duplicate ?? [])]).toEqual([1]);
  });

  it('a fresh reader per attempt starts empty', () => {
    feed(featureColumnReader(3, indexOf), [['prod', 'web']]);
    expect([...feed(featureColumnReader(3, indexOf), []).at]).toEqual([
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
  });
});

describe('contextColumnReader', () => {
  it('the values at their targets, the last of several; none: NaN', () => {
    const values = feed(contextColumnReader(3, indexOf), [
      ['prod', 'api', 0, 3],
      ['prod', 'api', 0, 4],
      ['qa', 'api', 0, 5],
    ]);
    expect([...values]).toEqual([Number.NaN, 4, Number.NaN]);
  });
});

describe('samplesAt', () => {
  const AT = 1_700_000_000_000;
  /** Every feature answered `v` for deployment 0 and nothing for 1, unless `over` says. */
  const columns = (over: Partial<Record<FeatureName, FeatureColumn>> = {}) =>
    new Map(
      FEATURE_NAMES.map((f) => [
        f,
        over[f] ?? { value: Float64Array.of(2, Number.NaN), at: Float64Array.of(AT, Number.NaN) },
      ]),
    );
  const cpu = (over: Partial<Record<FeatureName, FeatureColumn>>, i: number): Sample | undefined =>
    samplesAt(columns(over), i, { namespace: 'prod', name: i === 0 ? 'web' : 'api' }).get(
      'cpu_usage_pct',
    );
  it.each<[string, Partial<Record<FeatureName, FeatureColumn>>, number, Sample | undefined]>([
    ['a value and its time', {}, 0, { kind: 'value', value: 2, at: AT }],
    ['no series: nothing (missing)', {}, 1, undefined],
    [
      'a NaN value with a time is a value (buildInstance judges it)',
      { cpu_usage_pct: { value: Float64Array.of(Number.NaN), at: Float64Array.of(AT) } },
      0,
      { kind: 'value', value: Number.NaN, at: AT },
    ],
    [
      'a failed query fails every deployment',
      { cpu_usage_pct: failedColumn('query for cpu_usage_pct: HTTP 400 ') },
      1,
      { kind: 'failed', reason: 'query for cpu_usage_pct: HTTP 400 ' },
    ],
    [
      'several series for it: failed, naming it',
      {
        cpu_usage_pct: {
          value: Float64Array.of(2, 3),
          at: Float64Array.of(AT, AT),
          duplicate: new Set([1]),
        },
      },
      1,
      { kind: 'failed', reason: 'several series for prod/api' },
    ],
  ])('%s', (_n, over, i, expected) => {
    expect(cpu(over, i)).toEqual(expected);
  });

  it('one sample per answered feature', () => {
    expect([...samplesAt(columns(), 0, TARGETS[0]!).keys()]).toEqual(FEATURE_NAMES);
    expect(samplesAt(columns(), 1, TARGETS[1]!).size).toBe(0);
  });
});
