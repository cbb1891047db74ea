import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { LogNotifier } from '../notify/log.js';
import { MemoryStatusSink } from '../report/memoryStatus.js';
import { Reporter } from '../report/reporter.js';
import { MemoryList } from '../humans/memoryList.js';
import { parseApprovals } from './approvalStore.js';
import { Approvals } from './approvals.js';
import type { ApprovalAsk, StoredApproval } from './types.js';

function setup(store?: MemoryList<StoredApproval>, start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const logger = pino({ level: 'silent' });
  const sink = new MemoryStatusSink();
  const reporter = new Reporter({
    logger,
    notifier: new LogNotifier(logger),
    sink,
    now: () => now,
  });
  const approvals = new Approvals({
    gates: {},
    prodGates: { rollback: 'approve' },
    prodNamespaces: ['prod'],
    timeoutMs: 600_000,
    idleMs: 90_000,
    reporter,
    logger,
    now: () => now,
    ...(store ? { store } : {}),
  });
  const reasons = () => sink.events.map((e) => e.reason);
  return { approvals, reasons, tick: (ms: number) => (now += ms), now: () => now };
}

const ask: ApprovalAsk = {
  namespace: 'prod',
  name: 'web',
  action: 'rollback',
  step: 3,
  attempt: 1,
  episodeStartedAt: 0,
  release: 'r1',
  risk: 0.95,
  high: 0.8,
  reason: 'risk 0.95 ≥ 0.80',
};

