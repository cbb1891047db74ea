import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeArtifact } from '../artifact.js';
import { formatTrainingCsv } from '../data/csv.js';
import { generateRuns } from '../data/dataset.js';
import { Predictor } from '../predictor.js';
import { CRASH_LOOP_EXAMPLE, ORIGINAL_HEALTHY_EXAMPLE } from '../schema.js';
import { main as trainCli, maxWeightDifference } from '../cli/trainCli.js';
import { fitPlatt, sigmoid } from './calibrate.js';
import { buildArtifact, selectThreshold, type SyntheticSpec } from './pipeline.js';
import type { TrainConfig } from './train.js';

const TINY_DATA: SyntheticSpec = {
  trainSeed: 11,
  validationSeed: 12,
  runsPerScenario: 1,
  validationRunsPerScenario: 1,
  imputeFraction: 0.2,
  breachAugmentFraction: 0.04,
};
const TINY_CONFIG: TrainConfig = {
  seed: 3,
  hidden: [8, 4],
  epochs: 4,
  batchSize: 128,
  learningRate: 0.01,
  l2: 1e-5,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'model-train-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('training', () => {
  it('round-trips: train (tiny) → save → load → predict, fast path equal to tfjs', async () => {
    const built = await buildArtifact({
      data: { kind: 'synthetic', spec: TINY_DATA },
      config: TINY_CONFIG,
    });
    built.trained.model.dispose();
    await writeArtifact(path.join(dir, 'tiny'), built);
    const p = await Predictor.load({ dir: path.join(dir, 'tiny'), engine: 'cpu' });
    try {
      expect(p.version).toBe(built.metadata.version);
      expect(p.metadata.architecture.hidden).toEqual([8, 4]);
      const rows = [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE];
      const fast = p.predict(rows);
      const ref = await p.predictReference(rows);
      fast.forEach((f, i) => expect(Math.abs(f.risk - ref[i]!)).toBeLessThan(1e-5));
      // Even a tiny model separates the two examples.
      expect(fast[1]!.risk).toBeGreaterThan(fast[0]!.risk);
      expect(built.metadata.training.rows).toBeGreaterThan(500);
      expect(built.metadata.metrics.validationRocAuc).toBeGreaterThan(0.7);
    } finally {
      p.dispose();
    }
  });

  it('is deterministic: the same seed gives the same weights bit for bit', async () => {
    const config = { ...TINY_CONFIG, epochs: 2 };
    const data = { kind: 'synthetic', spec: TINY_DATA } as const;
    const a = await buildArtifact({ data, config });
    const b = await buildArtifact({ data, config });
    const c = await buildArtifact({ data, config: { ...config, seed: 4 } });
    for (const x of [a, b, c]) x.trained.model.dispose();
    expect(a.metadata.weightsDigest).toBe(b.metadata.weightsDigest);
    expect(a.metadata.training.dataDigest).toBe(b.metadata.training.dataDigest);
    expect(c.metadata.weightsDigest).not.toBe(a.metadata.weightsDigest);
  });

  it('trains from a user CSV through the train command', async () => {
    const runs = generateRuns({ seed: 21, variant: 'train', runsPerScenario: 1 });
    const rows = runs.flatMap((r) =>
      r.samples.map((s) => ({ features: s.features, label: s.label })),
    );
    await writeFile(path.join(dir, 'my.csv'), formatTrainingCsv(rows));
    const lines: string[] = [];
    const code = await trainCli(
      { data: path.join(dir, 'my.csv'), out: path.join(dir, 'csv-model'), epochs: '3' },
      (l) => lines.push(l),
    );
    expect(code).toBe(0);
    const metadata = JSON.parse(
      await readFile(path.join(dir, 'csv-model', 'metadata.json'), 'utf8'),
    );
    expect(metadata.training.source).toBe('csv');
    expect(metadata.training.rows + metadata.training.validationRows).toBe(rows.length);
  });

  it('reports a bad CSV by line and field, without writing a model', async () => {
    await writeFile(path.join(dir, 'bad.csv'), 'restart_count_last_5m,label\n0,1\n');
    const lines: string[] = [];
    const code = await trainCli(
      { data: path.join(dir, 'bad.csv'), out: path.join(dir, 'bad-model') },
      (l) => lines.push(l),
    );
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(
      /bad\.csv: line 1, field cpu_usage_pct: required column is missing/,
    );
    await expect(readFile(path.join(dir, 'bad-model', 'metadata.json'))).rejects.toThrow();
  });

  it.each([['0'], ['-1'], ['many']])('rejects --epochs %p', async (epochs) => {
    const lines: string[] = [];
    expect(await trainCli({ epochs }, (l) => lines.push(l))).toBe(2);
    expect(lines[0]).toMatch(/--epochs must be a positive integer/);
  });
});

describe('Platt scaling', () => {
  it('recovers a known calibration', () => {
    const logits: number[] = [];
    const labels: number[] = [];
    // Outcomes drawn deterministically so that P(y=1 | z) = sigmoid(2z − 1).
    for (let i = 0; i < 4000; i++) {
      const z = (i % 200) / 50 - 2;
      logits.push(z);
      labels.push(((i * 7919) % 1000) / 1000 < sigmoid(2 * z - 1) ? 1 : 0);
    }
    const { a, b } = fitPlatt(logits, labels);
    expect(a).toBeCloseTo(2, 0);
    expect(b).toBeCloseTo(-1, 0);
  });

  it('rejects empty or mismatched input', () => {
    expect(() => fitPlatt([], [])).toThrow(RangeError);
    expect(() => fitPlatt([1, 2], [1])).toThrow(RangeError);
  });
});

describe('default threshold', () => {
  it.each<[string, number[], number[], number]>([
    ['separable: the highest threshold with F1 = 1', [0.1, 0.2, 0.9], [0, 0, 1], 0.9],
    ['a low-scored positive pulls it down', [0.1, 0.32, 0.9, 0.05], [0, 1, 1, 0], 0.3],
    ['no positives: nothing to balance, the top of the grid', [0.1, 0.2], [0, 0], 0.95],
  ])('%s', (_name, risks, labels, expected) => {
    expect(selectThreshold(risks, labels)).toBeCloseTo(expected, 10);
  });
});

describe('reproduction check', () => {
  const bytes = (...xs: number[]): Uint8Array => new Uint8Array(Float32Array.from(xs).buffer);
  it.each<[string, Uint8Array, Uint8Array, number]>([
    ['identical', bytes(1, 2, 3), bytes(1, 2, 3), 0],
    ['one weight off', bytes(1, 2, 3), bytes(1, 2.5, 3), 0.5],
    ['different layouts', bytes(1, 2), bytes(1, 2, 3), Infinity],
    ['empty', bytes(), bytes(), 0],
  ])('max |Δweight|: %s', (_name, a, b, expected) => {
    expect(maxWeightDifference(a, b)).toBe(expected);
  });
});
