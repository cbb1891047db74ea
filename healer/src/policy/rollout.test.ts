import { describe, expect, it } from '@jest/globals';
import { workload } from './fixtures.js';
import { rolloutState } from './rollout.js';
import type { WorkloadView } from './types.js';

const w = (over: Partial<WorkloadView> = {}): WorkloadView =>
  workload({ generation: 7, observedGeneration: 7, revision: 4, release: undefined, ...over });

describe('rolloutState', () => {
  it.each<[string, WorkloadView | undefined, string, string]>([
    ['no view: nothing to wait for', undefined, 'complete', ''],
    ['every pod updated and available', w(), 'complete', ''],
    [
      'spec change not observed yet',
      w({ observedGeneration: 6 }),
      'progressing',
      'has not observed generation 7 yet (observed 6)',
    ],
    [
      '5 of 20 updated, old pods running',
      w({ updated: 5, available: 18, total: 25 }),
      'progressing',
      '5/20 updated, 18/20 available, 20 old pods',
    ],
    [
      'boundary: all updated, one not available',
      w({ available: 19 }),
      'progressing',
      '20/20 updated, 19/20 available',
    ],
    [
      'boundary: all updated and available, one old pod terminating',
      w({ total: 21 }),
      'progressing',
      '1 old pods',
    ],
    [
      'scaled up during the rollout: more desired',
      w({ desired: 21 }),
      'progressing',
      '20/21 updated',
    ],
    [
      'past the progress deadline: failed',
      w({ updated: 4, available: 4, total: 24, deadlineExceeded: true }),
      'failed',
      'rollout exceeded its progress deadline (600 s): 4/20 updated',
    ],
    [
      'deadline condition left from before but complete now',
      w({ deadlineExceeded: true }),
      'complete',
      '',
    ],
    ['scaled to zero', w({ desired: 0, updated: 0, available: 0, total: 0 }), 'complete', ''],
  ])('%s', (_n, view, kind, detail) => {
    const r = rolloutState(view);
    expect(r.kind).toBe(kind);
    if (detail) expect(r.kind !== 'complete' && r.detail).toContain(detail);
  });
});
