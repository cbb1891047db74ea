import { describe, expect, it } from '@jest/globals';
import type { Approval, ApprovalState } from '../approval/types.js';
import { evaluateAutonomy } from './evaluate.js';
import { approvalEvidence } from './humanEvidence.js';

const T0 = Date.UTC(2026, 0, 1);
let n = 0;
const request = (state: ApprovalState, action: Approval['action'] = 'rollback'): Approval => {
  const at = T0 + ++n * 60_000;
  return {
    id: `web-${n}`,
    namespace: 'shop',
    name: 'web',
    action,
    episodeStartedAt: at,
    step: 3,
    attempt: 1,
    risk: 0.93,
    high: 0.8,
    reason: 'risk 0.93 ≥ 0.80 for 3/3 cycles',
    requestedAt: new Date(at).toISOString(),
    expiresAt: new Date(at + 900_000).toISOString(),
    lastAskedAt: at,
    state,
    ...(state === 'pending' ? {} : { decidedAt: new Date(at + 30_000).toISOString() }),
  };
};

describe('approvalEvidence', () => {
  it.each<[ApprovalState, boolean | undefined]>([
    ['done', false], // approved, re-checked, carried out: needed
    ['rejected', true], // a person said no: not needed
    ['withdrawn', undefined], // no longer asked for: risk fell, or a silence / fleet hold / budget
    ['expired', undefined], // nobody answered: judges nothing
    ['stale', undefined], // approved but the re-check failed: judges nothing
    ['pending', undefined],
    ['approved', undefined], // not carried out yet
  ])('%s → resolvedByItself %s', (state, resolvedByItself) => {
    const out = approvalEvidence([request(state)]);
    if (resolvedByItself === undefined) expect(out).toEqual([]);
    else
      expect(out).toEqual([
        expect.objectContaining({
          namespace: 'shop',
          name: 'web',
          action: 'rollback',
          riskBefore: 0.93,
          resolvedByItself,
          byHuman: true,
        }),
      ]);
  });

  it('decisions earn a level and say how many a person decided', () => {
    const S = { minEpisodes: 4, approveAt: 0.6, autoAt: 0.9, window: 10 };
    const done = Array.from({ length: 4 }, () => request('done'));
    expect(evaluateAutonomy(approvalEvidence(done), S)).toEqual([
      expect.objectContaining({
        action: 'rollback',
        level: 'auto',
        judged: 4,
        needed: 4,
        byHumans: 4,
        reason: 'precision 100 % ≥ 90 % over 4 (4 decided by a person)',
      }),
    ]);
    const mixed = [...done, request('rejected'), request('rejected')];
    expect(evaluateAutonomy(approvalEvidence(mixed), S)[0]).toMatchObject({
      level: 'approve',
      needed: 4,
      judged: 6,
    });
  });
});
