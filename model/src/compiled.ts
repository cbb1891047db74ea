/**
 * The fast path: the loaded network as plain typed-array loops, synchronous and allocation-free,
 * with integrated gradients computed in the same pass. It is built from the weights tfjs loaded,
 * so it computes the same function as the reference engine (float32 weights, float64 sums).
 */
export interface DenseWeights {
  inSize: number;
  outSize: number;
  /** Kernel as tfjs stores it: `kernel[i * outSize + o]`. */
  kernel: Float32Array;
  bias: Float32Array;
  relu: boolean;
}

interface Layer {
  inSize: number;
  outSize: number;
  /** Transposed kernel, `wT[o * inSize + i]`, so the inner loop reads contiguous memory. */
  wT: Float64Array;
  bias: Float64Array;
  relu: boolean;
  /** Activations, and the gradient of the logit w.r.t. them, for the current point. */
  act: Float64Array;
  grad: Float64Array;
}

export class CompiledMlp {
  readonly inputSize: number;
  private readonly layers: Layer[];
  /** First-layer pre-activations at the input and at the baseline: the path is a straight line, so
   *  every point's first-layer pre-activation is a cheap interpolation of these two. */
  private readonly pre1X: Float64Array;
  private readonly pre1Base: Float64Array;
  /** Sum over the path of d logit / d (first-layer pre-activation). */
  private readonly gradPre1: Float64Array;
  private readonly baseline: Float64Array;
  readonly baselineLogit: number;

  constructor(weights: readonly DenseWeights[], baseline: ArrayLike<number>) {
    if (weights.length < 2)
      throw new RangeError('the compiled path expects at least one hidden layer');
    const last = weights[weights.length - 1] as DenseWeights;
    if (last.outSize !== 1 || last.relu)
      throw new RangeError('the output layer must be a single linear unit');
    if (weights.slice(0, -1).some((w) => !w.relu))
      throw new RangeError('hidden layers must be ReLU');
    this.layers = weights.map((w, k) => {
      if (w.kernel.length !== w.inSize * w.outSize || w.bias.length !== w.outSize) {
        throw new RangeError(`layer ${k}: kernel or bias has the wrong size`);
      }
      if (k > 0 && w.inSize !== (weights[k - 1] as DenseWeights).outSize) {
        throw new RangeError(
          `layer ${k}: input size ${w.inSize} does not match the previous layer`,
        );
      }
      const wT = new Float64Array(w.inSize * w.outSize);
      for (let i = 0; i < w.inSize; i++) {
        for (let o = 0; o < w.outSize; o++)
          wT[o * w.inSize + i] = w.kernel[i * w.outSize + o] as number;
      }
      return {
        inSize: w.inSize,
        outSize: w.outSize,
        wT,
        bias: Float64Array.from(w.bias),
        relu: w.relu,
        act: new Float64Array(w.outSize),
        grad: new Float64Array(w.outSize),
      };
    });
    const first = this.layers[0] as Layer;
    this.inputSize = first.inSize;
    if (baseline.length !== this.inputSize) throw new RangeError('baseline has the wrong length');
    this.baseline = Float64Array.from(baseline);
    this.pre1X = new Float64Array(first.outSize);
    this.pre1Base = new Float64Array(first.outSize);
    this.gradPre1 = new Float64Array(first.outSize);
    this.affine(first, this.baseline, this.pre1Base);
    this.baselineLogit = this.logit(this.baseline);
  }

  private affine(l: Layer, input: ArrayLike<number>, out: Float64Array): void {
    const { inSize, outSize, wT, bias } = l;
    for (let o = 0; o < outSize; o++) {
      let s = bias[o] as number;
      const base = o * inSize;
      for (let i = 0; i < inSize; i++) s += (wT[base + i] as number) * (input[i] as number);
      out[o] = s;
    }
  }

  /** Runs layers 1.. from the first layer's activations in `layers[0].act`; returns the logit. */
  private forwardRest(): number {
    const ls = this.layers;
    for (let k = 1; k < ls.length; k++) {
      const l = ls[k] as Layer;
      this.affine(l, (ls[k - 1] as Layer).act, l.act);
      if (l.relu) for (let o = 0; o < l.outSize; o++) if ((l.act[o] as number) < 0) l.act[o] = 0;
    }
    return (ls[ls.length - 1] as Layer).act[0] as number;
  }

  /** The logit of one normalised input. */
  logit(z: ArrayLike<number>): number {
    const first = this.layers[0] as Layer;
    this.affine(first, z, first.act);
    for (let o = 0; o < first.outSize; o++) if ((first.act[o] as number) < 0) first.act[o] = 0;
    return this.forwardRest();
  }

  /**
   * Integrated gradients of the logit from the baseline to `z` (midpoint rule, `steps` points),
   * written to `attribution` (logit units, one per input); returns the logit at `z`.
   * The attributions sum to logit(z) − logit(baseline) up to the quadrature error.
   */
  attribute(z: ArrayLike<number>, steps: number, attribution: Float64Array): number {
    const ls = this.layers;
    const first = ls[0] as Layer;
    const h = first.outSize;
    const { pre1X, pre1Base, gradPre1 } = this;
    this.affine(first, z, pre1X);
    for (let o = 0; o < h; o++) {
      const v = pre1X[o] as number;
      first.act[o] = v > 0 ? v : 0;
    }
    const logit = this.forwardRest();
    gradPre1.fill(0);
    for (let s = 0; s < steps; s++) {
      const alpha = (s + 0.5) / steps;
      for (let o = 0; o < h; o++) {
        const b = pre1Base[o] as number;
        const v = b + alpha * ((pre1X[o] as number) - b);
        first.act[o] = v > 0 ? v : 0;
      }
      this.forwardRest();
      // Backward: d logit / d activation, layer by layer, masked by the ReLUs.
      const out = ls[ls.length - 1] as Layer;
      out.grad[0] = 1;
      for (let k = ls.length - 1; k >= 1; k--) {
        const l = ls[k] as Layer;
        const prev = ls[k - 1] as Layer;
        const { inSize, outSize, wT, grad } = l;
        prev.grad.fill(0);
        for (let o = 0; o < outSize; o++) {
          const g = grad[o] as number;
          if (g === 0) continue;
          const base = o * inSize;
          for (let i = 0; i < inSize; i++)
            prev.grad[i] = (prev.grad[i] as number) + g * (wT[base + i] as number);
        }
        for (let i = 0; i < inSize; i++) if ((prev.act[i] as number) <= 0) prev.grad[i] = 0;
      }
      for (let o = 0; o < h; o++) gradPre1[o] = (gradPre1[o] as number) + (first.grad[o] as number);
    }
    // d pre1 / d input is the first kernel: one product for the whole path.
    const { inSize, wT } = first;
    for (let i = 0; i < inSize; i++) {
      let g = 0;
      for (let o = 0; o < h; o++) g += (wT[o * inSize + i] as number) * (gradPre1[o] as number);
      attribution[i] = ((z[i] as number) - (this.baseline[i] as number)) * (g / steps);
    }
    return logit;
  }
}
