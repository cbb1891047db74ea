import { describe, expect, it } from '@jest/globals';
import type { HealAction } from '../api/types.js';
import { episodeId, gatedLadder, gateFor, isProdNamespace } from './gates.js';

const c = {
  gates: {},
  prodGates: { rollback: 'approve' as const },
  prodNamespaces: ['prod', 'prod-*', '*-production'],
};

describe('gates', () => {
  it.each([
    ['prod', true],
    ['prod-eu', true],
    ['shop-production', true],
    ['production', false],
    ['preprod', false],
    ['shop', false],
  ])('%s is production: %s', (ns, prod) => {
    expect(isProdNamespace(ns, c.prodNamespaces)).toBe(prod);
  });
  it.each([
    ['restart_scale', 'prod', 'auto'],
    ['rollback', 'prod', 'approve'],
    ['rollback', 'shop', 'auto'],
    ['page', 'prod', 'auto'],
  ] as Array<[HealAction, string, string]>)('%s in %s → %s (defaults)', (action, ns, mode) => {
    expect(gateFor(action, ns, c)).toBe(mode);
  });
  it('a gate everywhere applies where no production gate overrides it', () => {
    const g = { ...c, gates: { cache_clear_restart: 'off' as const, rollback: 'off' as const } };
    expect(gateFor('rollback', 'shop', g)).toBe('off');
    expect(gateFor('rollback', 'prod', g)).toBe('approve');
    expect(
      gatedLadder(['restart_scale', 'cache_clear_restart', 'rollback', 'page'], 'shop', g),
    ).toEqual(['restart_scale', 'page']);
  });
  it('episode ids are short and stable', () => {
    expect(episodeId('web', Date.UTC(2026, 0, 1))).toBe(`web-${Date.UTC(2026, 0, 1).toString(36)}`);
  });
});
