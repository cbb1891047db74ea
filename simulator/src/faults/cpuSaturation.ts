import type { FaultModel } from './types.js';

/** A runaway thread burns CPU regardless of traffic; the container hits its limit and is throttled. */
export const cpuSaturation: FaultModel<{ burn: number; durationSec: number }> = {
  kind: 'cpu_saturation',
  scope: 'pods',
  description:
    'a runaway thread burns `burn` × the CPU limit; the container is throttled, latency and errors climb',
  cures: ['restart'],
  cureNote: 'a rollout restart replaces the spinning processes',
  defaults: { burn: 1.5, durationSec: 0 },
  effect: (p) => ({ cpuBurnFraction: p.burn }),
};
