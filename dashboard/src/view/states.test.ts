import { describe, expect, it } from 'vitest';
import type { HealState } from '@aiops/healer/api';
import { actionVerb, describeState, levelLabel, stateKeys } from './states';

describe('describeState', () => {
  it.each<[HealState, number, boolean, string, string | undefined, string]>([
    ['healthy', 0, false, 'healthy', undefined, 'ok'],
    ['watching', 0, false, 'watching', undefined, 'info'],
    ['healing', 1, false, 'healing step 1', 'restart + scale up', 'warn'],
    ['healing', 2, false, 'healing step 2', 'clear cache + restart', 'warn'],
    ['healing', 4, false, 'healing step 4', 'page a human', 'warn'],
    ['healing', 9, false, 'healing step 9', undefined, 'warn'], // a rung the dashboard does not know
    ['healing', 0, false, 'healing', undefined, 'warn'], // step not set yet
    ['healing', Number.NaN, false, 'healing', undefined, 'warn'],
    ['rolled_back', 3, false, 'rolled back', undefined, 'warn'],
    ['needs_attention', 4, false, 'needs attention', undefined, 'bad'],
    ['inconclusive', 0, false, 'inconclusive', undefined, 'muted'],
    ['healing', 1, true, 'dry-run · healing step 1', 'restart + scale up', 'warn'],
    ['healthy', 0, true, 'dry-run · healthy', undefined, 'ok'],
  ])('%s step %p dryRun %p → %p', (state, step, dryRun, label, detail, tone) => {
    const v = describeState({ state, step, dryRun });
    expect(v.label).toBe(label);
    expect(v.detail).toBe(detail);
    expect(v.tone).toBe(tone);
  });

  it('treats a state it does not know as inconclusive rather than crashing', () => {
    const v = describeState({ state: 'exploded' as HealState, step: 0, dryRun: false });
    expect(v).toEqual({ state: 'inconclusive', label: 'inconclusive', tone: 'muted' });
  });
});

it('stateKeys adds dry_run', () => {
  expect(stateKeys({ state: 'healing', dryRun: true })).toEqual(['healing', 'dry_run']);
  expect(stateKeys({ state: 'healthy', dryRun: false })).toEqual(['healthy']);
});

it('levelLabel says unknown for null', () => {
  expect(levelLabel(null)).toBe('unknown');
  expect(levelLabel('critical')).toBe('critical');
});

it('actionVerb marks dry-run actions as would-have', () => {
  expect(actionVerb({ action: 'rollback', dryRun: true, step: 3 })).toBe(
    'would roll back (step 3)',
  );
  expect(actionVerb({ action: 'restart_scale', dryRun: false, step: 1 })).toBe(
    'restart + scale up (step 1)',
  );
});
