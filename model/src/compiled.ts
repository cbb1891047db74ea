/**
 * The fast path: the loaded network compiled into straight-line JavaScript (one generated function,
 * weights inlined as literals), synchronous and allocation-free, computing the logit and its
 * integrated gradients in one call. It is generated from the weights tfjs loaded, so it computes
 * the same function as the reference engine (float32 weights, float64 arithmetic).
 *
 * Only numbers produced by `Number.prototype.toString` of finite weights enter the generated
 * source, so nothing from outside the artifact can inject code.
 */
export interface DenseWeights {
  inSize: number;
  outSize: number;
  /** Kernel as tfjs stores it: `kernel[i * outSize + o]`. */
  kernel: Float32Array;
  bias: Float32Array;
  relu: boolean;
}

type AttributeFn = (
  z: ArrayLike<number>,
  zBase: ArrayLike<number>,
  steps: number,
  out: Float64Array,
) => number;
type LogitFn = (z: ArrayLike<number>) => number;

function literal(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`weight ${x} is not finite`);
  const s = String(x);
  return x < 0 ? `(${s})` : s;
}

/** `bias + Σ w·input` as source, skipping exact zeros. */
function dot(w: DenseWeights, o: number, inputs: readonly string[]): string {
  let s = literal(w.bias[o] as number);
  for (let i = 0; i < w.inSize; i++) {
    const k = w.kernel[i * w.outSize + o] as number;
    if (k !== 0) s += `+${literal(k)}*${inputs[i]}`;
  }
  return s;
}

