import { describe, expect, it } from 'vitest';
import { formatRisk } from './format';

describe('formatRisk', () => {
  it.each([
    [0, '0 %'],
    [0.934, '93 %'],
    [1, '100 %'],
    [null, '—'],
    [Number.NaN, '—'],
  ])('%p → %p', (risk, text) => {
    expect(formatRisk(risk)).toBe(text);
  });
});
