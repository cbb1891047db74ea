/**
 * Platt scaling: fits `risk = sigmoid(a * logit + b)` on a validation split by Newton's method
 * on the log-loss, so that a risk of 0.8 is right about 80 % of the time.
 */
export interface PlattCalibration {
  method: 'platt';
  a: number;
  b: number;
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function fitPlatt(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  iterations = 100,
): PlattCalibration {
  const n = logits.length;
  if (n === 0 || n !== labels.length)
    throw new RangeError('Platt scaling needs equally long, non-empty logits and labels');
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i] as number;
  // Platt's smoothed targets keep a and b finite on separable data.
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (n - pos + 2);
  let a = 1;
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const z = logits[i] as number;
      const t = (labels[i] as number) > 0.5 ? hi : lo;
      const p = sigmoid(a * z + b);
      const d = p - t;
      const w = p * (1 - p);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return { method: 'platt', a, b };
}