function names(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** Source of the forward pass of layers `from`.. given the activations `inputs`; returns the logit name. */
function forwardSource(
  ws: readonly DenseWeights[],
  from: number,
  inputs: readonly string[],
  tag: string,
): [string, string] {
  let src = '';
  let prev = inputs;
  for (let k = from; k < ws.length; k++) {
    const w = ws[k] as DenseWeights;
    const acts = names(`${tag}${k}_`, w.outSize);
    acts.forEach((a, o) => {
      src += `let ${a}=${dot(w, o, prev)};`;
      if (w.relu) src += `if(${a}<0)${a}=0;`;
    });
    prev = acts;
  }
  return [src, prev[0] as string];
}

function generate(
  ws: readonly DenseWeights[],
  baseline: Float64Array,
): { attribute: AttributeFn; logit: LogitFn } {
  const first = ws[0] as DenseWeights;
  const inputs = names('z', first.inSize);
  const readInputs = inputs.map((n, i) => `const ${n}=z[${i}];`).join('');

  const [fwd, out] = forwardSource(ws, 0, inputs, 'x');
  const logitSrc = `${readInputs}${fwd}return ${out};`;

  // Integrated gradients. The path from the baseline is a straight line, so the first layer's
  // pre-activations along it interpolate linearly between their values at the two ends.
  const h = first.outSize;
  const P = names('P', h); // first-layer pre-activation at z
  const Q = names('Q', h); // ... at the baseline
  const G = names('G', h); // accumulated d logit / d first-layer pre-activation
  // The baseline is fixed: its values and first-layer pre-activations become literals.
  const baseInputs = Array.from(baseline, (v) => literal(v));
  let src = readInputs;
  P.forEach((p, o) => (src += `const ${p}=${dot(first, o, inputs)};`));
  Q.forEach((q, o) => {
    let pre = first.bias[o] as number;
    for (let i = 0; i < first.inSize; i++)
      pre += (first.kernel[i * h + o] as number) * (baseline[i] as number);
    src += `const ${q}=${literal(pre)};`;
  });
  const A0 = names('x0_', h);
  A0.forEach((a, o) => (src += `const ${a}=${P[o]}>0?${P[o]}:0;`));
  const [restAtX, logitAtX] = forwardSource(ws, 1, A0, 'x');
  src += restAtX;
  src += G.map((g) => `let ${g}=0;`).join('');
  src += 'for(let s=0;s<steps;s++){const al=(s+0.5)/steps;';
  const A = names('a0_', h);
  A.forEach((a, o) => (src += `let ${a}=${Q[o]}+al*(${P[o]}-${Q[o]});if(${a}<0)${a}=0;`));
  // Forward through the remaining layers, keeping every activation for the backward pass.
  const acts: string[][] = [A];
  for (let k = 1; k < ws.length - 1; k++) {
    const w = ws[k] as DenseWeights;
    const layer = names(`a${k}_`, w.outSize);
    layer.forEach(
      (a, o) => (src += `let ${a}=${dot(w, o, acts[k - 1] as string[])};if(${a}<0)${a}=0;`),
    );
    acts.push(layer);
  }
  // Backward: gradient of the logit w.r.t. each hidden activation, masked by its ReLU.
  const last = ws[ws.length - 1] as DenseWeights;
  let grads = (acts[ws.length - 2] as string[]).map((a, i) => {
    const g = `g${ws.length - 2}_${i}`;
    src += `const ${g}=${a}>0?${literal(last.kernel[i] as number)}:0;`;
    return g;
  });
  for (let k = ws.length - 2; k >= 1; k--) {
    const w = ws[k] as DenseWeights;
    const below = acts[k - 1] as string[];
    grads = below.map((a, i) => {
      const g = `g${k - 1}_${i}`;
      let s = '0';
      for (let o = 0; o < w.outSize; o++) {
        const wk = w.kernel[i * w.outSize + o] as number;
        if (wk !== 0) s += `+${literal(wk)}*${grads[o]}`;
      }
      src += `const ${g}=${a}>0?${s}:0;`;
      return g;
    });
  }
  grads.forEach((g, o) => (src += `${G[o]}+=${g};`));
  src += '}';
  // d pre-activation / d input is the first kernel: one product for the whole path.
  for (let i = 0; i < first.inSize; i++) {
    let s = '0';
    for (let o = 0; o < h; o++) {
      const wk = first.kernel[i * h + o] as number;
      if (wk !== 0) s += `+${literal(wk)}*${G[o]}`;
    }
    src += `out[${i}]=(${inputs[i]}-${baseInputs[i]})*(${s})/steps;`;
  }
  src += `return ${logitAtX};`;
  return {
    attribute: new Function('z', 'zb', 'steps', 'out', src) as AttributeFn,
    logit: new Function('z', logitSrc) as LogitFn,
  };
}

export class CompiledMlp {
  readonly inputSize: number;
  readonly baselineLogit: number;
  private readonly baseline: Float64Array;
  private readonly attributeFn: AttributeFn;
  private readonly logitFn: LogitFn;

  constructor(weights: readonly DenseWeights[], baseline: ArrayLike<number>) {
    if (weights.length < 2)
      throw new RangeError('the compiled path expects at least one hidden layer');
    const last = weights[weights.length - 1] as DenseWeights;
    if (last.outSize !== 1 || last.relu)
      throw new RangeError('the output layer must be a single linear unit');
    if (weights.slice(0, -1).some((w) => !w.relu))
      throw new RangeError('hidden layers must be ReLU');
    weights.forEach((w, k) => {
      if (w.kernel.length !== w.inSize * w.outSize || w.bias.length !== w.outSize) {
        throw new RangeError(`layer ${k}: kernel or bias has the wrong size`);
      }
      if (k > 0 && w.inSize !== (weights[k - 1] as DenseWeights).outSize) {
        throw new RangeError(
          `layer ${k}: input size ${w.inSize} does not match the previous layer`,
        );
      }
    });
    this.inputSize = (weights[0] as DenseWeights).inSize;
    if (baseline.length !== this.inputSize) throw new RangeError('baseline has the wrong length');
    this.baseline = Float64Array.from(baseline);
    const fns = generate(weights, this.baseline);
    this.attributeFn = fns.attribute;
    this.logitFn = fns.logit;
    this.baselineLogit = this.logitFn(this.baseline);
  }

  /** The logit of one normalised input. */
  logit(z: ArrayLike<number>): number {
    return this.logitFn(z);
  }

  /**
   * Integrated gradients of the logit from the baseline to `z` (midpoint rule, `steps` points),
   * written to `attribution` (logit units, one per input); returns the logit at `z`.
   * The attributions sum to logit(z) − logit(baseline) up to the quadrature error.
   */
  attribute(z: ArrayLike<number>, steps: number, attribution: Float64Array): number {
    return this.attributeFn(z, this.baseline, steps, attribution);
  }
}

/** What the input preparation needs to know about each feature, in model input order. */
export interface InputSpec {
  name: string;
  required: boolean;
  default: number;
  kind: 'identity' | 'log1p' | 'signed_log1p';
  scale: number;
  mean: number;
  std: number;
}

/**
 * Reads a row object into raw values and normalised model inputs, imputing omitted optional
 * features (their names are pushed to `imputed`). Calls `fail(index, reason)` for a missing
 * required feature (reason 0) or a non-finite value (reason 1); `fail` must throw.
 */
export type PrepareFn = (
  row: object,
  raw: Float64Array,
  z: Float64Array,
  imputed: string[],
  fail: (index: number, reason: 0 | 1) => never,
) => void;

/**
 * Compiles input preparation (property reads, imputation, transform, z-score, clip) into one
 * straight-line function. It computes exactly what `normaliseInto` does, operation for operation.
 */
export function compilePrepare(specs: readonly InputSpec[], clip: number): PrepareFn {
  let src = '';
  specs.forEach((s, i) => {
    if (!/^[a-z][a-z0-9_]*$/.test(s.name))
      throw new RangeError(`feature name ${JSON.stringify(s.name)} is not a plain identifier`);
    src += `{let v=row.${s.name};`;
    src += s.required
      ? `if(v===undefined)fail(${i},0);`
      : `if(v===undefined){v=${literal(s.default)};imputed.push(${JSON.stringify(s.name)});}`;
    src += `else if(typeof v!=="number"||v-v!==0)fail(${i},1);raw[${i}]=v;`;
    src += `const x=v/${literal(s.scale)};`;
    if (s.kind === 'identity') src += 'const t=x;';
    else if (s.kind === 'log1p') src += 'const t=Math.log1p(Math.max(x,0));';
    else src += 'const t=Math.sign(x)*Math.log1p(Math.abs(x));';
    src += `const q=(t-${literal(s.mean)})/${literal(s.std)};`;
    src += `z[${i}]=q>${literal(clip)}?${literal(clip)}:q<${literal(-clip)}?${literal(-clip)}:q;}`;
  });
  return new Function('row', 'raw', 'z', 'imputed', 'fail', src) as PrepareFn;
}
