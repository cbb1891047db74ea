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

/** Mean log-loss of `sigmoid(a·z + b)` against Platt's smoothed targets. */
function plattLoss(logits: ArrayLike<number>, targets: Float64Array, a: number, b: number): number {
  let loss = 0;
  for (let i = 0; i < targets.length; i++) {
    const s = a * (logits[i] as number) + b;
    const t = targets[i] as number;
    // log(1 + e^s) − t·s, computed without overflow.
    loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - t * s;
  }
  return loss / targets.length;
}

export function fitPlatt(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  iterations = 100,
): PlattCalibration {
  const n = logits.length;
  if (n === 0 || n !== labels.length) {
    throw new RangeError('Platt scaling needs equally long, non-empty logits and labels');
  }
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i] as number;
  // Platt's smoothed targets keep a and b finite on separable data.
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (n - pos + 2);
  const targets = Float64Array.from({ length: n }, (_, i) =>
    (labels[i] as number) > 0.5 ? hi : lo,
  );
  let a = 1;
  let b = 0;
  let loss = plattLoss(logits, targets, a, b);
  for (let it = 0; it < iterations; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const z = logits[i] as number;
      const p = sigmoid(a * z + b);
      const d = p - (targets[i] as number);
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
    // Damped Newton: halve the step until the loss does not increase.
    let step = 1;
    let next = plattLoss(logits, targets, a - da, b - db);
    while (!(next <= loss) && step > 1e-6) {
      step /= 2;
      next = plattLoss(logits, targets, a - step * da, b - step * db);
    }
    if (!(next <= loss)) break;
    a -= step * da;
    b -= step * db;
    const improvement = loss - next;
    loss = next;
    if (improvement < 1e-12) break;
  }
  return { method: 'platt', a, b };
}
