import { describe, expect, it } from '@jest/globals';
import { brier, confusion, ece, logLoss, prAuc, rocAuc } from './metrics.js';

describe('classification metrics', () => {
  it.each([
    ['perfect ranking', [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 1],
    ['inverted ranking', [0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1], 0],
    ['all tied', [0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1], 0.5],
    ['one of four pairs wrong', [0.1, 0.6, 0.5, 0.9], [0, 0, 1, 1], 0.75],
  ])('ROC-AUC: %s', (_n, s, l, auc) => {
    expect(rocAuc(s, l)).toBeCloseTo(auc, 10);
  });

  it('ROC-AUC and PR-AUC are NaN without both classes / without positives', () => {
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(rocAuc([], [])).toBeNaN();
    expect(prAuc([0.1, 0.2], [0, 0])).toBeNaN();
  });

  it('PR-AUC (average precision)', () => {
    expect(prAuc([0.9, 0.8, 0.1], [1, 1, 0])).toBeCloseTo(1, 10);
    // Ranked: 1 (p=1), 0, 1 (p=2/3) → AP = 0.5·1 + 0.5·2/3.
    expect(prAuc([0.9, 0.5, 0.1], [1, 0, 1])).toBeCloseTo(0.5 + 1 / 3, 10);
  });

  it('Brier, ECE and log loss', () => {
    expect(brier([1, 0], [1, 0])).toBe(0);
    expect(brier([0.5, 0.5], [1, 0])).toBeCloseTo(0.25, 10);
    expect(brier([], [])).toBeNaN();
    // Bin [0.8, 0.9): confidence 0.8, accuracy 0.5 → ECE 0.3.
    expect(ece([0.8, 0.8], [1, 0])).toBeCloseTo(0.3, 10);
    expect(ece([0.05, 0.95], [0, 1])).toBeCloseTo(0.05, 10);
    expect(logLoss([0.5], [1])).toBeCloseTo(Math.log(2), 10);
    expect(Number.isFinite(logLoss([0], [1]))).toBe(true);
  });

  it('confusion matrix at a threshold (inclusive)', () => {
    const c = confusion([0.2, 0.5, 0.7, 0.4], [0, 0, 1, 1], 0.5);
    expect(c).toMatchObject({
      tp: 1,
      fp: 1,
      tn: 1,
      fn: 1,
      precision: 0.5,
      recall: 0.5,
      falsePositiveRate: 0.5,
    });
    expect(confusion([], [], 0.5).precision).toBeNaN();
  });
});
