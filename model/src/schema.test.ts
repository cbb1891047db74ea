import { describe, expect, it } from '@jest/globals';
import {
  FEATURES,
  FEATURE_NAMES,
  ORIGINAL_HEALTHY_EXAMPLE,
  featureSpec,
  riskLevel,
  LEVEL_CUTS,
} from './schema.js';
import { DEFAULT_FEATURE_QUERIES, renderQuery } from './queries.js';

describe('feature schema', () => {
  it('keeps the original seven features required and in their original order', () => {
    expect(FEATURE_NAMES.slice(0, 7)).toEqual(Object.keys(ORIGINAL_HEALTHY_EXAMPLE));
    expect(FEATURES.slice(0, 7).every((f) => f.required)).toBe(true);
  });

  it('gives every feature a sane range and an in-range default', () => {
    for (const f of FEATURES) {
      expect(f.min).toBeLessThan(f.max);
      expect(f.default).toBeGreaterThanOrEqual(f.min);
      expect(f.default).toBeLessThanOrEqual(f.max);
      expect(f.description.length).toBeGreaterThan(10);
    }
  });

  it('has unique names', () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    expect(featureSpec('nope')).toBeUndefined();
  });

  it.each([
    [0, 'low'],
    [LEVEL_CUTS.elevated - 1e-9, 'low'],
    [LEVEL_CUTS.elevated, 'elevated'],
    [LEVEL_CUTS.high, 'high'],
    [LEVEL_CUTS.critical, 'critical'],
    [1, 'critical'],
  ])('risk %p is level %p', (risk, level) => {
    expect(riskLevel(risk)).toBe(level);
  });
});

describe('default feature queries', () => {
  it('has one template per feature and renders every placeholder', () => {
    expect(Object.keys(DEFAULT_FEATURE_QUERIES).sort()).toEqual([...FEATURE_NAMES].sort());
    for (const t of Object.values(DEFAULT_FEATURE_QUERIES)) {
      const q = renderQuery(t, { namespace: 'dev|prod', deployment: '.+', window: '2m' });
      expect(q).not.toMatch(/\{\{/);
    }
  });
});
