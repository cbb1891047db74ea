import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { LogNotifier } from '../notify/log.js';
import { MemoryStatusSink } from '../report/memoryStatus.js';
import { Reporter } from '../report/reporter.js';
import { Approvals } from './approvals.js';
import type { ApprovalAsk } from './types.js';

function setup() {
  let now = Date.UTC(2026, 0, 1);
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
  });
  const reasons = () => sink.events.map((e) => e.reason);
  return { approvals, reasons, tick: (ms: number) => (now += ms) };
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
