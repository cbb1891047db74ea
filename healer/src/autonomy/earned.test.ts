import { describe, expect, it } from '@jest/globals';
import { ShadowLedger } from '../loop/shadow.js';
import { EarnedAutonomy } from './earned.js';

const S = { minEpisodes: 2, approveAt: 0.6, autoAt: 0.9, window: 10 };
const T0 = Date.UTC(2026, 0, 1);
const AUTO = {
  gates: { restart_scale: 'auto', cache_clear_restart: 'auto', rollback: 'approve' },
  prodGates: {},
  prodNamespaces: [],
} as const;

/** A would-be restart in `shop` whose risk stayed high: it was needed. */
function needed(ledger: ShadowLedger, i: number): void {
  ledger.add(
    {
      at: new Date(T0 + i * 60_000).toISOString(),
      namespace: 'shop',
      name: `web-${i}`,
      action: 'restart_scale',
      step: 1,
      attempt: 1,
      riskBefore: 0.95,
      reason: 'r',
    },
    0,
    0.8,
  );
  ledger.observe('shop', `web-${i}`, 0.9, T0 + i * 60_000 + 1);
}

describe('EarnedAutonomy', () => {
  it('tightens auto to approve without evidence, never loosens an approve gate', () => {
    const earned = new EarnedAutonomy(new ShadowLedger(), S);
    expect(earned.gates('shop', { ...AUTO, gates: { ...AUTO.gates } }).gates).toEqual({
      restart_scale: 'approve',
      cache_clear_restart: 'approve',
      rollback: 'approve',
    });
  });

  it('levels are computed once per cycle, from the ledger as it stood then', () => {
    const ledger = new ShadowLedger();
    const earned = new EarnedAutonomy(ledger, S);
    const gates = () => earned.gates('shop', { ...AUTO, gates: { ...AUTO.gates } }).gates;
    expect(gates().restart_scale).toBe('approve');
    needed(ledger, 1);
    needed(ledger, 2);
    // Same cycle: still the levels it started with.
    expect(gates().restart_scale).toBe('approve');
    earned.newCycle();
    expect(gates().restart_scale).toBe('auto');
    expect(earned.rows()).toEqual([
      expect.objectContaining({ namespace: 'shop', action: 'restart_scale', level: 'auto' }),
    ]);
  });

  it('a person’s decisions on approval requests count beside the dry-run evidence', () => {
    const ledger = new ShadowLedger();
    needed(ledger, 1);
    const at = new Date(T0).toISOString();
    const rejected = {
      id: 'web-x',
      namespace: 'shop',
      name: 'web',
      action: 'restart_scale' as const,
      episodeStartedAt: T0,
      step: 1,
      attempt: 1,
      risk: 0.9,
      high: 0.8,
      reason: 'r',
      requestedAt: at,
      expiresAt: at,
      lastAskedAt: T0,
      state: 'rejected' as const,
      decidedAt: at,
    };
    const earned = new EarnedAutonomy(ledger, S, () => [rejected]);
    expect(earned.rows()).toEqual([
      expect.objectContaining({ action: 'restart_scale', judged: 2, needed: 1, byHumans: 1 }),
    ]);
    // One of two needed: precision 50 % < 60 %, so the gate stays with a person.
    expect(earned.gates('shop', { ...AUTO, gates: { ...AUTO.gates } }).gates.restart_scale).toBe(
      'approve',
    );
  });
});
