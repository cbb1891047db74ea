import type { FaultModel } from './types.js';

/** Incoming traffic multiplies; pods saturate unless there are enough of them. */
export const trafficSpike: FaultModel<{ factor: number; durationSec: number }> = {
  kind: 'traffic_spike',
  scope: 'deployment',
  description: 'incoming traffic multiplies; each pod saturates its CPU, latency and errors climb',
  cures: ['scale_up'],
  cureNote:
    'scaling up spreads the load; below saturation (about factor × current replicas) signals recover',
  defaults: { factor: 4, durationSec: 0 },
  effect: (p) => ({ loadMultiplier: p.factor }),
};
