import { describe, expect, it } from '@jest/globals';
import { INITIAL_MEMORY, type HealMemory } from '../policy/types.js';
import {
  persistedChanged,
  recordsNothing,
  storesNothing,
  toPersisted,
  type StateExtras,
} from './state.js';

// The memory store skips building and comparing the heal state when nothing is stored and
// nothing is to be stored: the fast path must agree with the full comparison on every row.
const memories: [string, HealMemory][] = [
  ['initial', INITIAL_MEMORY],
  ['healthy with streaks and a last risk', { ...INITIAL_MEMORY, highStreak: 1, lastRisk: 0.4 }],
  ['healthy after an episode (attempts kept)', { ...INITIAL_MEMORY, attempt: 2 }],
  ['healthy with a bad release', { ...INITIAL_MEMORY, badReleases: ['abc'] }],
  ['healthy, empty bad releases', { ...INITIAL_MEMORY, badReleases: [] }],
  ['stabilising', { ...INITIAL_MEMORY, phase: 'stabilising', step: 1, attempt: 1 }],
  ['recovering, attempt 0', { ...INITIAL_MEMORY, phase: 'recovering', step: 1 }],
  ['needs attention', { ...INITIAL_MEMORY, phase: 'needs_attention', step: 3, attempt: 3 }],
];
const extras: [string, StateExtras][] = [
  ['none', {}],
  ['a raised HPA', { hpa: { name: 'web', originalMinReplicas: 2 } }],
  ['added replicas', { scaled: { from: 2, to: 3 } }],
  ['a term only', { term: 4 }],
];

describe('recordsNothing / storesNothing (the memory store fast path)', () => {
  for (const [m, memory] of memories)
    for (const [e, extra] of extras)
      it(`${m}, extras ${e}: same verdict as building and comparing the state`, () => {
        const full = persistedChanged(undefined, toPersisted(memory, extra));
        expect(!recordsNothing(memory, extra)).toBe(full);
      });

  it('storesNothing: absent or trivial stored states only', () => {
    expect(storesNothing(undefined)).toBe(true);
    expect(storesNothing({ phase: 'healthy', step: 0, attempt: 0, lastRisk: 0.2 })).toBe(true);
    expect(storesNothing({ phase: 'healthy', step: 0, attempt: 1 })).toBe(false);
    expect(storesNothing({ phase: 'stabilising', step: 1, attempt: 1 })).toBe(false);
  });
});
