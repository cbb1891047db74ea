/**
 * The risk network written the plain way — nested loops over number arrays, integrated gradients
 * walked segment by segment with the active units re-read at each segment's midpoint — so that
 * tests can hold the optimised `MonotoneMlp` (fused passes, running totals) to it. Not used to
 * score anything.
 */
import type { MlpWeights } from './monotoneMlp.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The hidden pre-activations at `z`. */
function hiddenOf(w: MlpWeights, z: readonly number[]): number[] {
  const pre: number[] = [];
  for (let j = 0; j < w.hidden; j++) {
    let s = w.b1[j] as number;
    for (let i = 0; i < w.inSize; i++) s += (z[i] as number) * (w.w1[i * w.hidden + j] as number);
    pre.push(s);
  }
  return pre;
}

/** The logit at `z`. */
export function referenceLogit(w: MlpWeights, z: readonly number[]): number {
  return hiddenOf(w, z).reduce((s, h, j) => (h > 0 ? s + h * (w.w2[j] as number) : s), w.b2);
}

/**
 * Exact integrated gradients of σ(a·logit + b) from `zr` to `z`: the path is cut where any hidden
 * unit changes sign; on each piece the gradient is the sum over the units active at its midpoint,
 * and the piece's risk change is shared in proportion to each input's share of its logit change.
 */
export function referenceAttribution(
  w: MlpWeights,
  z: readonly number[],
  zr: readonly number[],
  a: number,
  b: number,
): { logit: number; refLogit: number; attributions: number[] } {
  const dz = z.map((x, i) => x - (zr[i] as number));
  const p = hiddenOf(w, z);
  const q = hiddenOf(w, zr);
  const cuts = [0, 1];
  p.forEach((pj, j) => {
    const qj = q[j] as number;
    if ((qj > 0 && pj < 0) || (qj < 0 && pj > 0)) {
      const alpha = qj / (qj - pj);
      if (alpha > 0 && alpha < 1) cuts.push(alpha);
    }
  });
  cuts.sort((x, y) => x - y);
  const logitAt = (alpha: number): number =>
    p.reduce((s, pj, j) => {
      const h = (q[j] as number) + alpha * (pj - (q[j] as number));
      return h > 0 ? s + h * (w.w2[j] as number) : s;
    }, w.b2);
  const attributions = new Array<number>(w.inSize).fill(0);
  for (let k = 0; k + 1 < cuts.length; k++) {
    const lo = cuts[k] as number;
    const hi = cuts[k + 1] as number;
    if (!(hi > lo)) continue;
    const mid = (lo + hi) / 2;
    const grad = new Array<number>(w.inSize).fill(0);
    for (let j = 0; j < w.hidden; j++) {
      const h = (q[j] as number) + mid * ((p[j] as number) - (q[j] as number));
      if (!(h > 0)) continue;
      for (let i = 0; i < w.inSize; i++) {
        grad[i] = (grad[i] as number) + (w.w2[j] as number) * (w.w1[i * w.hidden + j] as number);
      }
    }
    const l0 = logitAt(lo);
    const l1 = logitAt(hi);
    const r0 = sigmoid(a * l0 + b);
    const dl = l1 - l0;
    const perLogit = Math.abs(dl) > 1e-12 ? (sigmoid(a * l1 + b) - r0) / dl : r0 * (1 - r0) * a;
    for (let i = 0; i < w.inSize; i++) {
      attributions[i] =
        (attributions[i] as number) +
        (grad[i] as number) * (dz[i] as number) * (hi - lo) * perLogit;
    }
  }
  return { logit: referenceLogit(w, z), refLogit: referenceLogit(w, zr), attributions };
}
