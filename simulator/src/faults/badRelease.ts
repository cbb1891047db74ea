import type { FaultModel } from './types.js';

/** A new image version that fails a share of requests and is slower. */
export const badRelease: FaultModel<{
  errorRate: number;
  latencyMultiplier: number;
  durationSec: number;
}> = {
  kind: 'bad_release',
  scope: 'image',
  description: 'rolls out a new image version (a new ReplicaSet) that fails requests and is slower',
  cures: ['rollback'],
  cureNote:
    'only a rollback to a revision with another image helps (`rollout undo --to-revision`); a restart keeps the bad image',
  defaults: { errorRate: 0.25, latencyMultiplier: 2.5, durationSec: 0 },
  effect: (p) => ({ errorRateAdd: p.errorRate, latencyMultiplier: p.latencyMultiplier }),
};
