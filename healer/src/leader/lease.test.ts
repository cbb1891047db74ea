import { describe, expect, it } from '@jest/globals';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import {
  LEADER_ENDPOINT_ANNOTATION,
  LeaseLeaderElector,
  mayAcquire,
  type LeaseApi,
  type LeaseError,
} from './lease.js';
import { ManualElectionClock } from './manualClock.js';

/**
 * An in-memory Lease endpoint with the API server's optimistic concurrency: a write with a stale
 * resourceVersion gets 409, create of an existing object 409, read of a missing one 404. Each call
 * yields to the event loop first, so concurrent electors really interleave.
 */
class FakeLeases implements LeaseApi {
  lease: V1Lease | undefined;
  private rv = 0;
  writes = 0;
  conflicts = 0;
  failing = false;
  private async turn(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.failing) throw new ApiException(503, 'unavailable', {}, {});
  }
  private stored(body: V1Lease): V1Lease {
    this.writes++;
    this.lease = JSON.parse(
      JSON.stringify({
        ...body,
        metadata: { ...body.metadata, resourceVersion: String(++this.rv) },
      }),
    );
    return JSON.parse(JSON.stringify(this.lease));
  }
  readNamespacedLease = (async () => {
    await this.turn();
    if (!this.lease) throw new ApiException(404, 'not found', {}, {});
    return JSON.parse(JSON.stringify(this.lease));
  }) as LeaseApi['readNamespacedLease'];
  createNamespacedLease = (async (p: { body: V1Lease }) => {
    await this.turn();
    if (this.lease) {
      this.conflicts++;
      throw new ApiException(409, 'already exists', {}, {});
    }
    return this.stored(p.body);
  }) as unknown as LeaseApi['createNamespacedLease'];
  replaceNamespacedLease = (async (p: { body: V1Lease }) => {
    await this.turn();
    if (!this.lease) throw new ApiException(404, 'not found', {}, {});
    if (p.body.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion) {
      this.conflicts++;
      throw new ApiException(409, 'conflict', {}, {});
    }
    return this.stored(p.body);
  }) as unknown as LeaseApi['replaceNamespacedLease'];
}

class FakeClock extends ManualElectionClock {}

const CONFIG = {
  namespace: 'aiops',
  name: 'aiops-healer',
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
};

function pair(api = new FakeLeases(), clock = new FakeClock()) {
  const errors: LeaseError[] = [];
  const a = new LeaseLeaderElector(api, { ...CONFIG, identity: 'healer-a' }, clock, (e) =>
    errors.push(e),
  );
  const b = new LeaseLeaderElector(api, { ...CONFIG, identity: 'healer-b' }, clock, (e) =>
    errors.push(e),
  );
  return { api, clock, a, b, errors };
}

describe('mayAcquire', () => {
  const base = {
    holder: 'other',
    resourceVersion: '1',
    leaseDurationSeconds: 15,
    observedAt: 1_000_000,
    transitions: 0,
  };
  it.each([
    ['free (released) lease', { ...base, holder: '' }, 1_000_000, true],
    ['our own lease', { ...base, holder: 'me' }, 1_000_000, true],
    ['held by another, fresh', base, 1_000_000, false],
    ['held by another, 1 ms before expiry', base, 1_014_999, false],
    ['held by another, exactly expired', base, 1_015_000, true],
    ['held by another, long expired', base, 9_000_000, true],
  ])('%s', (_t, observed, now, want) => {
    expect(mayAcquire(observed, 'me', now)).toBe(want);
  });
});