describe('Approvals', () => {
  it('auto rungs pass; approve rungs wait, then run once after the re-check', async () => {
    const { approvals, reasons } = setup();
    expect(await approvals.admit({ ...ask, action: 'restart_scale', step: 1 })).toEqual({
      go: true,
    });
    const first = await approvals.admit(ask);
    expect(first).toMatchObject({ go: false, state: 'pending' });
    await approvals.decide(first.approval!.id, true, 'alice', 'api');
    expect(await approvals.admit(ask)).toMatchObject({ go: true });
    expect(approvals.get(first.approval!.id)?.state).toBe('done');
    expect(reasons()).toEqual(['AutoHealApprovalRequested', 'AutoHealApprovalGranted']);
  });

  it.each([
    ['risk fell below high', { risk: 0.5 }, /risk 0\.50 is below 0\.80/],
    ['another release', { release: 'r2' }, /release changed since the request \(r1 → r2\)/],
  ])('an approval whose re-check fails is not acted on: %s', async (_n, change, note) => {
    const { approvals, reasons } = setup();
    const first = await approvals.admit(ask);
    await approvals.decide(first.approval!.id, true, 'alice', 'api');
    expect(await approvals.admit({ ...ask, ...change })).toMatchObject({
      go: false,
      state: 'stale',
    });
    expect(approvals.get(first.approval!.id)?.note).toMatch(note);
    expect(reasons()).toContain('AutoHealApprovalStale');
  });

  it('expires and pages when nobody decides; withdraws when no longer asked', async () => {
    const { approvals, reasons, tick } = setup();
    const a = (await approvals.admit(ask)).approval!;
    for (let i = 0; i < 21; i++) {
      tick(30_000);
      await approvals.admit(ask);
    }
    expect(approvals.get(a.id)?.state).toBe('expired');
    expect(reasons()).toEqual(['AutoHealApprovalRequested', 'AutoHealApprovalExpired']);
    const { approvals: b, tick: t2 } = setup();
    const w = (await b.admit(ask)).approval!;
    t2(91_000);
    await b.sweep();
    expect(b.get(w.id)?.state).toBe('withdrawn');
  });

  it('deciding twice or an unknown id is a typed error', async () => {
    const { approvals } = setup();
    const a = (await approvals.admit(ask)).approval!;
    await approvals.decide(a.id, false, 'bob', 'slack');
    await expect(approvals.decide(a.id, true, 'bob', 'slack')).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(approvals.decide('nope', true, 'bob', 'slack')).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('Approvals kept across a change of leader', () => {
  const SUBJECT = { kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1', uid: 'u-1' };

  it('a new leader takes over a pending request: same id and expiry, approvable, acted on', async () => {
    const store = new MemoryList<StoredApproval>();
    const a = setup(store);
    const asked = (await a.approvals.admit({ ...ask, ...SUBJECT })).approval!;
    expect(store.saved.map((r) => [r.id, r.state])).toEqual([[asked.id, 'pending']]);
    // The leader is gone; the next one reads the store before its first acting cycle.
    const b = setup(store, a.now() + 60_000);
    await b.approvals.ready();
    expect(b.approvals.get(asked.id)).toMatchObject({
      state: 'pending',
      expiresAt: asked.expiresAt,
    });
    // The Slack button (or annotation) naming the old id still decides it.
    await b.approvals.decide(asked.id, true, 'alice', 'slack');
    expect(store.saved[0]?.state).toBe('approved');
    expect(await b.approvals.admit(ask)).toMatchObject({ go: true });
    expect(store.saved[0]?.state).toBe('done');
    // No second request was made: the rung did not ask anew.
    expect(b.reasons()).toEqual(['AutoHealApprovalGranted']);
  });

  it('an approval given before the failover is acted on after the re-check, on the stored subject', async () => {
    const store = new MemoryList<StoredApproval>();
    const a = setup(store);
    const asked = (await a.approvals.admit({ ...ask, ...SUBJECT })).approval!;
    await a.approvals.decide(asked.id, true, 'alice', 'api');
    const b = setup(store, a.now() + 30_000);
    await b.approvals.ready();
    // The release moved on meanwhile: stale, not acted on.
    expect(await b.approvals.admit({ ...ask, release: 'r2' })).toMatchObject({
      go: false,
      state: 'stale',
    });
    expect(store.saved[0]).toMatchObject({
      state: 'stale',
      subject: { kind: 'Rollout', uid: 'u-1' },
    });
  });

  it('a request that expired during the failover expires and pages on the new leader', async () => {
    const store = new MemoryList<StoredApproval>();
    const a = setup(store);
    const asked = (await a.approvals.admit(ask)).approval!;
    const b = setup(store, a.now() + 600_001);
    await b.approvals.ready();
    await b.approvals.sweep();
    expect(b.approvals.get(asked.id)?.state).toBe('expired');
    expect(b.reasons()).toEqual(['AutoHealApprovalExpired']);
  });

  it('a restored request the rung no longer asks for is withdrawn after the idle time', async () => {
    const store = new MemoryList<StoredApproval>();
    const a = setup(store);
    const asked = (await a.approvals.admit(ask)).approval!;
    const b = setup(store, a.now() + 120_000);
    await b.approvals.ready();
    await b.approvals.sweep();
    // Counted as asked at the takeover, not withdrawn at once.
    expect(b.approvals.get(asked.id)?.state).toBe('pending');
    b.tick(91_000);
    await b.approvals.sweep();
    expect(store.saved[0]?.state).toBe('withdrawn');
  });

  it('a standby shows the stored list, and reads it again when it takes over', async () => {
    const store = new MemoryList<StoredApproval>();
    const leader = setup(store);
    const standby = setup(store);
    await standby.approvals.observe();
    expect(standby.approvals.list()).toEqual([]);
    const asked = (await leader.approvals.admit(ask)).approval!;
    await standby.approvals.observe();
    expect(standby.approvals.list().map((r) => [r.id, r.state])).toEqual([[asked.id, 'pending']]);
    await leader.approvals.decide(asked.id, false, 'bob', 'api');
    // Taking over reads the store again (not what the standby saw last).
    await standby.approvals.ready();
    expect(standby.approvals.get(asked.id)?.state).toBe('rejected');
  });

  it('an unreadable or unwritable store leaves approvals in memory, is retried, and loses nothing', async () => {
    const store = new MemoryList<StoredApproval>();
    // The last leader's request for another deployment.
    const earlier = (await setup(store).approvals.admit({ ...ask, name: 'api' })).approval!;
    store.failLoads = 1;
    store.failSaves = 1;
    const { approvals } = setup(store);
    await approvals.ready();
    const asked = (await approvals.admit(ask)).approval!;
    expect(asked.state).toBe('pending');
    expect(store.saved.map((r) => r.id)).toEqual([earlier.id]);
    // The next change is written beside what the store held (it was never read); then read.
    await approvals.decide(asked.id, true, 'alice', 'api');
    expect(store.saved.map((r) => [r.id, r.state])).toEqual([
      [earlier.id, 'pending'],
      [asked.id, 'approved'],
    ]);
    await approvals.ready();
    expect(approvals.get(earlier.id)?.state).toBe('pending');
  });
});

describe('parseApprovals', () => {
  const good = {
    id: 'web-1',
    namespace: 'prod',
    name: 'web',
    action: 'rollback',
    episodeStartedAt: 0,
    step: 3,
    attempt: 1,
    risk: 0.9,
    high: 0.8,
    reason: 'r',
    requestedAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-01-01T00:15:00Z',
    lastAskedAt: 0,
    state: 'pending',
  };
  const where = 'ConfigMap default/aiops-healer-approvals key approvals.json';

  it('reads what the healer wrote, and nothing from an absent key', () => {
    expect(parseApprovals(JSON.stringify([good]), where)).toEqual([good]);
    expect(parseApprovals(undefined, where)).toEqual([]);
  });

  it.each([
    ['not JSON', '{', /: not JSON$/],
    ['not an array', '{}', /must be a JSON array/],
    ['no id', [{ ...good, id: '' }], /\[0\]\.id: required, a string/],
    ['a bad time', [{ ...good, expiresAt: 'soon' }], /\[0\]\.expiresAt: must be an ISO 8601 time/],
    ['a bad state', [good, { ...good, state: 'maybe' }], /\[1\]\.state: must be one of pending/],
    ['no step', [{ ...good, step: '3' }], /\[0\]\.step: required, a number/],
    ['a page', [{ ...good, action: 'page' }], /\[0\]\.action: a page is never gated/],
    ['a bad subject', [{ ...good, subject: { name: 'web' } }], /\[0\]\.subject: must be an object/],
  ])('a hand-edited list is refused, naming the entry and field: %s', (_n, body, error) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    expect(() => parseApprovals(text, where)).toThrow(error);
  });
});
