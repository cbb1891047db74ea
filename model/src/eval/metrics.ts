/**
 * Binary classification metrics on calibrated probabilities. Pure functions over arrays.
 */

/** Area under the ROC curve (Mann–Whitney, ties counted half). NaN when one class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort(
    (p, q) => (scores[p] as number) - (scores[q] as number),
  );
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if ((labels[idx[k] as number] as number) > 0.5) {
        pos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Area under the precision–recall curve (average precision). NaN without positives. */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort(
    (p, q) => (scores[q] as number) - (scores[p] as number),
  );
  let totalPos = 0;
  for (let i = 0; i < n; i++) if ((labels[i] as number) > 0.5) totalPos++;
  if (totalPos === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    for (let k = i; k <= j; k++) {
      if ((labels[idx[k] as number] as number) > 0.5) tp++;
      else fp++;
    }
    const recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

/** Mean squared error of the probabilities. */
export function brier(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < scores.length; i++) s += ((scores[i] as number) - (labels[i] as number)) ** 2;
  return scores.length ? s / scores.length : NaN;
}

/** Expected calibration error over `bins` equal-width bins. */
export function ece(scores: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const acc = new Array<number>(bins).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i] as number;
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]! += 1;
    conf[b]! += p;
    acc[b]! += labels[i] as number;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b]! > 0) e += Math.abs(conf[b]! - acc[b]!);
  }
  return scores.length ? e / scores.length : NaN;
}

export interface Confusion {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  falsePositiveRate: number;
}

export function confusion(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const predicted = (scores[i] as number) >= threshold;
    const actual = (labels[i] as number) > 0.5;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
    else tn++;
  }
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    precision: tp + fp ? tp / (tp + fp) : NaN,
    recall: tp + fn ? tp / (tp + fn) : NaN,
    falsePositiveRate: fp + tn ? fp / (fp + tn) : NaN,
  };
}

export function logLoss(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(Math.max(scores[i] as number, 1e-12), 1 - 1e-12);
    s -= (labels[i] as number) > 0.5 ? Math.log(p) : Math.log(1 - p);
  }
  return scores.length ? s / scores.length : NaN;
}
