import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { ManualClock, startSimulator, type RunningSimulator } from '@aiops/simulator';
import { LeaseLeaderElector } from './lease.js';
import { ManualElectionClock } from './manualClock.js';

/**
 * Two healer replicas' electors against the simulator's Lease API, through the real client:
 * the server's resourceVersion checks decide every race. Rounds are driven with `tick()` and an
 * injected clock, so nothing sleeps.
 */
describe('LeaseLeaderElector against the simulator', () => {
  let sim: RunningSimulator;
  let api: CoordinationV1Api;
  let lease = 0;

  beforeAll(async () => {
    sim = await startSimulator({ clock: new ManualClock(), workloads: [], seed: 7 });
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    api = kc.makeApiClient(CoordinationV1Api);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  let clock: ManualElectionClock;
  let name: string;
  beforeEach(() => {
    clock = new ManualElectionClock();
    name = `aiops-healer-${++lease}`; // a fresh Lease per test
  });

  const elector = (identity: string): LeaseLeaderElector =>
    new LeaseLeaderElector(
      api,
      {
        namespace: 'default',
        name,
        identity,
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      },
      clock,
    );
  const holder = async (): Promise<string | undefined> =>
    (await api.readNamespacedLease({ name, namespace: 'default' })).spec?.holderIdentity;

  it('two replicas starting together: exactly one leads, and the Lease names it', async () => {
    const a = elector('healer-0');
    const b = elector('healer-1');
    const [la, lb] = await Promise.all([a.tick(), b.tick()]);
    expect(Number(la) + Number(lb)).toBe(1);
    const leader = la ? a : b;
    expect(await holder()).toBe(leader.identity);
    // Many rounds later, still exactly one.
    for (let i = 0; i < 10; i++) {
      clock.t += 2_000;
      await Promise.all([a.tick(), b.tick()]);
      expect(Number(a.isLeader()) + Number(b.isLeader())).toBe(1);
    }
    expect(await holder()).toBe(leader.identity);
  });

  it('takes over only after the lease expired when the leader died without releasing', async () => {
    const a = elector('healer-0');
    const b = elector('healer-1');
    expect(await a.tick()).toBe(true);
    expect(await b.tick()).toBe(false);
    // a dies: no more renewals, no release.
    clock.t += 14_000;
    expect(await b.tick()).toBe(false);
    expect(await holder()).toBe('healer-0');
    clock.t += 1_000;
    expect(await b.tick()).toBe(true);
    expect(a.isLeader()).toBe(false);
    const spec = (await api.readNamespacedLease({ name, namespace: 'default' })).spec;
    expect(spec).toMatchObject({ holderIdentity: 'healer-1', leaseTransitions: 1 });
  });

  it('stop() releases, so the follower leads on its next round instead of after expiry', async () => {
    const a = elector('healer-0');
    const b = elector('healer-1');
    await a.tick();
    await b.tick();
    await a.stop();
    expect(a.isLeader()).toBe(false);
    expect(await holder()).toBe('');
    clock.t += 2_000; // one retry period, far less than the 15 s lease
    expect(await b.tick()).toBe(true);
    expect(await holder()).toBe('healer-1');
  });

  it('two followers racing for an expired lease: the server’s 409 lets exactly one win', async () => {
    const old = elector('healer-old');
    const a = elector('healer-0');
    const b = elector('healer-1');
    await old.tick();
    await Promise.all([a.tick(), b.tick()]);
    clock.t += 15_000;
    const [la, lb] = await Promise.all([a.tick(), b.tick()]);
    expect(Number(la) + Number(lb)).toBe(1);
    expect(await holder()).toBe(la ? 'healer-0' : 'healer-1');
  });
});
