import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_ARTIFACT_DIR, Predictor, PredictInputError } from './predictor.js';
import { ArtifactError, CURRENT_FILE } from './artifact.js';
import { EngineError } from './tf.js';
import {
  BASELINE_FEATURES,
  CRASH_LOOP_EXAMPLE,
  FEATURES,
  FEATURE_NAMES,
  LEVEL_CUTS,
  ORIGINAL_HEALTHY_EXAMPLE,
  type BaselineContext,
  type FeatureInput,
  type FeatureName,
} from './schema.js';
import { Rng } from './rng.js';

let predictor: Predictor;

beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
});
afterAll(() => predictor.dispose());

const healthy: FeatureInput = {
  restart_count_last_5m: 0,
  cpu_usage_pct: 25,
  memory_usage_bytes: 300 * 2 ** 20,
  ready_replica_ratio: 1,
  unavailable_replicas: 0,
  network_receive_bytes_per_s: 200_000,
  http_5xx_error_rate: 0.0005,
  http_p95_latency_seconds: 0.08,
  http_requests_per_s: 80,
  memory_limit_ratio: 0.45,
  memory_growth_ratio_per_min: 0,
  cpu_throttle_ratio: 0,
  replicas: 3,
  http_caller_p95_latency_seconds: 0.09,
};

/** The baseline of a deployment whose normal is exactly `row`, with the given relative spread. */
function normalOf(row: FeatureInput, spread = 0.1): BaselineContext {
  const ctx: BaselineContext = {};
  for (const f of BASELINE_FEATURES) {
    const v = row[f] as number;
    ctx[f] = { p10: v * (1 - spread), p50: v, p90: v * (1 + spread), recent: v, slope: 0 };
  }
  return ctx;
}
const withNormal = (row: FeatureInput, change: Partial<FeatureInput> = {}): FeatureInput => ({
  ...row,
  ...change,
  baseline: normalOf(row),
});

/** A random valid row, sometimes with a baseline of random statistics. */
function randomRow(rng: Rng): FeatureInput {
  const row: Partial<Record<FeatureName, number>> = {};
  for (const f of FEATURES) {
    if (!f.required && rng.chance(0.2)) continue;
    const wide = f.max - f.min > 100 && f.min >= 0;
    row[f.name] = wide
      ? Math.min(f.max, rng.logUniform(1e-3, f.max + 1e-3) - 1e-3)
      : rng.uniform(f.min, f.max);
  }
  const out = row as FeatureInput;
  if (rng.chance(0.7)) {
    const ctx: BaselineContext = {};
    for (const f of BASELINE_FEATURES) {
      if (rng.chance(0.3)) continue;
      const spec = FEATURES.find((x) => x.name === f)!;
      const p50 =
        spec.max - spec.min > 100
          ? rng.logUniform(1e-3, Math.min(spec.max, 1e9))
          : rng.uniform(spec.min, spec.max);
      ctx[f] = {
        p10: p50 * rng.uniform(0.3, 1),
        p50,
        p90: p50 * rng.uniform(1, 3),
        slope: rng.normal() * p50 * 0.05,
      };
    }
    out.baseline = ctx;
  }
  return out;
}

