import type { FaultModel } from './types.js';

/** A shared cache holds bad entries: errors and slow fallbacks until it is flushed. */
export const poisonedCache: FaultModel<{
  errorRate: number;
  addSeconds: number;
  durationSec: number;
}> = {
  kind: 'poisoned_cache',
  scope: 'cache',
  description: 'the shared cache holds bad entries; reads fail or fall back slowly',
  cures: ['cache_clear'],
  cureNote:
    'only a cache clear helps (POST /cache/clear through pods/proxy, or pods/exec `cache-clear`); the cache outlives restarts',
  defaults: { errorRate: 0.15, addSeconds: 0.3, durationSec: 0 },
  effect: (p) => ({ errorRateAdd: p.errorRate, latencyAddSeconds: p.addSeconds }),
};
