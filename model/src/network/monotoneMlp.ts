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

export class MonotoneMlp {
  readonly inSize: number;
  readonly hidden: number;
  /** The weights as given (read-only use: tests compare against a plain implementation). */
  readonly weights: Readonly<MlpWeights>;
  private readonly w1: Float64Array;
  /** The same kernel unit-major, w1T[j * inSize + i]: each pre-activation is one dot product. */
  private readonly w1T: Float64Array;
  private readonly b1: Float64Array;
  private readonly w2: Float64Array;
  /**
   * The output bias, in a typed array: read from a plain field, the sums started from it were
   * kept boxed by the compiler (a heap number per added unit, ~3 MB of garbage per 10,000 rows
   * explained); an element of a Float64Array is always read as a double.
   */
  private readonly b2: Float64Array;
  // Scratch, reused per call (the class is not re-entrant, like the Predictor that owns it).
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  private readonly kinks: Float64Array;
  private readonly kinkUnit: Int32Array;
  private readonly acc: Float64Array;
  private readonly onAt: Float64Array;
  private readonly active: Uint8Array;
  private readonly used: Int32Array;
  private readonly moved: Int32Array;
  /** The last reference risk's argument a·logit + b and the risk (`walk`), NaN before any. */
  private readonly refMemo = Float64Array.of(NaN, NaN);

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
    this.weights = w;
    this.inSize = w.inSize;
    this.hidden = w.hidden;
    this.w1 = w.w1;
    this.w1T = new Float64Array(w.w1.length);
    for (let i = 0; i < w.inSize; i++) {
      for (let j = 0; j < w.hidden; j++)
        this.w1T[j * w.inSize + i] = w.w1[i * w.hidden + j] as number;
    }
    this.b1 = w.b1;
    this.w2 = w.w2;
    this.b2 = Float64Array.of(w.b2);
    const h = w.hidden;
    this.p = new Float64Array(h);
    this.q = new Float64Array(h);
    this.kinks = new Float64Array(h);
    this.kinkUnit = new Int32Array(h);
    this.acc = new Float64Array(h);
    this.onAt = new Float64Array(h);
    this.active = new Uint8Array(h);
    this.used = new Int32Array(h);
    this.moved = new Int32Array(w.inSize);
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

  /**
   * Hidden pre-activations of `z` into `p` and of `zr` into `q`, in one pass over the kernel. Each
   * is b1_j + Σ_i z_i·W1[i][j] summed in input order, as a dense layer computes it; four units at
   * a time keep eight independent sums in flight instead of one long chain of dependent adds.
   */
  private preactivations(
    z: ArrayLike<number>,
    p: Float64Array,
    zr: ArrayLike<number>,
    q: Float64Array,
  ): void {
    const { inSize: n, hidden, w1T, b1 } = this;
    let j = 0;
    for (; j + 4 <= hidden; j += 4) {
      const k0 = j * n;
      const k1 = k0 + n;
      const k2 = k1 + n;
      const k3 = k2 + n;
      let s0 = b1[j] as number;
      let s1 = b1[j + 1] as number;
      let s2 = b1[j + 2] as number;
      let s3 = b1[j + 3] as number;
      let t0 = s0;
      let t1 = s1;
      let t2 = s2;
      let t3 = s3;
      for (let i = 0; i < n; i++) {
        const x = z[i] as number;
        const y = zr[i] as number;
        const w0 = w1T[k0 + i] as number;
        const w1 = w1T[k1 + i] as number;
        const w2 = w1T[k2 + i] as number;
        const w3 = w1T[k3 + i] as number;
        s0 += x * w0;
        s1 += x * w1;
        s2 += x * w2;
        s3 += x * w3;
        t0 += y * w0;
        t1 += y * w1;
        t2 += y * w2;
        t3 += y * w3;
      }
      p[j] = s0;
      p[j + 1] = s1;
      p[j + 2] = s2;
      p[j + 3] = s3;
      q[j] = t0;
      q[j + 1] = t1;
      q[j + 2] = t2;
      q[j + 3] = t3;
    }
    for (; j < hidden; j++) {
      const k = j * n;
      let s = b1[j] as number;
      let t = s;
      for (let i = 0; i < n; i++) {
        const w = w1T[k + i] as number;
        s += (z[i] as number) * w;
        t += (zr[i] as number) * w;
      }
      p[j] = s;
      q[j] = t;
    }
  }

