/**
 * The optimised scoring path (fused network passes, flat ScoredBatch, JSON written without
 * objects) against a straightforward reference built from the same artifact: the plain derivation
 * (`referenceDerive`), plain loops, segment-by-segment integrated gradients, one object per row.
 * Random and edge-case rows; risk, explanations, layers and abstentions must agree within 1e-12.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Predictor } from '../predictor.js';
import {
  FEATURES,
  riskLevel,
  type BASELINE_FEATURES,
  type FeatureInput,
  type FeatureName,
  type Prediction,
} from '../schema.js';
import { INPUT_OWNER, N_FEATURES } from '../features/derive.js';
import { referenceDerive } from '../features/referenceDerive.js';
import { referenceAttribution } from '../network/referenceMlp.js';
import { evaluateSlo } from '../slo/burnRate.js';
import { DEFAULT_OWN_NORMAL, evaluateOwnNormal } from '../ownNormal/ownNormal.js';
import { Rng } from '../rng.js';
import { edgeRows, randomRow } from './testRows.js';
import { JsonBytes } from './jsonBytes.js';

let predictor: Predictor;
beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
});
afterAll(() => predictor.dispose());

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const TOL = 1e-12;

/** One row scored the plain way, from the artifact's metadata and weights. */
function referencePredict(p: Predictor, row: FeatureInput): Prediction {
  const meta = p.metadata;
  const { a, b } = meta.calibration;
  const d = referenceDerive(row);
  const standardise = (x: readonly number[]): number[] =>
    meta.inputs.map((m, i) => {
      const v = ((x[i] as number) - m.mean) / (m.std > 0 ? m.std : 1);
      return Math.max(-meta.clip, Math.min(meta.clip, v));
    });
  const ig = referenceAttribution(p.scorer.mlp.weights, standardise(d.x), standardise(d.ref), a, b);
  const byFeature = new Array<number>(N_FEATURES).fill(0);
  ig.attributions.forEach((x, i) => {
    const o = INPUT_OWNER[i] as number;
    byFeature[o] = (byFeature[o] as number) + x;
  });
  const explanation = FEATURES.map((f, i) => ({
    feature: f.name as FeatureName,
    value: d.raw[i] as number,
    contribution: byFeature[i] as number,
    reference: d.refRaw[i] as number,
  })).sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution));
  const ood = meta.inputs.findIndex((m, i) => {
    const v = d.x[i] as number;
    const slack = meta.ood.margin * (m.hi - m.lo);
    return v < m.lo - slack || (m.monotone === 0 && v > m.hi + slack);
  });
  const slo = evaluateSlo(row.slo);
  const stats = (f: (typeof BASELINE_FEATURES)[number]) => d.stats[f];
  const rawOf = (name: FeatureName): number =>
    d.raw[FEATURES.findIndex((f) => f.name === name)] as number;
  const own = evaluateOwnNormal(
    rawOf('http_p95_latency_seconds'),
    stats('http_p95_latency_seconds'),
    rawOf('http_5xx_error_rate'),
    stats('http_5xx_error_rate'),
    DEFAULT_OWN_NORMAL,
    rawOf('cpu_usage_pct'),
    stats('cpu_usage_pct'),
    rawOf('memory_limit_ratio'),
    rawOf('memory_growth_ratio_per_min'),
    stats('memory_limit_ratio'),
    rawOf('http_caller_p95_latency_seconds'),
    stats('http_caller_p95_latency_seconds'),
  );
  const layer = slo.fired ? 'slo' : own.fired ? 'own_normal' : 'model';
  const modelRisk = sigmoid(a * ig.logit + b);
  const risk = layer === 'model' ? modelRisk : 1;
  return {
    risk,
    level: riskLevel(risk),
    threshold: meta.threshold,
    explanation,
    imputed: d.imputed,
    model: { version: meta.version },
    layer,
    layers: {
      model: {
        risk: modelRisk,
        reference_risk: sigmoid(a * ig.refLogit + b),
        // The reason's wording is the scorer's; the reference only knows which input broke the range.
        abstained: ood < 0 ? null : (meta.inputs[ood]?.name as string),
      },
      slo: { fired: slo.fired, rule: slo.rule, reason: slo.reason },
      own_normal: { fired: own.fired, signal: own.signal, reason: own.reason },
    },
    ...(ood >= 0 && layer === 'model' ? { inconclusive: meta.inputs[ood]?.name as string } : {}),
  };
}

