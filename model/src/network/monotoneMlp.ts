/**
 * The risk network's fast path: one hidden ReLU layer and a linear output (the logit), evaluated
 * with plain typed arrays, and its explanation by **exact** integrated gradients.
 *
 * Monotonicity: every hidden unit has a sign s_j (the sign of its output weight); for an input i
 * marked monotone, W1[i][j]·s_j ≥ 0 for every unit, so ∂logit/∂x_i = Σ_j w2_j·W1[i][j]·[unit j
 * active] ≥ 0 everywhere. Training projects the weights onto this set after every step; `load`
 * refuses weights that break it.
 *
 * Exact integrated gradients: along the straight path from the reference z′ to z, each hidden
 * pre-activation is linear in α, so the network is linear between the α where a unit switches on
 * or off. On each such segment the gradient is constant, and the calibrated risk σ(a·logit + b)
 * changes by a known amount; splitting that change in proportion to each input's share of the
 * logit change gives the exact path integral of ∂risk/∂z_i. The attributions therefore sum to
 * risk(z) − risk(z′) to rounding error, with no rescaling.
 */
export interface MlpWeights {
  inSize: number;
  hidden: number;
  /** Input → hidden kernel, row-major: w1[i * hidden + j]. */
  w1: Float64Array;
  b1: Float64Array;
  /** Hidden → output weights. */
  w2: Float64Array;
  b2: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export class MonotoneMlp {
  readonly inSize: number;
  readonly hidden: number;
  private readonly w1: Float64Array;
  private readonly b1: Float64Array;
  private readonly w2: Float64Array;
  private readonly b2: number;
  // Scratch, reused per call (the class is not re-entrant, like the Predictor that owns it).
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  private readonly kinks: Float64Array;
  private readonly kinkUnit: Int32Array;
  private readonly order: Int32Array;
  private readonly acc: Float64Array;
  private readonly onAt: Float64Array;
  private readonly active: Uint8Array;

  constructor(w: MlpWeights) {
    if (
      w.w1.length !== w.inSize * w.hidden ||
      w.b1.length !== w.hidden ||
      w.w2.length !== w.hidden
    ) {
      throw new RangeError('weights have the wrong shape');
    }
    for (const arr of [w.w1, w.b1, w.w2]) {
      for (const x of arr) if (!Number.isFinite(x)) throw new RangeError('a weight is not finite');
    }
    if (!Number.isFinite(w.b2)) throw new RangeError('the output bias is not finite');
    this.inSize = w.inSize;
    this.hidden = w.hidden;
    this.w1 = w.w1;
    this.b1 = w.b1;
    this.w2 = w.w2;
    this.b2 = w.b2;
    const h = w.hidden;
    this.p = new Float64Array(h);
    this.q = new Float64Array(h);
    this.kinks = new Float64Array(h);
    this.kinkUnit = new Int32Array(h);
    this.order = new Int32Array(h);
    this.acc = new Float64Array(h);
    this.onAt = new Float64Array(h);
    this.active = new Uint8Array(h);
  }

  /**
   * Throws when the weights break monotonicity for an input with `monotone[i] === 1` (tolerance
   * for float32 storage: exact zero or the right sign).
   */
  assertMonotone(monotone: ArrayLike<number>): void {
    const { inSize, hidden, w1, w2 } = this;
    for (let i = 0; i < inSize; i++) {
      if (monotone[i] !== 1) continue;
      for (let j = 0; j < hidden; j++) {
        if ((w1[i * hidden + j] as number) * (w2[j] as number) < 0) {
          throw new RangeError(
            `input ${i} is marked monotone but unit ${j} decreases the logit with it`,
          );
        }
      }
    }
  }

  private preactivations(z: ArrayLike<number>, out: Float64Array): void {
    const { inSize, hidden, w1, b1 } = this;
    for (let j = 0; j < hidden; j++) out[j] = b1[j] as number;
    for (let i = 0; i < inSize; i++) {
      const x = z[i] as number;
      if (x === 0) continue;
      const row = i * hidden;
      for (let j = 0; j < hidden; j++) out[j] = (out[j] as number) + x * (w1[row + j] as number);
    }
  }

  private outputOf(pre: Float64Array): number {
    let s = this.b2;
    for (let j = 0; j < this.hidden; j++) {
      const a = pre[j] as number;
      if (a > 0) s += a * (this.w2[j] as number);
    }
    return s;
  }

  /** The logit of one (normalised) input. */
  logit(z: ArrayLike<number>): number {
    this.preactivations(z, this.p);
    return this.outputOf(this.p);
  }

  /**
   * Exact integrated gradients of risk = σ(a·logit + b) from `zRef` to `z`, written to `out` (one
   * per input, risk units). Returns the logit at `z`; `this.lastRefLogit` holds the reference's.
   *
   * On a segment where the set of active units is fixed, d logit/dα = Σ_active w2_j·(P_j − Q_j)
   * (P, Q: pre-activations at z and z′) and input i receives grad_i·Δz_i·f, with
   * f = (risk change / logit change)·(segment length). So each unit j only needs the sum A_j of f
   * over the segments where it is active — tracked in O(1) per switch with a running total of f —
   * and out_i = Δz_i·Σ_j w2_j·W1[i][j]·A_j at the end: no per-segment pass over the inputs.
   */
  attribute(
    z: ArrayLike<number>,
    zRef: ArrayLike<number>,
    a: number,
    b: number,
    out: Float64Array,
  ): number {
    const { inSize, hidden, w1, w2, p, q, kinks, kinkUnit, order, active } = this;
    const acc = this.acc;
    const onAt = this.onAt;
    this.preactivations(z, p);
    this.preactivations(zRef, q);
    const logitX = this.outputOf(p);
    const logitR = this.outputOf(q);
    this.lastRefLogit = logitR;
    // Units active just after α = 0, the initial slope, and where units switch along the path.
    let slope = 0;
    let nk = 0;
    for (let j = 0; j < hidden; j++) {
      const qj = q[j] as number;
      const pj = p[j] as number;
      const on = qj > 0 || (qj === 0 && pj > 0);
      active[j] = on ? 1 : 0;
      acc[j] = 0;
      onAt[j] = 0;
      if (on) slope += (w2[j] as number) * (pj - qj);
      if ((qj > 0 && pj < 0) || (qj < 0 && pj > 0)) {
        const alpha = qj / (qj - pj);
        if (alpha > 0 && alpha < 1) {
          kinks[nk] = alpha;
          kinkUnit[nk] = j;
          nk++;
        }
      }
    }
    for (let k = 0; k < nk; k++) order[k] = k;
    for (let k = 1; k < nk; k++) {
      const o = order[k] as number;
      const v = kinks[o] as number;
      let m = k - 1;
      while (m >= 0 && (kinks[order[m] as number] as number) > v) {
        order[m + 1] = order[m] as number;
        m--;
      }
      order[m + 1] = o;
    }
    let alpha0 = 0;
    let logit0 = logitR;
    let risk0 = sigmoid(a * logitR + b);
    let total = 0; // running Σ f over the segments so far
    for (let k = 0; k <= nk; k++) {
      const alpha1 = k < nk ? (kinks[order[k] as number] as number) : 1;
      const span = alpha1 - alpha0;
      if (span > 0) {
        const logit1 = k < nk ? logit0 + slope * span : logitX;
        const risk1 = sigmoid(a * logit1 + b);
        const dl = logit1 - logit0;
        // A flat segment moves no risk, but its inputs can pull both ways: use the local slope.
        total +=
          Math.abs(dl) > 1e-12 ? ((risk1 - risk0) / dl) * span : risk0 * (1 - risk0) * a * span;
        logit0 = logit1;
        risk0 = risk1;
      }
      alpha0 = alpha1;
      if (k < nk) {
        const j = kinkUnit[order[k] as number] as number;
        const d = (w2[j] as number) * ((p[j] as number) - (q[j] as number));
        if (active[j]) {
          acc[j] = (acc[j] as number) + total - (onAt[j] as number);
          active[j] = 0;
          slope -= d;
        } else {
          onAt[j] = total;
          active[j] = 1;
          slope += d;
        }
      }
    }
    for (let j = 0; j < hidden; j++) {
      if (active[j]) acc[j] = (acc[j] as number) + total - (onAt[j] as number);
      acc[j] = (acc[j] as number) * (w2[j] as number);
    }
    for (let i = 0; i < inSize; i++) {
      const dz = (z[i] as number) - (zRef[i] as number);
      if (dz === 0) {
        out[i] = 0;
        continue;
      }
      const row = i * hidden;
      let g = 0;
      for (let j = 0; j < hidden; j++) g += (w1[row + j] as number) * (acc[j] as number);
      out[i] = dz * g;
    }
    return logitX;
  }

  /** The reference logit of the last `attribute` call. */
  lastRefLogit = NaN;
}
