import type { FaultModel } from './types.js';

/** A node stops reporting: its pods go NotReady and stop serving. */
export const nodeLoss: FaultModel<{ durationSec: number; evictAfterSec: number }> = {
  kind: 'node_loss',
  scope: 'node',
  description:
    "the node running most of the deployment's pods goes NotReady; its pods stop serving",
  cures: ['restart'],
  cureNote:
    'a rollout restart reschedules pods onto healthy nodes; otherwise pods are evicted after evictAfterSec',
  defaults: { durationSec: 0, evictAfterSec: 300 },
  effect: () => ({ notReady: true }),
};
