import { describe, expect, it } from '@jest/globals';
import { MonotoneMlp, type MlpWeights } from './monotoneMlp.js';
import { Rng } from '../rng.js';
import { referenceAttribution, referenceLogit } from './referenceMlp.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function randomNet(rng: Rng, inSize = 5, hidden = 8): MlpWeights {
  return {
    inSize,
    hidden,
    w1: Float64Array.from({ length: inSize * hidden }, () => rng.normal()),
    b1: Float64Array.from({ length: hidden }, () => rng.normal() * 0.5),
    w2: Float64Array.from({ length: hidden }, () => rng.normal()),
    b2: 0.2,
  };
}

/** Integrated gradients of σ(a·logit + b) by brute force: many midpoints, finite differences. */
function bruteForce(
  m: MonotoneMlp,
  z: Float64Array,
  zr: Float64Array,
  a: number,
  b: number,
): Float64Array {
  const n = z.length;
  const out = new Float64Array(n);
  const x = new Float64Array(n);
  const steps = 4000;
  const eps = 1e-6;
  for (let s = 0; s < steps; s++) {
    const al = (s + 0.5) / steps;
    for (let i = 0; i < n; i++) x[i] = zr[i]! + al * (z[i]! - zr[i]!);
    const f0 = sigmoid(a * m.logit(x) + b);
    for (let i = 0; i < n; i++) {
      const keep = x[i]!;
      x[i] = keep + eps;
      out[i] = out[i]! + ((sigmoid(a * m.logit(x) + b) - f0) / eps) * ((z[i]! - zr[i]!) / steps);
      x[i] = keep;
    }
  }
  return out;
}

describe('MonotoneMlp', () => {
  it('computes exact integrated gradients: equal to brute force, summing to the risk difference', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const m = new MonotoneMlp(randomNet(rng));
      const z = Float64Array.from({ length: 5 }, () => rng.uniform(-3, 3));
      const zr = Float64Array.from({ length: 5 }, () => rng.uniform(-3, 3));
      const out = new Float64Array(5);
      const logit = m.attribute(z, zr, 1.3, -0.2, out);
      expect(logit).toBeCloseTo(m.logit(z), 12);
      const delta = sigmoid(1.3 * logit - 0.2) - sigmoid(1.3 * m.lastRefLogit - 0.2);
      expect(out.reduce((s, x) => s + x, 0)).toBeCloseTo(delta, 12);
      const brute = bruteForce(m, z, zr, 1.3, -0.2);
      out.forEach((x, i) => expect(Math.abs(x - brute[i]!)).toBeLessThan(1e-3));
    }
  });

  it.each([
    ['19 inputs, 32 units (the served shape)', 19, 32],
    ["odd sizes (the blocked loops' remainders)", 7, 5],
    ['one input, one unit', 1, 1],
  ])('agrees with the plain reference implementation within 1e-12: %s', (_name, inSize, hidden) => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 200; trial++) {
      const w = randomNet(rng, inSize, hidden);
      const m = new MonotoneMlp(w);
      const point = (): Float64Array =>
        Float64Array.from({ length: inSize }, () =>
          rng.chance(0.2) ? 0 : rng.chance(0.1) ? 4 : rng.uniform(-4, 4),
        );
      const z = point();
      // Edge cases among the references: the point itself, zero, and a few inputs unchanged.
      const zr =
        trial % 10 === 0
          ? Float64Array.from(z)
          : trial % 10 === 1
            ? new Float64Array(inSize)
            : point();
      if (trial % 10 === 2) zr.set(z.subarray(0, Math.ceil(inSize / 2)));
      const out = new Float64Array(inSize);
      const logit = m.attribute(z, zr, 1.7, -0.4, out);
      const ref = referenceAttribution(w, Array.from(z), Array.from(zr), 1.7, -0.4);
      expect(Math.abs(logit - ref.logit)).toBeLessThan(1e-12);
      expect(Math.abs(m.lastRefLogit - ref.refLogit)).toBeLessThan(1e-12);
      expect(Math.abs(m.logit(z) - referenceLogit(w, Array.from(z)))).toBeLessThan(1e-12);
      ref.attributions.forEach((x, i) =>
        expect(Math.abs((out[i] as number) - x)).toBeLessThan(1e-12),
      );
      for (let i = 0; i < inSize; i++) if (z[i] === zr[i]) expect(out[i]).toBe(0);
    }
  });

  it('gives every call the numbers of a fresh network, references repeated or not (the reference risk kept between calls)', () => {
    const rng = new Rng(23);
    const w = randomNet(rng, 7, 12);
    const m = new MonotoneMlp(w);
    const point = (): Float64Array => Float64Array.from({ length: 7 }, () => rng.uniform(-3, 3));
    const refs = [new Float64Array(7), point(), point()];
    const out = new Float64Array(7);
    const fresh = new Float64Array(7);
    for (let call = 0; call < 300; call++) {
      // Runs of one reference (as a batch without baselines), then another.
      const zr = refs[Math.floor(call / 7) % refs.length]!;
      const z = point();
      const logit = m.attribute(z, zr, 1.3, -0.2, out);
      const once = new MonotoneMlp(w);
      expect(once.attribute(z, zr, 1.3, -0.2, fresh)).toBe(logit);
      expect(m.lastRefRisk).toBe(once.lastRefRisk);
      expect(m.lastRefRisk).toBe(sigmoid(1.3 * m.lastRefLogit - 0.2));
      expect(m.lastRisk).toBe(once.lastRisk);
      expect(Array.from(out)).toEqual(Array.from(fresh));
    }
  });

  it('attributes nothing to an input that did not change, and nothing at all from a point to itself', () => {
    const m = new MonotoneMlp(randomNet(new Rng(2)));
    const z = Float64Array.from([1, -2, 0.5, 3, 0]);
    const zr = Float64Array.from([1, 0, 0, 0, 0]);
    const out = new Float64Array(5);
    m.attribute(z, zr, 1, 0, out);
    expect(out[0]).toBe(0);
    m.attribute(z, z, 1, 0, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0]);
  });

  it('refuses weights that break monotonicity for an input marked monotone', () => {
    const w = randomNet(new Rng(3), 2, 2);
    w.w1.set([1, -1, 0.5, 0.5]);
    w.w2.set([1, 1]);
    const m = new MonotoneMlp(w);
    expect(() => m.assertMonotone([0, 1])).not.toThrow();
    expect(() => m.assertMonotone([1, 0])).toThrow(/input 0 is marked monotone but unit 1/);
  });

  it('refuses weights of the wrong shape or not finite', () => {
    const w = randomNet(new Rng(1));
    expect(() => new MonotoneMlp({ ...w, b1: new Float64Array(3) })).toThrow(/wrong shape/);
    const bad = randomNet(new Rng(1));
    bad.w2[0] = NaN;
    expect(() => new MonotoneMlp(bad)).toThrow(/not finite/);
  });
});
