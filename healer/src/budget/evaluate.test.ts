import { describe, expect, it } from '@jest/globals';
import type { HealAction } from '../api/types.js';
import { evaluateBudget } from './evaluate.js';
import type { BudgetLimits, LedgerEntry } from './types.js';

const LIMITS: BudgetLimits = {
  perDeployment: { maxActionsPerHour: 3, cooldownSeconds: 300 },
  global: {
    maxConcurrentHeals: 2,
    maxRollbacksPerHour: 1,
    maxScaleUpsPerHour: 4,
    concurrencyWindowSeconds: 600,
  },
};
const NOW = new Date('2026-11-21T12:00:00.000Z');
const T = NOW.getTime();
const S = 1000;
const M = 60 * S;

function e(name: string, action: HealAction, agoMs: number, namespace = 'shop'): LedgerEntry {
  return { namespace, name, action, at: T - agoMs };
}

describe('evaluateBudget', () => {
  it.each<[string, LedgerEntry[], HealAction, string | null]>([
    ['empty ledger allows', [], 'restart_scale', null],
    [
      'page is never denied, even inside the cooldown',
      [e('cart', 'rollback', 1 * S)],
      'page',
      null,
    ],
    [
      'cooldown: 299 s after the last action denies',
      [e('cart', 'restart_scale', 299 * S)],
      'cache_clear_restart',
      'cooldown',
    ],
    [
      'cooldown boundary: exactly 300 s after allows',
      [e('cart', 'restart_scale', 300 * S)],
      'cache_clear_restart',
      null,
    ],
    [
      'cooldown: another deployment does not count',
      [e('web', 'restart_scale', 1 * S)],
      'restart_scale',
      null,
    ],
    [
      'cooldown: same name in another namespace does not count',
      [e('cart', 'restart_scale', 1 * S, 'other')],
      'restart_scale',
      null,
    ],
    [
      'per hour: 3 actions in the hour deny the 4th',
      [
        e('cart', 'restart_scale', 50 * M),
        e('cart', 'restart_scale', 30 * M),
        e('cart', 'cache_clear_restart', 10 * M),
      ],
      'rollback',
      'max_actions_per_hour',
    ],
    [
      'per hour boundary: an action exactly 60 min ago has left the window',
      [
        e('cart', 'restart_scale', 60 * M),
        e('cart', 'restart_scale', 30 * M),
        e('cart', 'cache_clear_restart', 10 * M),
      ],
      'cache_clear_restart',
      null,
    ],
    [
      'concurrency: 2 other deployments healing deny a third',
      [e('a', 'restart_scale', 9 * M), e('b', 'restart_scale', 1 * M)],
      'restart_scale',
      'max_concurrent_heals',
    ],
    [
      'concurrency: a deployment already healing keeps its slot and may escalate',
      [e('a', 'restart_scale', 9 * M), e('cart', 'restart_scale', 6 * M)],
      'cache_clear_restart',
      null,
    ],
    [
      'concurrency boundary: an action exactly 600 s ago no longer holds a slot',
      [e('a', 'restart_scale', 600 * S), e('b', 'restart_scale', 1 * M)],
      'restart_scale',
      null,
    ],
    [
      'concurrency: pages do not hold a slot',
      [e('a', 'page', 1 * M), e('b', 'page', 1 * M)],
      'restart_scale',
      null,
    ],
    [
      'rollbacks: one in the hour (elsewhere) denies another',
      [e('web', 'rollback', 20 * M)],
      'rollback',
      'max_rollbacks_per_hour',
    ],
    ['rollbacks: does not limit restarts', [e('web', 'rollback', 20 * M)], 'restart_scale', null],
    [
      'scale-ups: 4 in the hour deny a 5th',
      [
        e('a', 'restart_scale', 59 * M),
        e('b', 'restart_scale', 58 * M),
        e('c', 'restart_scale', 57 * M),
        e('d', 'restart_scale', 56 * M),
      ],
      'restart_scale',
      'max_scale_ups_per_hour',
    ],
    [
      'scale-ups: cache clears are not scale-ups',
      [
        e('a', 'restart_scale', 59 * M),
        e('b', 'restart_scale', 58 * M),
        e('c', 'restart_scale', 57 * M),
        e('d', 'restart_scale', 56 * M),
      ],
      'cache_clear_restart',
      null,
    ],
    [
      'future-dated entry (clock skew) counts as within cooldown',
      [e('cart', 'restart_scale', -5 * S)],
      'restart_scale',
      'cooldown',
    ],
  ])('%s', (_title, ledger, action, rule) => {
    const got = evaluateBudget(ledger, { namespace: 'shop', name: 'cart', action }, LIMITS, NOW);
    if (rule === null) {
      expect(got).toEqual({ allowed: true });
    } else {
      expect(got).toMatchObject({ allowed: false, rule });
    }
  });

  it('the message names the rule, the values and the deployment', () => {
    const got = evaluateBudget(
      [e('cart', 'restart_scale', 40 * S)],
      { namespace: 'shop', name: 'cart', action: 'cache_clear_restart' },
      LIMITS,
      NOW,
    );
    expect(got).toEqual({
      allowed: false,
      rule: 'cooldown',
      message: 'cooldown: last action on shop/cart 40 s ago < cooldown 300 s',
    });
  });

  it('limits of 0 deny every non-page action', () => {
    const zero: BudgetLimits = {
      perDeployment: { maxActionsPerHour: 0, cooldownSeconds: 0 },
      global: { ...LIMITS.global },
    };
    const got = evaluateBudget(
      [],
      { namespace: 'shop', name: 'cart', action: 'restart_scale' },
      zero,
      NOW,
    );
    expect(got).toMatchObject({ allowed: false, rule: 'max_actions_per_hour' });
    expect(got.allowed === false && got.message).toBe(
      'max_actions_per_hour: 0 action attempts on shop/cart in the last hour ≥ limit 0',
    );
  });
});
