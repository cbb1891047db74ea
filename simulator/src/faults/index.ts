import { badRelease } from './badRelease.js';
import { cpuSaturation } from './cpuSaturation.js';
import { crashLoop } from './crashLoop.js';
import { errorBurst } from './errorBurst.js';
import { incurable } from './incurable.js';
import { latencyRegression } from './latencyRegression.js';
import { memoryLeak } from './memoryLeak.js';
import { nodeLoss } from './nodeLoss.js';
import { poisonedCache } from './poisonedCache.js';
import { trafficSpike } from './trafficSpike.js';
import type { FaultKind, FaultModel, SignalEffect } from './types.js';

export * from './types.js';

/** Every fault model by kind: pure functions, importable by model/ for training data. */
export const FAULT_MODELS: Record<FaultKind, FaultModel> = {
  crash_loop: crashLoop,
  memory_leak: memoryLeak,
  cpu_saturation: cpuSaturation,
  error_burst: errorBurst,
  latency_regression: latencyRegression,
  bad_release: badRelease,
  poisoned_cache: poisonedCache,
  traffic_spike: trafficSpike,
  node_loss: nodeLoss,
  incurable,
} as Record<FaultKind, FaultModel>;

/** Combines several effects on one pod: multipliers multiply, additions add, flags or. */
export function combineEffects(effects: SignalEffect[]): Required<SignalEffect> {
  const out: Required<SignalEffect> = {
    loadMultiplier: 1,
    cpuDemandMultiplier: 1,
    cpuBurnFraction: 0,
    memoryExtraBytes: 0,
    errorRateAdd: 0,
    latencyMultiplier: 1,
    latencyAddSeconds: 0,
    crash: false,
    notReady: false,
  };
  for (const e of effects) {
    out.loadMultiplier *= e.loadMultiplier ?? 1;
    out.cpuDemandMultiplier *= e.cpuDemandMultiplier ?? 1;
    out.cpuBurnFraction += e.cpuBurnFraction ?? 0;
    out.memoryExtraBytes += e.memoryExtraBytes ?? 0;
    out.errorRateAdd += e.errorRateAdd ?? 0;
    out.latencyMultiplier *= e.latencyMultiplier ?? 1;
    out.latencyAddSeconds += e.latencyAddSeconds ?? 0;
    out.crash ||= e.crash ?? false;
    out.notReady ||= e.notReady ?? false;
  }
  return out;
}
