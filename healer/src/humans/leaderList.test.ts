import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { LeaderList } from './leaderList.js';
import { MemoryList } from './memoryList.js';

interface Entry {
  id: string;
  v: number;
}

function held(store: MemoryList<Entry>) {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const list = new LeaderList(store, { what: 'widgets', key: (e: Entry) => e.id, logger });
  return { list, lines };
}

describe('LeaderList', () => {
  it('before taking over, a write keeps what the store holds beside the leader’s entries', async () => {
    const store = new MemoryList<Entry>();
    store.saved = [
      { id: 'a', v: 1 },
      { id: 'b', v: 1 },
    ];
    const { list } = held(store);
    expect(list.takenOver).toBe(false);
    expect(await list.write([{ id: 'b', v: 2 }])).toBe(true);
    // Theirs beside ours; ours wins on the same key.
    expect(store.saved).toEqual([
      { id: 'a', v: 1 },
      { id: 'b', v: 2 },
    ]);
  });

  it('after taking over, the leader’s list is the list; a follower’s cycle releases it', async () => {
    const store = new MemoryList<Entry>();
    store.saved = [{ id: 'a', v: 1 }];
    const { list } = held(store);
    expect(await list.takeOver()).toEqual([{ id: 'a', v: 1 }]);
    expect(list.takenOver).toBe(true);
    await list.write([{ id: 'c', v: 1 }]);
    expect(store.saved).toEqual([{ id: 'c', v: 1 }]);

    list.release();
    expect(list.takenOver).toBe(false);
    store.saved = [{ id: 'd', v: 1 }];
    expect(await list.peek()).toEqual([{ id: 'd', v: 1 }]);
    expect(list.takenOver).toBe(false);
    await list.write([{ id: 'c', v: 2 }]);
    expect(store.saved.map((e) => e.id)).toEqual(['d', 'c']);
  });

  it('a store that is down: not taken over, nothing written, logged once per outage', async () => {
    const store = new MemoryList<Entry>('ConfigMap ns/widgets');
    store.saved = [{ id: 'a', v: 1 }];
    const { list, lines } = held(store);
    store.failLoads = 2;
    store.failSaves = 1;
    expect(await list.takeOver()).toBeUndefined();
    expect(await list.takeOver()).toBeUndefined();
    expect(await list.write([{ id: 'b', v: 1 }])).toBe(false);
    expect(list.takenOver).toBe(false);
    expect(store.saved).toEqual([{ id: 'a', v: 1 }]);
    expect(lines.map((l) => l.msg)).toEqual([
      'widgets store unavailable: held in memory only until it is back',
    ]);

    expect(await list.write([{ id: 'b', v: 1 }])).toBe(true);
    expect(store.saved.map((e) => e.id)).toEqual(['a', 'b']);
    expect(await list.takeOver()).toHaveLength(2);
    expect(lines.map((l) => l.msg)).toEqual([
      'widgets store unavailable: held in memory only until it is back',
      'widgets store available again',
    ]);
  });
});
