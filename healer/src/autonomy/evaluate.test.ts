import { describe, expect, it } from '@jest/globals';
import type { ShadowEntry } from '../loop/shadow.js';
import type { GateMode } from '../humans/schema.js';
import { evaluateAutonomy, withAutonomy, type AutonomyLevel } from './evaluate.js';

const S = { minEpisodes: 4, approveAt: 0.6, autoAt: 0.9, window: 10 };
let n = 0;
const e = (
  resolvedByItself: boolean | undefined,
  action = 'restart_scale',
  namespace = 'shop',
): ShadowEntry => ({
  at: new Date(Date.UTC(2026, 0, 1) + ++n * 60_000).toISOString(),
  namespace,
  name: 'web',
  action: action as ShadowEntry['action'],
  step: 1,
  attempt: 1,
  riskBefore: 0.9,
  reason: 'r',
  windowEndsAt: '',
  ...(resolvedByItself === undefined ? {} : { resolvedByItself }),
});
const times = (k: number, v: boolean | undefined, action?: string) =>
  Array.from({ length: k }, () => e(v, action));

describe('evaluateAutonomy', () => {
  it.each([
    ['no evidence yet', [...times(3, false), ...times(5, undefined)], 'shadow', /3\/4 judged/],
    ['precise enough for auto', times(10, false), 'auto', /precision 100 % ≥ 90 % over 10/],
    [
      'approve band',
      [...times(7, false), ...times(3, true)],
      'approve',
      /precision 70 % ≥ 60 % \(< 90 %\)/,
    ],
    ['too imprecise', [...times(5, false), ...times(5, true)], 'shadow', /precision 50 % < 60 %/],
  ])('%s', (_n, entries, level, reason) => {
    const [row] = evaluateAutonomy(entries, S);
    expect(row).toMatchObject({ namespace: 'shop', action: 'restart_scale', level });
    expect(row?.reason).toMatch(reason);
  });

  it('falls back when recent precision drops (only the last `window` count)', () => {
    const good = times(10, false);
    expect(evaluateAutonomy(good, S)[0]?.level).toBe('auto');
    const worse = [...good, ...times(5, true)];
    expect(evaluateAutonomy(worse, S)[0]).toMatchObject({ level: 'shadow', judged: 10, needed: 5 });
  });

  it('counts per namespace and action type', () => {
    const rows = evaluateAutonomy([...times(10, false), ...times(10, true, 'rollback')], S);
    expect(rows.map((r) => [r.action, r.level])).toEqual([
      ['restart_scale', 'auto'],
      ['rollback', 'shadow'],
    ]);
  });

  it.each([
    ['auto', undefined, 'auto'],
    ['auto', 'auto', 'auto'],
    ['auto', 'approve', 'approve'],
    ['auto', 'shadow', 'approve'],
    ['approve', 'auto', 'approve'],
    ['off', 'auto', 'off'],
  ] as Array<[GateMode, AutonomyLevel | undefined, GateMode]>)(
    'gate %s + earned %s → %s (only tightens)',
    (gate, earned, out) => {
      expect(withAutonomy(gate, earned)).toBe(out);
    },
  );
});
