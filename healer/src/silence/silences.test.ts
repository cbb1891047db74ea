import { describe, expect, it } from '@jest/globals';
import { MemoryList } from '../humans/memoryList.js';
import { parseSilences } from './configMapStore.js';
import { SilenceError, Silences, type Silence, type SilenceStore } from './silences.js';

const T0 = Date.UTC(2026, 0, 1);

/** A store at the I/O edge: what was saved, and failures on demand. */
const memoryStore = () =>
  new MemoryList<Silence>('ConfigMap default/aiops-healer-silences key silences.json');

const input = { namespace: 'shop', name: 'web', reason: 'migration', durationMs: 3_600_000 };
const make = (store?: SilenceStore): Silences =>
  new Silences({ now: () => T0, maxMs: 86_400_000, ...(store ? { store } : {}) });

describe('Silences with a store', () => {
  it('a silence is answered only once stored; a failed save keeps nothing and says so', async () => {
    const store = memoryStore();
    const s = make(store);
    await s.sync();
    const ok = await s.create(input);
    expect(store.saved.map((x) => x.id)).toEqual([ok.id]);
    store.failSaves = 1;
    const err = await s.create({ ...input, name: 'api' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SilenceError);
    expect(err).toMatchObject({ code: 'unavailable', field: 'silence' });
    expect((err as Error).message).toMatch(/not saved to ConfigMap .*HTTP 503/);
    expect(s.list().map((x) => x.id)).toEqual([ok.id]);
    expect(s.match({ namespace: 'shop', name: 'api' })).toBeUndefined();
  });

  it('a failed expire leaves the silence holding', async () => {
    const store = memoryStore();
    const s = make(store);
    await s.sync();
    const ok = await s.create(input);
    store.failSaves = 1;
    await expect(s.expire(ok.id)).rejects.toMatchObject({ code: 'unavailable' });
    expect(s.match({ namespace: 'shop', name: 'web' })?.id).toBe(ok.id);
    expect(store.saved[0]?.expiredBy).toBeUndefined();
  });

  it.each<[string, number[], boolean[]]>([
    // failures before each sync → unreadable after each sync
    ['never read: holds', [1], [true]],
    ['a good read: does not hold', [0], [false]],
    ['good, then two failed reads: keeps the last', [0, 1, 1], [false, false, false]],
    ['good, then three failed reads: holds', [0, 1, 1, 1], [false, false, false, true]],
    ['holds, then a good read: released', [1, 0], [true, false]],
  ])('fails closed: %s', async (_t, failures, held) => {
    const store = memoryStore();
    const s = make(store);
    expect(s.unreadable()).toMatch(/not read yet/);
    const seen: boolean[] = [];
    for (const f of failures) {
      store.failLoads = f;
      await s.sync();
      seen.push(s.unreadable() !== undefined);
    }
    expect(seen).toEqual(held);
  });

  it('a writer that has not read yet adds to what is stored, never over it', async () => {
    const store = memoryStore();
    const a = make(store);
    const first = await a.create(input);
    const b = make(store); // a new leader, before its first cycle
    const second = await b.create({ ...input, name: 'api' });
    expect(store.saved.map((x) => x.id)).toEqual([first.id, second.id]);
    expect(
      b
        .list()
        .map((x) => x.id)
        .sort(),
    ).toEqual([first.id, second.id].sort());
    await expect(b.expire('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a new instance reads what an old one stored', async () => {
    const store = memoryStore();
    const a = make(store);
    await a.sync();
    const ok = await a.create({
      namespace: 'shop',
      selector: 'tier=db',
      reason: 'x',
      durationMs: 60_000,
    });
    const b = make(store);
    await b.sync();
    expect(b.match({ namespace: 'shop', name: 'pg', labels: { tier: 'db' } })?.id).toBe(ok.id);
  });

  it('without a store nothing is held for want of a read', () => {
    expect(make().unreadable()).toBeUndefined();
  });
});

describe('parseSilences', () => {
  const good = {
    id: 'a',
    namespace: 'shop',
    reason: 'r',
    createdBy: 'dana',
    createdAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-01-01T01:00:00Z',
  };
  it.each<[string, string | undefined, RegExp | number]>([
    ['missing key', undefined, 0],
    ['empty', '', 0],
    ['one entry', JSON.stringify([good]), 1],
    ['not JSON', '{', /where: not JSON/],
    ['not an array', '{}', /where: must be a JSON array/],
    ['no reason', JSON.stringify([{ ...good, reason: undefined }]), /\[0\]\.reason: required/],
    [
      'bad time',
      JSON.stringify([good, { ...good, expiresAt: 'soon' }]),
      /\[1\]\.expiresAt: must be an ISO 8601 time/,
    ],
    [
      'no scope',
      JSON.stringify([{ ...good, namespace: undefined }]),
      /\[0\]\.namespace: a silence needs/,
    ],
  ])('%s', (_t, text, want) => {
    if (typeof want === 'number') expect(parseSilences(text, 'where')).toHaveLength(want);
    else expect(() => parseSilences(text, 'where')).toThrow(want);
  });
});