/** Throws, naming the row and the field, where the fast prediction strays from the reference. */
function expectClose(fast: Prediction, ref: Prediction, where: string): void {
  const fail = (what: string, x: unknown, y: unknown): never => {
    throw new Error(`${where} ${what}: ${JSON.stringify(x)} vs reference ${JSON.stringify(y)}`);
  };
  const near = (x: number, y: number, what: string): void => {
    if (!(Math.abs(x - y) <= TOL)) fail(what, x, y);
  };
  const same = (x: unknown, y: unknown, what: string): void => {
    if (JSON.stringify(x) !== JSON.stringify(y)) fail(what, x, y);
  };
  near(fast.risk, ref.risk, 'risk');
  same(fast.level, ref.level, 'level');
  same(fast.layer, ref.layer, 'layer');
  same(fast.imputed, ref.imputed, 'imputed');
  near(fast.layers!.model.risk, ref.layers!.model.risk, 'model risk');
  near(fast.layers!.model.reference_risk, ref.layers!.model.reference_risk, 'reference risk');
  same(fast.layers!.slo, ref.layers!.slo, 'slo layer');
  same(fast.layers!.own_normal, ref.layers!.own_normal, 'own-normal layer');
  const abstained = fast.layers!.model.abstained;
  same(
    abstained === null ? null : abstained.split(' = ')[0],
    ref.layers!.model.abstained,
    'abstained',
  );
  same(fast.inconclusive?.split(' = ')[0], ref.inconclusive, 'inconclusive');
  // Every feature once, with the reference's value, start and contribution; ranked by |c|
  // (features whose |c| differ by less than the tolerance may swap places).
  same(fast.explanation.length, ref.explanation.length, 'explanation length');
  const refByFeature = new Map(ref.explanation.map((c) => [c.feature, c]));
  let previous = Infinity;
  for (const c of fast.explanation) {
    const r = refByFeature.get(c.feature);
    if (r === undefined) return fail('explained feature', c.feature, null);
    same(c.value, r.value, `value of ${c.feature}`);
    same(c.reference, r.reference, `reference of ${c.feature}`);
    near(c.contribution, r.contribution, `contribution of ${c.feature}`);
    if (Math.abs(c.contribution) > previous + TOL) fail('ranking', c.feature, previous);
    previous = Math.abs(c.contribution);
  }
}

/** A random valid row: values anywhere in range (ends included), baselines and SLO windows at times. */
describe('the optimised scoring path against the plain reference', () => {
  const rng = new Rng(2026);
  const rows = [...edgeRows(), ...Array.from({ length: 3000 }, () => randomRow(rng))];

  it('agrees on risk, explanations, layers and abstentions within 1e-12 (random and edge rows)', () => {
    const fast = predictor.predict(rows);
    const seen = { abstained: 0, slo: 0, own_normal: 0, model: 0 };
    rows.forEach((row, r) => {
      const p = fast[r] as Prediction;
      seen[p.layer!]++;
      if (p.layers!.model.abstained !== null) seen.abstained++;
      expectClose(p, referencePredict(predictor, row), `row ${r}`);
    });
    // The rows reach every layer and the guard rail, so each branch was compared.
    for (const n of Object.values(seen)) expect(n).toBeGreaterThan(10);
  });

  it('explains the top k of the same ranking, and skips the attribution at explain 0', () => {
    const all = predictor.predict(rows.slice(0, 500));
    const top3 = predictor.predict(rows.slice(0, 500), { explain: 3 });
    const none = predictor.predict(rows.slice(0, 500), { explain: 0 });
    const differ = all.filter(
      (p, r) =>
        JSON.stringify(top3[r]) !==
          JSON.stringify({ ...p, explanation: p.explanation.slice(0, 3) }) ||
        JSON.stringify(none[r]) !== JSON.stringify({ ...p, explanation: [] }),
    );
    expect(differ).toEqual([]);
  });

  it('writes each scored row as the same JSON text as JSON.stringify of its prediction', () => {
    for (const explain of [undefined, 3, 0]) {
      const batch = predictor.score(rows, { explain });
      const objects = predictor.predict(rows, { explain });
      expect(batch.length).toBe(rows.length);
      const differ = objects.filter(
        (p, r) =>
          batch.json(r) !== JSON.stringify(p) ||
          batch.level(r) !== p.level ||
          batch.inconclusive(r) !== p.inconclusive,
      );
      expect(differ).toEqual([]);
      const out = new JsonBytes(16);
      for (let r = 0; r < batch.length; r++) {
        if (r > 0) out.char(0x2c);
        batch.writeJson(out, r);
      }
      expect(out.bytes().toString('utf8')).toBe(objects.map((p) => JSON.stringify(p)).join(','));
      expect(batch.json(0, ',"elapsed_ms":1.5')).toBe(
        JSON.stringify({ ...objects[0], elapsed_ms: 1.5 }),
      );
    }
  });
});