  /** The logit from the pre-activations at `pre[at …]`. */
  private outputOf(pre: Float64Array, at: number): number {
    let s = this.b2[0] as number;
    for (let j = 0; j < this.hidden; j++) {
      const a = pre[at + j] as number;
      if (a > 0) s += a * (this.w2[j] as number);
    }
    return s;
  }

  /** The logit of one (normalised) input. */
  logit(z: ArrayLike<number>): number {
    const { inSize: n, hidden, w1T, b1, p } = this;
    // One point: the same sums as `preactivations`, four units at a time.
    let j = 0;
    for (; j + 4 <= hidden; j += 4) {
      const k0 = j * n;
      let s0 = b1[j] as number;
      let s1 = b1[j + 1] as number;
      let s2 = b1[j + 2] as number;
      let s3 = b1[j + 3] as number;
      for (let i = 0; i < n; i++) {
        const x = z[i] as number;
        s0 += x * (w1T[k0 + i] as number);
        s1 += x * (w1T[k0 + n + i] as number);
        s2 += x * (w1T[k0 + 2 * n + i] as number);
        s3 += x * (w1T[k0 + 3 * n + i] as number);
      }
      p[j] = s0;
      p[j + 1] = s1;
      p[j + 2] = s2;
      p[j + 3] = s3;
    }
    for (; j < hidden; j++) {
      let s = b1[j] as number;
      for (let i = 0; i < n; i++) s += (z[i] as number) * (w1T[j * n + i] as number);
      p[j] = s;
    }
    return this.outputOf(p, 0);
  }

