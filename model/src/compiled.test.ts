import { describe, expect, it } from '@jest/globals';
import { CompiledMlp, type DenseWeights } from './compiled.js';
import { Rng } from './rng.js';

function randomLayers(rng: Rng, sizes: number[]): DenseWeights[] {
  return sizes.slice(1).map((outSize, k) => {
    const inSize = sizes[k]!;
    return {
      inSize,
      outSize,
      kernel: Float32Array.from({ length: inSize * outSize }, () => rng.normal() * 0.5),
      bias: Float32Array.from({ length: outSize }, () => rng.normal() * 0.1),
      relu: k < sizes.length - 2,
    };
  });
}

/** The textbook forward pass, for comparison. */
function reference(layers: DenseWeights[], z: number[]): number {
  let x = z;
  for (const l of layers) {
    const y = Array.from({ length: l.outSize }, (_, o) => {
      let s = l.bias[o]!;
      for (let i = 0; i < l.inSize; i++) s += l.kernel[i * l.outSize + o]! * x[i]!;
      return l.relu ? Math.max(0, s) : s;
    });
    x = y;
  }
  return x[0]!;
}

describe('compiled MLP', () => {
  it.each([[[12, 24, 12, 1]], [[5, 3, 1]], [[4, 6, 5, 3, 1]]])(
    'computes the same logit as the textbook loop for %p',
    (sizes) => {
      const rng = new Rng(1);
      const layers = randomLayers(rng, sizes);
      const mlp = new CompiledMlp(layers, new Array(sizes[0]).fill(0));
      for (let t = 0; t < 200; t++) {
        const z = Array.from({ length: sizes[0]! }, () => rng.normal() * 2);
        expect(mlp.logit(z)).toBeCloseTo(reference(layers, z), 9);
        const att = new Float64Array(sizes[0]!);
        expect(mlp.attribute(z, 4, att)).toBeCloseTo(reference(layers, z), 9);
      }
    },
  );

  it('integrated gradients converge to logit(z) − logit(baseline) as steps grow (completeness)', () => {
    const rng = new Rng(2);
    const layers = randomLayers(rng, [12, 24, 12, 1]);
    const base = Array.from({ length: 12 }, () => rng.normal());
    const mlp = new CompiledMlp(layers, base);
    const z = Array.from({ length: 12 }, () => rng.normal() * 2);
    const gap = mlp.logit(z) - mlp.baselineLogit;
    const att = new Float64Array(12);
    mlp.attribute(z, 2000, att);
    expect(att.reduce((a, b) => a + b, 0)).toBeCloseTo(gap, 2);
  });

  it('gives zero attribution to a feature equal to its baseline, and exact attribution for a linear model', () => {
    const layers: DenseWeights[] = [
      {
        inSize: 2,
        outSize: 2,
        kernel: Float32Array.from([1, 0, 0, 1]),
        bias: Float32Array.from([10, 10]),
        relu: true,
      },
      {
        inSize: 2,
        outSize: 1,
        kernel: Float32Array.from([2, -3]),
        bias: Float32Array.from([0]),
        relu: false,
      },
    ];
    const mlp = new CompiledMlp(layers, [0, 0]);
    const att = new Float64Array(2);
    mlp.attribute([1, 0], 3, att);
    expect(att[0]).toBeCloseTo(2, 12);
    expect(Math.abs(att[1]!)).toBe(0);
  });

  it.each<[string, DenseWeights[], RegExp]>([
    [
      'no hidden layer',
      [
        {
          inSize: 2,
          outSize: 1,
          kernel: new Float32Array(2),
          bias: new Float32Array(1),
          relu: false,
        },
      ],
      /hidden layer/,
    ],
    [
      'relu output',
      [
        {
          inSize: 2,
          outSize: 2,
          kernel: new Float32Array(4),
          bias: new Float32Array(2),
          relu: true,
        },
        {
          inSize: 2,
          outSize: 1,
          kernel: new Float32Array(2),
          bias: new Float32Array(1),
          relu: true,
        },
      ],
      /single linear unit/,
    ],
    [
      'size mismatch',
      [
        {
          inSize: 2,
          outSize: 3,
          kernel: new Float32Array(6),
          bias: new Float32Array(3),
          relu: true,
        },
        {
          inSize: 2,
          outSize: 1,
          kernel: new Float32Array(2),
          bias: new Float32Array(1),
          relu: false,
        },
      ],
      /does not match/,
    ],
    [
      'non-finite weight',
      [
        {
          inSize: 1,
          outSize: 1,
          kernel: Float32Array.from([NaN]),
          bias: new Float32Array(1),
          relu: true,
        },
        {
          inSize: 1,
          outSize: 1,
          kernel: new Float32Array(1),
          bias: new Float32Array(1),
          relu: false,
        },
      ],
      /not finite/,
    ],
  ])('rejects %s', (_name, layers, message) => {
    expect(() => new CompiledMlp(layers, new Array(layers[0]!.inSize).fill(0))).toThrow(message);
  });
});