describe('LeaseLeaderElector', () => {
  it('of two electors racing for a missing lease exactly one leads', async () => {
    const { a, b, api } = pair();
    const [la, lb] = await Promise.all([a.tick(), b.tick()]);
    expect([la, lb].filter(Boolean)).toHaveLength(1);
    expect(a.isLeader() !== b.isLeader()).toBe(true);
    expect(api.lease?.spec?.holderIdentity).toBe(la ? 'healer-a' : 'healer-b');
    expect(api.conflicts).toBe(1);
  });

  it('of two electors racing to take over an expired lease exactly one leads (409 → re-read)', async () => {
    const { a, b, api, clock } = pair();
    const old = new LeaseLeaderElector(api, { ...CONFIG, identity: 'healer-old' }, clock);
    await old.tick();
    await Promise.all([a.tick(), b.tick()]); // both observe the old holder
    await clock.advance(15_000);
    const [la, lb] = await Promise.all([a.tick(), b.tick()]);
    expect([la, lb].filter(Boolean)).toHaveLength(1);
    expect(api.lease?.spec?.leaseTransitions).toBe(1);
    expect(api.conflicts).toBe(1);
  });

  it('a live leader keeps the lease; the follower never takes it while renewals continue', async () => {
    const { a, b, clock } = pair();
    await a.start();
    await b.start();
    expect(a.isLeader()).toBe(true);
    for (let i = 0; i < 30; i++) {
      await clock.advance(1_000);
      expect(a.isLeader()).toBe(true);
      expect(b.isLeader()).toBe(false);
    }
    await a.stop();
    await b.stop();
  });

  it('takes over only after the lease expired when the leader dies without releasing', async () => {
    const { a, b, clock } = pair();
    await a.tick(); // a leads, then "crashes": no more ticks
    await b.tick();
    const changes: boolean[] = [];
    b.onChange((l) => changes.push(l));
    await clock.advance(14_000);
    expect(await b.tick()).toBe(false);
    await clock.advance(1_000); // 15 s after b first saw a's record
    expect(await b.tick()).toBe(true);
    expect(changes).toEqual([true]);
    // The dead leader no longer believes it leads: its renew deadline passed long ago.
    expect(a.isLeader()).toBe(false);
  });

  it('stop() releases the lease so the follower takes over on its next round', async () => {
    const { a, b, api } = pair();
    await a.tick();
    await b.tick();
    const changes: boolean[] = [];
    a.onChange((l) => changes.push(l));
    await a.stop();
    expect(changes).toEqual([false]);
    expect(api.lease?.spec?.holderIdentity).toBe('');
    expect(await b.tick()).toBe(true);
    expect(api.lease?.spec?.leaseTransitions).toBe(1);
  });

  it('stops leading at the renew deadline when the API is unreachable, before anyone can take over', async () => {
    const { a, api, clock, errors } = pair();
    await a.start();
    const changes: boolean[] = [];
    a.onChange((l) => changes.push(l));
    api.failing = true;
    await clock.advance(9_000);
    expect(a.isLeader()).toBe(true);
    await clock.advance(1_000);
    expect(a.isLeader()).toBe(false);
    expect(changes).toEqual([false]);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.name).toBe('LeaseError');
    api.failing = false;
    await clock.advance(2_000);
    expect(a.isLeader()).toBe(true); // still the holder on record: renews and leads again
    await a.stop();
  });

  it('isLeader() turns false at the deadline even if no round ran (a stuck event loop)', async () => {
    const { a, clock } = pair();
    await a.tick();
    clock.t += 10_000;
    expect(a.isLeader()).toBe(false);
  });

  it('writes holder, duration, times and transitions as client-go does', async () => {
    const { a, api, clock } = pair();
    await a.tick();
    const first = api.lease!.spec!;
    expect(first).toMatchObject({
      holderIdentity: 'healer-a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(String(first.renewTime)).toBe('2026-11-21T12:00:00.000000Z');
    await clock.advance(2_000);
    await a.tick();
    const renewed = api.lease!.spec!;
    expect(String(renewed.renewTime)).toBe('2026-11-21T12:00:02.000000Z');
    expect(String(renewed.acquireTime)).toBe('2026-11-21T12:00:00.000000Z');
    expect(renewed.leaseTransitions).toBe(0);
  });

  it("a standby knows the leader's endpoint from the Lease; a holder without one clears it", async () => {
    const api = new FakeLeases();
    const clock = new FakeClock();
    const a = new LeaseLeaderElector(
      api,
      { ...CONFIG, identity: 'healer-a', endpoint: 'http://10.0.1.7:8081' },
      clock,
    );
    const b = new LeaseLeaderElector(
      api,
      { ...CONFIG, identity: 'healer-b', endpoint: 'http://10.0.2.9:8081' },
      clock,
    );
    await a.tick();
    await b.tick();
    expect(api.lease?.metadata?.annotations?.[LEADER_ENDPOINT_ANNOTATION]).toBe(
      'http://10.0.1.7:8081',
    );
    expect(b.leaderEndpoint()).toBe('http://10.0.1.7:8081');
    // The leader itself has nobody to forward to.
    expect(a.leaderEndpoint()).toBeUndefined();
    // The leader stops renewing: once the Lease has expired the standby no longer forwards…
    await clock.advance(15_000);
    expect(b.leaderEndpoint()).toBeUndefined();
    // …and when it takes over, its own endpoint replaces the old one.
    await b.tick();
    expect(b.isLeader()).toBe(true);
    expect(api.lease?.metadata?.annotations?.[LEADER_ENDPOINT_ANNOTATION]).toBe(
      'http://10.0.2.9:8081',
    );
    await a.tick();
    expect(a.leaderEndpoint()).toBe('http://10.0.2.9:8081');
    // A holder that advertises nothing removes a stale endpoint rather than leaving it.
    await b.stop();
    const c = new LeaseLeaderElector(api, { ...CONFIG, identity: 'healer-c' }, clock);
    await c.tick();
    expect(c.isLeader()).toBe(true);
    expect(api.lease?.metadata?.annotations?.[LEADER_ENDPOINT_ANNOTATION]).toBeUndefined();
    await a.tick();
    expect(a.leaderEndpoint()).toBeUndefined();
  });

  it.each([
    [{ retryPeriodSeconds: 10, renewDeadlineSeconds: 10 }],
    [{ renewDeadlineSeconds: 15 }],
    [{ retryPeriodSeconds: 0 }],
    [{ identity: '' }],
  ])('rejects inconsistent timings %p', (over) => {
    expect(
      () => new LeaseLeaderElector(new FakeLeases(), { ...CONFIG, identity: 'x', ...over }),
    ).toThrow(RangeError);
  });
});