describe('Predictor on the committed artifact', () => {
  it('scores the original healthy example low and the crash loop high', () => {
    const [h, c] = predictor.predict([ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE]);
    // Low, and well below the decision threshold (0.40 with risk-mlp-194027ccd84d).
    expect(h!.risk).toBeLessThan(Math.min(LEVEL_CUTS.elevated, predictor.threshold / 2));
    expect(h!.level).toBe('low');
    expect(c!.risk).toBeGreaterThan(0.9);
    expect(c!.level).toBe('critical');
  });

  it('lists omitted optional features as imputed, and nothing when all are sent', () => {
    const [h, full] = predictor.predict([ORIGINAL_HEALTHY_EXAMPLE, healthy]);
    expect([...h!.imputed].sort()).toEqual(
      FEATURES.filter((f) => !f.required)
        .map((f) => f.name)
        .sort(),
    );
    expect(full!.imputed).toEqual([]);
    expect(full!.threshold).toBe(predictor.threshold);
    expect(full!.model.version).toBe(predictor.version);
    expect(full!.layer).toBe('model');
  });

  it('explains with every feature once, sorted by |contribution|, starting from the deployment normal', () => {
    const [p] = predictor.predict([withNormal(healthy, { http_p95_latency_seconds: 0.9 })]);
    const e = p!.explanation;
    expect(e.map((c) => c.feature).sort()).toEqual([...FEATURE_NAMES].sort());
    for (let i = 1; i < e.length; i++) {
      expect(Math.abs(e[i - 1]!.contribution)).toBeGreaterThanOrEqual(Math.abs(e[i]!.contribution));
    }
    const lat = e.find((c) => c.feature === 'http_p95_latency_seconds')!;
    expect(lat.reference).toBe(0.08);
    expect(lat.value).toBe(0.9);
  });

  it('integrated gradients are complete without rescaling: Σ contributions = risk − reference risk (≤ 5 %, in fact to 1e-9)', () => {
    const rng = new Rng(21);
    const rows = Array.from({ length: 2000 }, () => randomRow(rng));
    let worstRelative = 0;
    for (const p of predictor.predict(rows)) {
      const delta = p.layers!.model.risk - p.layers!.model.reference_risk;
      const sum = p.explanation.reduce((a, c) => a + c.contribution, 0);
      expect(Math.abs(sum - delta)).toBeLessThan(1e-9);
      if (Math.abs(delta) > 1e-3)
        worstRelative = Math.max(worstRelative, Math.abs(sum - delta) / Math.abs(delta));
    }
    expect(worstRelative).toBeLessThan(0.05);
  });

  it.each<[string, Partial<FeatureInput>, readonly FeatureName[]]>([
    [
      'crash loop',
      { restart_count_last_5m: 8, ready_replica_ratio: 0.33, unavailable_replicas: 2 },
      ['restart_count_last_5m', 'ready_replica_ratio', 'unavailable_replicas'],
    ],
    ['error burst', { http_5xx_error_rate: 0.4 }, ['http_5xx_error_rate']],
    ['latency regression', { http_p95_latency_seconds: 2.5 }, ['http_p95_latency_seconds']],
    [
      'memory leak near OOM',
      { memory_limit_ratio: 0.9, memory_growth_ratio_per_min: 0.06 },
      ['memory_growth_ratio_per_min', 'memory_limit_ratio'],
    ],
    [
      'node loss',
      { ready_replica_ratio: 0.33, unavailable_replicas: 2 },
      ['ready_replica_ratio', 'unavailable_replicas'],
    ],
    [
      'CPU pinned at its limit',
      { cpu_usage_pct: 100, cpu_throttle_ratio: 0.9 },
      ['cpu_usage_pct', 'cpu_throttle_ratio'],
    ],
  ])('%s against its normal: the driving feature ranks first', (_name, change, drivers) => {
    const [p] = predictor.predict([withNormal(healthy, change)]);
    expect(p!.risk).toBeGreaterThan(0.5);
    expect(drivers).toContain(p!.explanation[0]!.feature);
    expect(p!.explanation[0]!.contribution).toBeGreaterThan(0);
  });

  it('judges a busy service and a JVM near its memory limit against their own normal', () => {
    const busy: FeatureInput = {
      ...healthy,
      cpu_usage_pct: 78,
      cpu_throttle_ratio: 0.05,
      http_requests_per_s: 2500,
      network_receive_bytes_per_s: 2500 * 3000,
      http_p95_latency_seconds: 0.25,
    };
    const jvm: FeatureInput = {
      ...healthy,
      memory_limit_ratio: 0.85,
      memory_usage_bytes: 0.85 * 2 ** 31,
    };
    const [b, j] = predictor.predict([withNormal(busy), withNormal(jvm)]);
    expect(b!.risk).toBeLessThan(0.2);
    expect(j!.risk).toBeLessThan(0.2);
  });

  it('scores a 2-pod and a 200-pod deployment with the same restart rate alike', () => {
    const small = withNormal({ ...healthy, replicas: 2, restart_count_last_5m: 2 });
    const large = withNormal({ ...healthy, replicas: 200, restart_count_last_5m: 200 });
    const [s, l] = predictor.predict([small, large]);
    expect(Math.abs(s!.risk - l!.risk)).toBeLessThan(0.02);
    // Three restarts mean little on 200 pods, a lot on 2.
    const [few2, few200] = predictor.predict([
      withNormal({ ...healthy, replicas: 2, restart_count_last_5m: 3 }),
      withNormal({ ...healthy, replicas: 200, restart_count_last_5m: 3 }),
    ]);
    expect(few2!.risk).toBeGreaterThan(few200!.risk + 0.02);
  });

  it('never lowers the risk as unavailable replicas rise from 5 to 20', () => {
    const rows = [5, 10, 15, 20].map((u) =>
      withNormal({
        ...healthy,
        replicas: 40,
        unavailable_replicas: u,
        ready_replica_ratio: 1 - u / 40,
      }),
    );
    const risks = predictor.predict(rows).map((p) => p.risk);
    for (let i = 1; i < risks.length; i++) expect(risks[i]!).toBeGreaterThanOrEqual(risks[i - 1]!);
  });

  it('is monotone in the harmful direction of 5xx, latency, restarts, unavailable pods and readiness (property)', () => {
    const harmful: [FeatureName, 1 | -1][] = [
      ['http_5xx_error_rate', 1],
      ['http_p95_latency_seconds', 1],
      ['restart_count_last_5m', 1],
      ['unavailable_replicas', 1],
      ['ready_replica_ratio', -1],
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(...harmful),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (seed, [feature, dir], t) => {
          const row = randomRow(new Rng(seed));
          const spec = FEATURES.find((f) => f.name === feature)!;
          const hi = Math.min(
            spec.max,
            feature === 'restart_count_last_5m' || feature === 'unavailable_replicas'
              ? 1000
              : spec.max,
          );
          const a = spec.min + t * (hi - spec.min);
          const b = Math.min(hi, a + (hi - spec.min) * 0.3 + 1e-6);
          const [lo, high] = dir === 1 ? [a, b] : [b, a];
          const [ra, rb] = predictor.predict([
            { ...row, [feature]: lo },
            { ...row, [feature]: high },
          ]);
          return rb!.risk >= ra!.risk - 1e-12;
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });

  it('abstains on inputs outside what it was trained on, with the reason, unless the SLO layer fires', () => {
    // Traffic ten thousand times its normal: nothing like it in training.
    const odd = withNormal(healthy, { http_requests_per_s: 500_000 });
    const [p] = predictor.predict([odd]);
    expect(p!.inconclusive).toMatch(
      /rps_z = .* \(from http_requests_per_s = 5\.00e\+5\) is outside the training range/,
    );
    expect(p!.layers!.model.abstained).toBe(p!.inconclusive);
    const burning = {
      ...odd,
      slo: {
        availability: 0.999,
        windows: {
          '1h': { error_ratio: 0.5, requests: 5000 },
          '5m': { error_ratio: 0.5, requests: 500 },
        },
      },
    };
    const [q] = predictor.predict([burning]);
    expect(q!.inconclusive).toBeUndefined();
    expect(q!.layer).toBe('slo');
    expect(q!.risk).toBe(1);
    // In-distribution rows do not abstain.
    expect(predictor.predict([withNormal(healthy)])[0]!.inconclusive).toBeUndefined();
  });

  it("ORs in the own-normal layer: latency or errors far above the deployment's own baseline set risk 1", () => {
    const [slow, failing, normal, noHistory] = predictor.predict([
      withNormal(healthy, { http_p95_latency_seconds: 0.4 }), // ×5 its normal 80 ms
      withNormal(healthy, { http_5xx_error_rate: 0.05 }), // 5 % against its 0.05 %
      withNormal(healthy, { http_p95_latency_seconds: 0.085 }),
      { ...healthy, http_p95_latency_seconds: 0.4 }, // no baseline: the layer cannot judge
    ]);
    expect(slow!.risk).toBe(1);
    expect(slow!.layer).toBe('own_normal');
    expect(slow!.layers!.own_normal).toMatchObject({
      fired: true,
      signal: 'http_p95_latency_seconds',
    });
    expect(slow!.layers!.own_normal!.reason).toMatch(/p95 0\.400 s is .* above its own normal/);
    expect(failing!.layer).toBe('own_normal');
    expect(failing!.layers!.own_normal!.signal).toBe('http_5xx_error_rate');
    expect(normal!.layers!.own_normal!.fired).toBe(false);
    expect(normal!.layer).toBe('model');
    expect(noHistory!.layers!.own_normal!.reason).toMatch(/no baseline/);
    expect(noHistory!.layer).not.toBe('own_normal');
    // The layer off (as the model-only evaluation runs it): the model's own risk.
    const scorer = predictor.scorer;
    const rule = scorer.ownNormal;
    try {
      scorer.ownNormal = false;
      const [off] = predictor.predict([withNormal(healthy, { http_p95_latency_seconds: 0.4 })]);
      expect(off!.layer).not.toBe('own_normal');
      expect(off!.risk).toBe(off!.layers!.model.risk);
    } finally {
      scorer.ownNormal = rule;
    }
  });

  it('acts on a fast memory leak before the OOM kill, with or without a baseline; a slow leak or a steady JVM is left to the model', () => {
    const leak = { memory_limit_ratio: 0.52, memory_growth_ratio_per_min: 0.45 }; // full in ~1 min
    const [fresh, known, slow, jvm] = predictor.predict([
      { ...healthy, ...leak },
      withNormal(healthy, leak),
      { ...healthy, memory_limit_ratio: 0.4, memory_growth_ratio_per_min: 0.05 },
      { ...healthy, memory_limit_ratio: 0.85, memory_growth_ratio_per_min: 0.02 },
    ]);
    for (const p of [fresh, known]) {
      expect(p!.risk).toBe(1);
      expect(p!.layer).toBe('own_normal');
      expect(p!.layers!.own_normal!.signal).toBe('memory_growth_ratio_per_min');
      expect(p!.layers!.own_normal!.reason).toMatch(/exhausted in 1\.07 min \(≤ 2\)/);
    }
    expect(slow!.layer).toBe('model');
    expect(jvm!.layer).toBe('model');
    expect(jvm!.risk).toBeLessThan(0.8);
  });

  it('ORs in the SLO layer: a fast burn sets risk 1 and names the rule; an idle service needs enough requests', () => {
    const burn = {
      '1h': { error_ratio: 0.03, requests: 10_000 },
      '5m': { error_ratio: 0.05, requests: 900 },
    };
    const [fired, idle] = predictor.predict([
      withNormal(healthy, { slo: { availability: 0.999, windows: burn } }),
      withNormal(healthy, {
        slo: {
          availability: 0.999,
          windows: {
            '1h': { error_ratio: 0.33, requests: 3 },
            '5m': { error_ratio: 0.33, requests: 3 },
          },
        },
      }),
    ]);
    expect(fired!.risk).toBe(1);
    expect(fired!.layer).toBe('slo');
    expect(fired!.layers!.slo).toMatchObject({ fired: true, rule: 'availability_fast_burn' });
    expect(fired!.layers!.slo.reason).toMatch(/30\.0× over 1h and 50\.0× over 5m ≥ 14\.4×/);
    expect(idle!.layers!.slo.fired).toBe(false);
    expect(idle!.layers!.slo.reason).toMatch(/3 requests in 5m < 20: too few to judge/);
  });

  it("reaches the healer's entry on a sustained error storm with no declared objective and no history (the e2e traffic spike)", () => {
    // checkout (3 pods, 1 core each) at 3× its traffic: 120 req/s per pod pins the CPU, and 9 % of
    // requests fail (the simulator's overload errors) — a fresh Prometheus, so no baseline
    // quantiles yet, and no aiops.io/slo-* annotation: what the healer sends.
    const storm: FeatureInput = {
      ...healthy,
      cpu_usage_pct: 100,
      cpu_throttle_ratio: 1,
      memory_limit_ratio: 0.4,
      http_5xx_error_rate: 0.09,
      http_p95_latency_seconds: 0.79,
      http_requests_per_s: 360,
      network_receive_bytes_per_s: 360 * 2048,
    };
    const windows = (ratio5m: number, requests5m: number) => ({
      '5m': { error_ratio: ratio5m, requests: requests5m, p95_seconds: 0.79 },
      '30m': { error_ratio: Math.min(0.07, ratio5m), requests: 360 * 1800 },
      '1h': { error_ratio: 0.012, requests: 360 * 3600 },
    });
    const [failing, gentle, idle, loose] = predictor.predict([
      { ...storm, slo: { windows: windows(0.09, 360 * 300) } },
      { ...storm, http_5xx_error_rate: 0.03, slo: { windows: windows(0.03, 360 * 300) } },
      { ...storm, http_requests_per_s: 0.01, slo: { windows: windows(0.33, 3) } },
      { ...storm, slo: { availability: 0.85, windows: windows(0.09, 360 * 300) } },
    ]);
    // The network alone reads only the absolute signals here and stops short of the entry.
    expect(failing!.layers!.model.risk).toBeLessThan(0.8);
    expect(failing!.layers!.own_normal!.reason).toMatch(/no baseline/);
    expect(failing!.risk).toBe(1);
    expect(failing!.layer).toBe('slo');
    expect(failing!.layers!.slo).toMatchObject({ fired: true, rule: 'error_ceiling' });
    expect(failing!.layers!.slo.reason).toMatch(
      /7\.0 % over 30m and 9\.0 % of 108000 requests over 5m failed: ≥ 5\.0 % error ceiling \(no availability objective declared\)/,
    );
    // Under the ceiling, too few requests, or a declared objective that allows it: the model's.
    for (const p of [gentle, idle, loose]) {
      expect(p!.layers!.slo.fired).toBe(false);
      expect(p!.layer).toBe('model');
    }
    expect(idle!.layers!.slo.reason).toMatch(/3 requests in 5m < 20: too few to judge/);
    expect(loose!.layers!.slo.reason).toMatch(
      /9\.0 % of 108000 requests over 5m failed, < 15\.0 %/,
    );
  });

  it('matches the tfjs reference engine within 1e-5 on thousands of random inputs', async () => {
    const rng = new Rng(7);
    const rows = Array.from({ length: 3000 }, () => randomRow(rng));
    const fast = predictor.predict(rows).map((p) => p.layers!.model.risk);
    const reference = await predictor.predictReference(rows);
    let worst = 0;
    fast.forEach((r, i) => (worst = Math.max(worst, Math.abs(r - reference[i]!))));
    expect(worst).toBeLessThan(1e-5);
  });

  it('explain: k returns the top k contributions of the full explanation; 0 skips the attribution', () => {
    const rng = new Rng(11);
    const rows = Array.from({ length: 200 }, () => randomRow(rng));
    const full = predictor.predict(rows);
    const top3 = predictor.predict(rows, { explain: 3 });
    const none = predictor.predict(rows, { explain: 0 });
    rows.forEach((_, i) => {
      expect(top3[i]!.explanation).toEqual(full[i]!.explanation.slice(0, 3));
      expect(none[i]!.explanation).toEqual([]);
      for (const p of [top3[i]!, none[i]!]) {
        expect(p.risk).toBe(full[i]!.risk);
        expect(p.layers!.model.reference_risk).toBeCloseTo(
          full[i]!.layers!.model.reference_risk,
          12,
        );
        expect(p.inconclusive).toBe(full[i]!.inconclusive);
      }
    });
  });

  it('risk() equals predict() and explains the top feature on demand', () => {
    const rng = new Rng(9);
    const rows = Array.from({ length: 200 }, () => randomRow(rng));
    const full = predictor.predict(rows);
    rows.forEach((r, i) => {
      expect(predictor.risk(r).risk).toBe(full[i]!.risk);
      const top = predictor.topFeatureOfLast();
      const raising = full[i]!.explanation.filter((c) => c.contribution > 0);
      // The own-normal layer names the signal it fired on; otherwise the model's top raiser.
      expect(top).toBe(
        full[i]!.layer === 'own_normal'
          ? full[i]!.layers!.own_normal!.signal
          : raising.length > 0
            ? raising[0]!.feature
            : undefined,
      );
    });
  });

  it("names the callers' latency as the top feature when only the callers saw the delay", () => {
    // A network delay on the service: its own p95 does not move, its callers' goes 5 → 210 ms.
    const row: FeatureInput = {
      ...healthy,
      http_caller_p95_latency_seconds: 0.21,
      baseline: {
        http_caller_p95_latency_seconds: { p10: 0.004, p50: 0.005, p90: 0.006 },
      } as BaselineContext,
    };
    const r = predictor.risk(row);
    expect(r.layer).toBe('own_normal');
    expect(predictor.topFeatureOfLast()).toBe('http_caller_p95_latency_seconds');
    // The next row without it is explained by the model again.
    predictor.risk(healthy);
    expect(predictor.topFeatureOfLast()).not.toBe('http_caller_p95_latency_seconds');
  });

  it('rejects a missing required feature or a non-finite value, naming row and feature', () => {
    const { http_5xx_error_rate: _drop, ...missing } = healthy;
    expect(() => predictor.predict([healthy, missing as FeatureInput])).toThrow(PredictInputError);
    expect(() => predictor.predict([healthy, missing as FeatureInput])).toThrow(
      /row 1: http_5xx_error_rate/,
    );
    expect(() => predictor.predict([{ ...healthy, cpu_usage_pct: NaN }])).toThrow(
      /cpu_usage_pct must be a finite/,
    );
  });

  it('scores an empty batch as an empty list', () => {
    expect(predictor.predict([])).toEqual([]);
  });
});

describe('versioned artifacts', () => {
  it('loads the version CURRENT names from the artifacts root, or a version folder directly', async () => {
    const current = (await readFile(path.join(DEFAULT_ARTIFACT_DIR, CURRENT_FILE), 'utf8')).trim();
    expect(predictor.version).toBe(current);
    expect(predictor.dir).toBe(path.join(DEFAULT_ARTIFACT_DIR, current));
    const direct = await Predictor.load({ dir: predictor.dir, engine: 'cpu' });
    expect(direct.version).toBe(current);
    direct.dispose();
  });

  it.each([
    ['names a folder that is not there', 'risk-mlp-000000000000\n', /cannot read metadata.json/],
    ['holds no version name', '../../etc\n', /names "\.\.\/\.\.\/etc", not a version folder/],
  ])('an artifacts root whose CURRENT %s is an ArtifactError', async (_n, content, message) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'model-root-'));
    try {
      await writeFile(path.join(dir, CURRENT_FILE), content);
      const err = await Predictor.load({ dir, engine: 'cpu' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArtifactError);
      expect((err as Error).message).toMatch(message);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('artifact integrity', () => {
  it.each<[string, (dir: string) => Promise<void>, RegExp]>([
    [
      'weights from another training',
      async (dir) => {
        const w = await readFile(path.join(dir, 'weights.bin'));
        w[0] = (w[0]! + 1) % 256;
        await writeFile(path.join(dir, 'weights.bin'), w);
      },
      /do not match metadata.weightsDigest/,
    ],
    [
      'an unknown metadata format',
      async (dir) => {
        const m = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8'));
        await writeFile(
          path.join(dir, 'metadata.json'),
          JSON.stringify({ ...m, format: 'other/9' }),
        );
      },
      /format other\/9, expected aiops-risk-model\/2/,
    ],
    [
      'a truncated model.json',
      (dir) => writeFile(path.join(dir, 'model.json'), '{"modelTo'),
      /model.json .* is not valid JSON/,
    ],
    [
      'a decreasing calibration (risk would fall as the logit rises)',
      async (dir) => {
        const m = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8'));
        await writeFile(
          path.join(dir, 'metadata.json'),
          JSON.stringify({ ...m, calibration: { ...m.calibration, a: -1 } }),
        );
      },
      /calibration slope a = -1 must be > 0/,
    ],
    [
      'inputs this code does not derive',
      async (dir) => {
        const m = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8'));
        m.inputs[0].name = 'something_else';
        await writeFile(path.join(dir, 'metadata.json'), JSON.stringify(m));
      },
      /trained on other inputs than this code derives/,
    ],
  ])('rejects %s with an ArtifactError', async (_name, damage, message) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'model-artifact-'));
    try {
      await cp(predictor.dir, dir, { recursive: true });
      await damage(dir);
      const err = await Predictor.load({ dir, engine: 'cpu' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArtifactError);
      expect((err as Error).message).toMatch(message);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Predictor engines', () => {
  it('loads on the wasm backend with the same risks', async () => {
    const wasm = await Predictor.load({ engine: 'wasm' });
    try {
      expect(wasm.backendName).toBe('wasm');
      const rows = [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE, withNormal(healthy)];
      const ref = await wasm.predictReference(rows);
      const fast = wasm.predict(rows).map((p) => p.layers!.model.risk);
      ref.forEach((r, i) => expect(Math.abs(r - fast[i]!)).toBeLessThan(1e-5));
    } finally {
      wasm.dispose();
    }
  });

  it('uses tfjs-node only when installed and says so otherwise; names a missing artifact', async () => {
    const node = await Predictor.load({ engine: 'tensorflow' }).catch((err: unknown) => err);
    if (node instanceof Predictor) {
      expect(node.backendName).toBe('tensorflow');
      node.dispose();
    } else {
      expect(node).toBeInstanceOf(EngineError);
      expect((node as Error).message).toMatch(/tfjs-node/);
    }
    await expect(Predictor.load({ engine: 'gpu' as 'cpu' })).rejects.toThrow(/engine must be auto/);
    await expect(Predictor.load({ dir: '/nonexistent/model' })).rejects.toThrow(
      /neither metadata.json nor a CURRENT file/,
    );
  });
});