  /** The logits of `z` and of `zRef` (one pass); the reference's is left in `lastRefLogit`. */
  logitPair(z: ArrayLike<number>, zRef: ArrayLike<number>): number {
    this.preactivations(z, this.p, zRef, this.q);
    this.lastRefLogit = this.outputOf(this.q, 0);
    return this.outputOf(this.p, 0);
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
  attribute(z: Float64Array, zRef: Float64Array, a: number, b: number, out: Float64Array): number {
    this.preactivations(z, this.p, zRef, this.q);
    return this.walk(this.p, 0, this.q, 0, z, 0, zRef, 0, a, b, out);
  }

  /**
   * Hidden pre-activations of a block of points at once (`BlockScorer`): point r's input i at
   * `x[i * stride + r]`, its unit j's pre-activation written to `out[r * hidden + j]` (a point's
   * units side by side, as the path walk reads them), for r < m (rounded up to 4: the caller's
   * arrays hold `stride` ≥ that many points, and the extra ones are computed and ignored). The
   * same sums as `preactivations`, b1_j + Σ_i x_i·W1[i][j] in input order, so bit for bit the
   * same numbers; two units × four points at a time share each weight and point load across
   * eight independent sums.
   */
  preactivationsOfBlock(x: Float64Array, stride: number, m: number, out: Float64Array): void {
    const { inSize: n, hidden, w1T, b1 } = this;
    let j = 0;
    for (; j < hidden; j += 2) {
      // An odd last unit is computed twice (as j and j + 1 = j): the same sums, written twice.
      const j1 = j + 1 < hidden ? j + 1 : j;
      const k0 = j * n;
      const k1 = j1 * n;
      const c0 = b1[j] as number;
      const c1 = b1[j1] as number;
      for (let r = 0; r < m; r += 4) {
        let s0 = c0;
        let s1 = c0;
        let s2 = c0;
        let s3 = c0;
        let t0 = c1;
        let t1 = c1;
        let t2 = c1;
        let t3 = c1;
        for (let i = 0, at = r; i < n; i++, at += stride) {
          const u = w1T[k0 + i] as number;
          const v = w1T[k1 + i] as number;
          const x0 = x[at] as number;
          const x1 = x[at + 1] as number;
          const x2 = x[at + 2] as number;
          const x3 = x[at + 3] as number;
          s0 += x0 * u;
          s1 += x1 * u;
          s2 += x2 * u;
          s3 += x3 * u;
          t0 += x0 * v;
          t1 += x1 * v;
          t2 += x2 * v;
          t3 += x3 * v;
        }
        const o = r * hidden;
        out[o + j] = s0;
        out[o + hidden + j] = s1;
        out[o + 2 * hidden + j] = s2;
        out[o + 3 * hidden + j] = s3;
        out[o + j1] = t0;
        out[o + hidden + j1] = t1;
        out[o + 2 * hidden + j1] = t2;
        out[o + 3 * hidden + j1] = t3;
      }
    }
  }

  /**
   * `attribute` of a point whose pre-activations were computed for a block
   * (`preactivationsOfBlock`): its units' at `p[pAt …]`, its reference's at `q[qAt …]`, its
   * inputs at `z[zAt …]` and the reference's at `zRef[zRefAt …]`. The same walk, read in place,
   * so the same numbers bit for bit.
   */
  attributeFrom(
    p: Float64Array,
    pAt: number,
    q: Float64Array,
    qAt: number,
    z: Float64Array,
    zAt: number,
    zRef: Float64Array,
    zRefAt: number,
    a: number,
    b: number,
    out: Float64Array,
  ): number {
    return this.walk(p, pAt, q, qAt, z, zAt, zRef, zRefAt, a, b, out);
  }

  /** `logitPair` of a point whose pre-activations were computed for a block (see `attributeFrom`). */
  logitPairFrom(p: Float64Array, pAt: number, q: Float64Array, qAt: number): number {
    this.lastRefLogit = this.outputOf(q, qAt);
    return this.outputOf(p, pAt);
  }

  /**
   * The path walk of `attribute` from the pre-activations at `p[pAt …]` and `q[qAt …]`, the
   * point at `z[zAt …]` and its reference at `zRef[zRefAt …]`.
   */
  private walk(
    p: Float64Array,
    pAt: number,
    q: Float64Array,
    qAt: number,
    z: Float64Array,
    zAt: number,
    zRef: Float64Array,
    zRefAt: number,
    a: number,
    b: number,
    out: Float64Array,
  ): number {
    const { inSize, hidden, w1, w2, kinks, kinkUnit, active, used, moved } = this;
    const acc = this.acc;
    const onAt = this.onAt;
    // Both logits (as `outputOf` sums them, in unit order), the units active just after α = 0,
    // the initial slope, and where units switch along the path: one pass over the units.
    let logitX = this.b2[0] as number;
    let logitR = logitX;
    let slope = 0;
    let nk = 0;
    for (let j = 0; j < hidden; j++) {
      const qj = q[qAt + j] as number;
      const pj = p[pAt + j] as number;
      if (pj > 0) logitX += pj * (w2[j] as number);
      if (qj > 0) logitR += qj * (w2[j] as number);
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
    this.lastRefLogit = logitR;
    // The switch points in α order: an insertion sort of the pairs in place (from none to a few
    // dozen; 14 on average in the benchmark's rows).
    for (let k = 1; k < nk; k++) {
      const v = kinks[k] as number;
      const u = kinkUnit[k] as number;
      let m = k - 1;
      while (m >= 0 && (kinks[m] as number) > v) {
        kinks[m + 1] = kinks[m] as number;
        kinkUnit[m + 1] = kinkUnit[m] as number;
        m--;
      }
      kinks[m + 1] = v;
      kinkUnit[m + 1] = u;
    }
    let alpha0 = 0;
    let logit0 = logitR;
    // The reference's risk: the last one's again when its argument is the same number (every
    // row of a batch without baselines shares one reference), without another Math.exp.
    const uR = a * logitR + b;
    const refMemo = this.refMemo;
    let risk0: number;
    if (uR === refMemo[0]) risk0 = refMemo[1] as number;
    else {
      risk0 = 1 / (1 + Math.exp(-uR));
      refMemo[0] = uR;
      refMemo[1] = risk0;
    }
    this.lastRefRisk = risk0;
    let total = 0; // running Σ f over the segments so far
    for (let k = 0; k <= nk; k++) {
      const alpha1 = k < nk ? (kinks[k] as number) : 1;
      const span = alpha1 - alpha0;
      if (span > 0) {
        const logit1 = k < nk ? logit0 + slope * span : logitX;
        // σ written out: a call the compiler does not inline returns its double boxed (a heap
        // number per segment: ~2.5 MB of garbage per 10,000 rows). The same operations.
        const risk1 = 1 / (1 + Math.exp(-(a * logit1 + b)));
        const dl = logit1 - logit0;
        // A flat segment moves no risk, but its inputs can pull both ways: use the local slope.
        total +=
          Math.abs(dl) > 1e-12 ? ((risk1 - risk0) / dl) * span : risk0 * (1 - risk0) * a * span;
        logit0 = logit1;
        risk0 = risk1;
      }
      alpha0 = alpha1;
      if (k < nk) {
        const j = kinkUnit[k] as number;
        const d = (w2[j] as number) * ((p[pAt + j] as number) - (q[qAt + j] as number));
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
    // Units never active on the path add nothing: the last pass runs over the others only.
    let nu = 0;
    for (let j = 0; j < hidden; j++) {
      if (active[j]) acc[j] = (acc[j] as number) + total - (onAt[j] as number);
      const aj = (acc[j] as number) * (w2[j] as number);
      acc[j] = aj;
      if (aj !== 0) used[nu++] = j;
    }
    // out_i = Δz_i·Σ_j W1[i][j]·A_j for the inputs that moved (an unmoved one gets exactly 0 and
    // needs no sum: about half of them in a healer row), four at a time (independent sums, each
    // in unit order).
    let nc = 0;
    for (let i = 0; i < inSize; i++) {
      if ((z[zAt + i] as number) - (zRef[zRefAt + i] as number) === 0) out[i] = 0;
      else moved[nc++] = i;
    }
    let c = 0;
    for (; c + 4 <= nc; c += 4) {
      const i0 = moved[c] as number;
      const i1 = moved[c + 1] as number;
      const i2 = moved[c + 2] as number;
      const i3 = moved[c + 3] as number;
      const r0 = i0 * hidden;
      const r1 = i1 * hidden;
      const r2 = i2 * hidden;
      const r3 = i3 * hidden;
      let g0 = 0;
      let g1 = 0;
      let g2 = 0;
      let g3 = 0;
      for (let u = 0; u < nu; u++) {
        const j = used[u] as number;
        const aj = acc[j] as number;
        g0 += (w1[r0 + j] as number) * aj;
        g1 += (w1[r1 + j] as number) * aj;
        g2 += (w1[r2 + j] as number) * aj;
        g3 += (w1[r3 + j] as number) * aj;
      }
      out[i0] = ((z[zAt + i0] as number) - (zRef[zRefAt + i0] as number)) * g0;
      out[i1] = ((z[zAt + i1] as number) - (zRef[zRefAt + i1] as number)) * g1;
      out[i2] = ((z[zAt + i2] as number) - (zRef[zRefAt + i2] as number)) * g2;
      out[i3] = ((z[zAt + i3] as number) - (zRef[zRefAt + i3] as number)) * g3;
    }
    for (; c < nc; c++) {
      const i = moved[c] as number;
      const row = i * hidden;
      let g = 0;
      for (let u = 0; u < nu; u++) {
        const j = used[u] as number;
        g += (w1[row + j] as number) * (acc[j] as number);
      }
      out[i] = ((z[zAt + i] as number) - (zRef[zRefAt + i] as number)) * g;
    }
    this.lastRisk = risk0;
    return logitX;
  }

  /**
   * The calibrated risks σ(a·logit + b) at z and at the reference of the last `attribute` call:
   * the path walk computes both (its first and last points), so callers need not again.
   */
  lastRisk = NaN;
  lastRefRisk = NaN;

  /** The reference logit of the last `attribute` call. */
  lastRefLogit = NaN;
}
