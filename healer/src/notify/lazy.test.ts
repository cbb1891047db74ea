import { describe, expect, it } from '@jest/globals';
import { lazily } from './lazy.js';

describe('lazily', () => {
  it('loads once, on the first call, and shares the load between concurrent callers', async () => {
    let loads = 0;
    const get = lazily(async () => ({ n: ++loads }));
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(loads).toBe(1);
  });

  it('does not keep a failed load: the next call tries again', async () => {
    let loads = 0;
    const get = lazily(async () => {
      if (++loads === 1) throw new Error('Cannot find module @slack/web-api');
      return loads;
    });
    await expect(get()).rejects.toThrow('Cannot find module');
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
  });

  it('does not keep a load whose construction throws after the import', async () => {
    let calls = 0;
    const get = lazily(() =>
      Promise.resolve().then(() => {
        if (++calls === 1) throw new TypeError('invalid token');
        return 'client';
      }),
    );
    await expect(get()).rejects.toThrow('invalid token');
    expect(await get()).toBe('client');
  });
});
