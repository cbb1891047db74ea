import { describe, expect, it } from '@jest/globals';
import { shareRecorded, type RecordingRule } from './recording.js';

const B = 'sum by (ns) (rate(x[5m]))';
const A = `2 * ${B}`;

describe('shareRecorded', () => {
  it.each<[string, RecordingRule[], RecordingRule[]]>([
    ['no rules', [], []],
    [
      'nothing shared: unchanged, in order',
      [
        { record: 'a', expr: 'sum(x)' },
        { record: 'b', expr: 'sum(y)' },
      ],
      [
        { record: 'a', expr: 'sum(x)' },
        { record: 'b', expr: 'sum(y)' },
      ],
    ],
    [
      'a rule contained in others is moved ahead and read, every occurrence',
      [
        { record: 'ratio', expr: `sum(e) / clamp_min(${B}, 1) or (0 * ${B})` },
        { record: 'rate', expr: B },
      ],
      [
        { record: 'rate', expr: B },
        { record: 'ratio', expr: 'sum(e) / clamp_min(rate, 1) or (0 * rate)' },
      ],
    ],
    [
      'inside a subquery the expression stays (it is evaluated at past steps)',
      [
        { record: 'rate', expr: B },
        { record: 'slope', expr: `deriv((${B})[10m:1m]) + ${B}` },
      ],
      [
        { record: 'rate', expr: B },
        { record: 'slope', expr: `deriv((${B})[10m:1m]) + rate` },
      ],
    ],
    [
      'a rule with static labels is never read for another (its series carries them)',
      [
        { record: 'ts', expr: B, labels: { metric: 'x' } },
        { record: 'sum', expr: `1 + ${B}` },
      ],
      [
        { record: 'ts', expr: B, labels: { metric: 'x' } },
        { record: 'sum', expr: `1 + ${B}` },
      ],
    ],
    [
      'nested: the innermost first, and a reader of both reads the outer whole',
      [
        { record: 'c', expr: `max(${A})` },
        { record: 'a', expr: A },
        { record: 'b', expr: B },
      ],
      [
        { record: 'b', expr: B },
        { record: 'a', expr: '2 * b' },
        { record: 'c', expr: 'max(a)' },
      ],
    ],
  ])('%s', (_name, rules, want) => {
    expect(shareRecorded(rules)).toEqual(want);
  });
});
