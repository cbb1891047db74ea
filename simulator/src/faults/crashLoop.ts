import type { FaultModel } from './types.js';

/** The container exits soon after starting (bad config read at startup, a panic on boot). */
export const crashLoop: FaultModel<{ durationSec: number }> = {
  kind: 'crash_loop',
  scope: 'pods',
  description: 'containers exit a few seconds after start; kubelet backs off (CrashLoopBackOff)',
  cures: ['restart'],
  cureNote: 'a rollout restart replaces the affected pods; the new pods start clean',
  defaults: { durationSec: 0 },
  effect: () => ({ crash: true }),
};
