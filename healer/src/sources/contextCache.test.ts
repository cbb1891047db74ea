import { describe, expect, it } from '@jest/globals';
import { warmingReason } from './contextCache.js';

describe('warmingReason', () => {
  it.each<[string, number, number, number | undefined, string | undefined]>([
    ['none pending: not warming', 0, 75, 20, undefined],
    ['none pending, no context at all', 0, 0, undefined, undefined],
    [
      'some pending: how many of how many, and the budget',
      45,
      75,
      20,
      'own-normal context not read yet since the healer started: 45 of 75 context statistics pending, 20 read per cycle (prometheus.contextWarmupPerCycle)',
    ],
    [
      'boundary: one pending',
      1,
      75,
      20,
      'own-normal context not read yet since the healer started: 1 of 75 context statistics pending, 20 read per cycle (prometheus.contextWarmupPerCycle)',
    ],
  ])('%s', (_n, pending, total, perCycle, expected) => {
    expect(warmingReason(pending, total, perCycle)).toBe(expected);
  });
});
