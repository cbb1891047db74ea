import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_ARTIFACT_DIR, Predictor, PredictInputError } from './predictor.js';
import { ArtifactError } from './artifact.js';
import { EngineError } from './tf.js';
import {
  CRASH_LOOP_EXAMPLE,
  FEATURES,
  FEATURE_NAMES,
  ORIGINAL_HEALTHY_EXAMPLE,
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
};

/** A random, valid feature vector: log-uniform for wide ranges, uniform otherwise. */
function randomRow(rng: Rng): FeatureInput {
  const row: Partial<Record<FeatureName, number>> = {};
  for (const f of FEATURES) {
    if (!f.required && rng.chance(0.2)) continue; // sometimes omitted: imputed
    const wide = f.max - f.min > 100 && f.min >= 0;
    row[f.name] = wide
      ? Math.min(f.max, rng.logUniform(1e-3, f.max + 1e-3) - 1e-3)
      : rng.uniform(f.min, f.max);
  }
  return row as FeatureInput;
}

describe('Predictor on the committed artifact', () => {
  it('scores the original healthy example low and the crash loop high', () => {
    const [h, c] = predictor.predict([ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE]);
    expect(h!.risk).toBeLessThan(0.1);
    expect(h!.level).toBe('low');
    expect(c!.risk).toBeGreaterThan(0.9);
    expect(c!.level).toBe('critical');
  });

  it('lists omitted optional features as imputed, and nothing when all are sent', () => {
    const [h, full] = predictor.predict([ORIGINAL_HEALTHY_EXAMPLE, healthy]);
    expect(h!.imputed.sort()).toEqual(
      FEATURES.filter((f) => !f.required)
        .map((f) => f.name)
        .sort(),
    );
    expect(full!.imputed).toEqual([]);
    expect(full!.threshold).toBe(predictor.threshold);
    expect(full!.model.version).toBe(predictor.version);
  });

  it('explains with every feature once, sorted by |contribution|, summing to risk − baseline', () => {
    const [p] = predictor.predict([CRASH_LOOP_EXAMPLE]);
    const e = p!.explanation;
    expect(e.map((c) => c.feature).sort()).toEqual([...FEATURE_NAMES].sort());
    for (let i = 1; i < e.length; i++) {
      expect(Math.abs(e[i - 1]!.contribution)).toBeGreaterThanOrEqual(Math.abs(e[i]!.contribution));
    }
    const sum = e.reduce((a, c) => a + c.contribution, 0);
    expect(sum).toBeCloseTo(p!.risk - predictor.baseline, 9);
  });

  it.each<[string, Partial<FeatureInput>, readonly FeatureName[]]>([
    [
      'crash loop',
      { restart_count_last_5m: 8, ready_replica_ratio: 0.33, unavailable_replicas: 2 },
      [
        'restart_count_last_5m',
        'ready_replica_ratio',
        'unavailable_replicas',
        'http_5xx_error_rate',
      ],
    ],
    ['error burst', { http_5xx_error_rate: 0.4 }, ['http_5xx_error_rate']],
    ['latency regression', { http_p95_latency_seconds: 2.5 }, ['http_p95_latency_seconds']],
    [
      'memory leak near OOM',
      { memory_limit_ratio: 0.96, memory_growth_ratio_per_min: 0.08 },
      ['memory_limit_ratio', 'memory_growth_ratio_per_min'],
    ],
    [
      'node loss',
      { ready_replica_ratio: 0.4, unavailable_replicas: 3 },
      ['ready_replica_ratio', 'unavailable_replicas'],
    ],
  ])('%s: the driving feature ranks first', (_name, change, drivers) => {
    const [p] = predictor.predict([{ ...healthy, ...change }]);
    expect(p!.risk).toBeGreaterThan(0.5);
    expect(drivers).toContain(p!.explanation[0]!.feature);
    expect(p!.explanation[0]!.contribution).toBeGreaterThan(0);
  });

  it('keeps healthy-but-busy low', () => {
    const [p] = predictor.predict([
      {
        ...healthy,
        cpu_usage_pct: 78,
        cpu_throttle_ratio: 0.2,
        http_requests_per_s: 2500,
        network_receive_bytes_per_s: 2500 * 3000,
        http_p95_latency_seconds: 0.25,
      },
    ]);
    expect(p!.risk).toBeLessThan(Math.min(0.3, predictor.threshold));
  });

  it('matches the tfjs reference engine within 1e-5 on thousands of random inputs', async () => {
    const rng = new Rng(7);
    const rows = Array.from({ length: 3000 }, () => randomRow(rng));
    const fast = predictor.predict(rows).map((p) => p.risk);
    const reference = await predictor.predictReference(rows);
    let worst = 0;
    fast.forEach((r, i) => (worst = Math.max(worst, Math.abs(r - reference[i]!))));
    expect(worst).toBeLessThan(1e-5);
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

  it('scores an empty batch as an empty list', async () => {
    expect(predictor.predict([])).toEqual([]);
  });
});

describe('explanation steps', () => {
  it('trades exactness for speed but keeps the risk and the exact sum', async () => {
    const fast = await Predictor.load({ engine: 'cpu', explanationSteps: 1 });
    try {
      const [a] = fast.predict([CRASH_LOOP_EXAMPLE]);
      const [b] = predictor.predict([CRASH_LOOP_EXAMPLE]);
      expect(a!.risk).toBe(b!.risk);
      const sum = a!.explanation.reduce((s, c) => s + c.contribution, 0);
      expect(sum).toBeCloseTo(a!.risk - fast.baseline, 9);
    } finally {
      fast.dispose();
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
      /format other\/9, expected aiops-risk-model\/1/,
    ],
    [
      'a truncated model.json',
      (dir) => writeFile(path.join(dir, 'model.json'), '{"modelTo'),
      /model.json .* is not valid JSON/,
    ],
  ])('rejects %s with an ArtifactError', async (_name, damage, message) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'model-artifact-'));
    try {
      await cp(DEFAULT_ARTIFACT_DIR, dir, { recursive: true });
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
      const rows = [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE, healthy];
      const ref = await wasm.predictReference(rows);
      const fast = wasm.predict(rows).map((p) => p.risk);
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
    await expect(Predictor.load({ explanationSteps: 0 })).rejects.toThrow(
      /explanationSteps must be an integer/,
    );
    await expect(Predictor.load({ dir: '/nonexistent/model' })).rejects.toThrow(
      /cannot read metadata.json/,
    );
  });
});
