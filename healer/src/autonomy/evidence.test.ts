import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { MemoryList } from '../humans/memoryList.js';
import { ShadowLedger, type StoredShadowEntry } from '../loop/shadow.js';
import { EvidenceKeeper } from './evidence.js';
import { parseEvidence } from './evidenceStore.js';

const T0 = Date.UTC(2026, 0, 1);
const logger = pino({ level: 'silent' });

const wouldRestart = (name: string, atMs: number) => ({
  at: new Date(atMs).toISOString(),
  namespace: 'shop',
  name,
  action: 'restart_scale' as const,
  step: 1,
  attempt: 1,
  riskBefore: 0.95,
  reason: 'risk 0.95 ≥ 0.80 for 3/3 cycles',
});

function keeper(store: MemoryList<StoredShadowEntry>) {
  const ledger = new ShadowLedger();
  return { ledger, keeper: new EvidenceKeeper(ledger, store, logger) };
}

describe('EvidenceKeeper', () => {
  it('a new leader takes the ledger over, judged and open entries alike, and judges the open ones', async () => {
    const store = new MemoryList<StoredShadowEntry>();
    const a = keeper(store);
    await a.keeper.ready();
    a.ledger.add(wouldRestart('web', T0), 60_000, 0.8);
    a.ledger.add(wouldRestart('api', T0), 60_000, 0.8);
    a.ledger.observe('shop', 'web', 0.9, T0 + 60_000);
    await a.keeper.flush();
    expect(store.saved.map((e) => [e.name, e.resolvedByItself])).toEqual([
      ['web', false],
      ['api', undefined],
    ]);
    const b = keeper(store);
    await b.keeper.ready();
    expect(b.ledger.list()).toEqual(a.ledger.list());
    // api's entry is still open on the new leader, with the threshold it was recorded against.
    b.ledger.observe('shop', 'api', 0.3, T0 + 60_000);
    expect(b.ledger.list()[1]).toMatchObject({ riskAfter: 0.3, resolvedByItself: true });
    await b.keeper.flush();
    expect(store.saved[1]?.resolvedByItself).toBe(true);
  });

  it('writes only what changed: an unchanged ledger costs no write', async () => {
    const store = new MemoryList<StoredShadowEntry>();
    const { ledger, keeper: k } = keeper(store);
    await k.ready();
    ledger.add(wouldRestart('web', T0), 60_000, 0.8);
    await k.flush();
    store.failSaves = 1;
    await k.flush();
    expect(store.failSaves).toBe(1);
  });

  it('a store down at the takeover: kept in memory, retried, and the stored evidence is not overwritten', async () => {
    const store = new MemoryList<StoredShadowEntry>();
    const a = keeper(store);
    await a.keeper.ready();
    a.ledger.add(wouldRestart('web', T0), 60_000, 0.8);
    await a.keeper.flush();
    const b = keeper(store);
    store.failLoads = 1;
    store.failSaves = 1;
    await b.keeper.ready();
    b.ledger.add(wouldRestart('api', T0 + 30_000), 60_000, 0.8);
    await b.keeper.flush();
    expect(store.saved.map((e) => e.name)).toEqual(['web']);
    // Retried at the next cycle's end, beside what the store held (it was never read).
    await b.keeper.flush();
    expect(store.saved.map((e) => e.name)).toEqual(['web', 'api']);
    await b.keeper.ready();
    expect(b.ledger.list().map((e) => e.name)).toEqual(['web', 'api']);
  });

  it('an entry both hold is the stored one, unless only this replica judged it', async () => {
    const store = new MemoryList<StoredShadowEntry>();
    const a = keeper(store);
    await a.keeper.ready();
    a.ledger.add(wouldRestart('web', T0), 60_000, 0.8);
    a.ledger.add(wouldRestart('api', T0), 60_000, 0.8);
    await a.keeper.flush();
    // Judged here after the write (the write of it failed): kept over the stored open entry.
    a.ledger.observe('shop', 'web', 0.2, T0 + 60_000);
    a.keeper.observe();
    await a.keeper.ready();
    expect(a.ledger.list().map((e) => [e.name, e.resolvedByItself])).toEqual([
      ['web', true],
      ['api', undefined],
    ]);
  });

  it('a follower reads the store again when it takes over', async () => {
    const store = new MemoryList<StoredShadowEntry>();
    const a = keeper(store);
    const b = keeper(store);
    await b.keeper.ready();
    await a.keeper.ready();
    a.ledger.add(wouldRestart('web', T0), 60_000, 0.8);
    await a.keeper.flush();
    b.keeper.observe();
    await b.keeper.ready();
    expect(b.ledger.list().map((e) => e.name)).toEqual(['web']);
  });
});

describe('parseEvidence', () => {
  const good: StoredShadowEntry = {
    ...wouldRestart('web', T0),
    windowEndsAt: new Date(T0 + 60_000).toISOString(),
    high: 0.8,
  };
  const where = 'ConfigMap default/aiops-healer-evidence key shadow.json';

  it('reads what the healer wrote', () => {
    expect(parseEvidence(JSON.stringify([good, { ...good, riskAfter: 0.2 }]), where)).toHaveLength(
      2,
    );
    expect(parseEvidence(undefined, where)).toEqual([]);
  });

  it.each([
    ['not JSON', '[', /: not JSON$/],
    ['no name', [{ ...good, name: 7 }], /\[0\]\.name: required, a string/],
    ['a bad time', [{ ...good, at: 'yesterday' }], /\[0\]\.at: must be an ISO 8601 time/],
    ['an unknown action', [good, { ...good, action: 'reboot' }], /\[1\]\.action: must be one of/],
    ['no threshold', [{ ...good, high: null }], /\[0\]\.high: required, a number/],
    [
      'a bad verdict',
      [{ ...good, resolvedByItself: 'yes' }],
      /\[0\]\.resolvedByItself: must be true or false/,
    ],
  ])('a hand-edited ledger is refused, naming the entry and field: %s', (_n, body, error) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    expect(() => parseEvidence(text, where)).toThrow(error);
  });
});
