import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeArtifact, CURRENT_FILE } from '../artifact.js';
import { DEFAULT_GENERATOR } from '../data/simulate.js';
import { csvHeader, csvRow, type formatReplayCsv } from '../replay/csv.js';
import { Predictor } from '../predictor.js';
import { CRASH_LOOP_EXAMPLE, FEATURE_NAMES, ORIGINAL_HEALTHY_EXAMPLE } from '../schema.js';
import { main as trainCli, maxWeightDifference } from '../cli/trainCli.js';
import { fitPlatt, sigmoid } from './calibrate.js';
import { buildArtifact, selectThreshold, type SyntheticSpec } from './pipeline.js';
import type { TrainConfig } from './train.js';

const TINY_DATA: SyntheticSpec = {
  trainSeed: 11,
  validationSeed: 12,
  runsPerScenario: 1,
  validationRunsPerScenario: 1,
  augmentation: {
    imputeFraction: 0.05,
    dropFeatureFraction: 0.15,
    noContextFraction: 0.1,
    breachAugmentFraction: 0.05,
  },
  generator: DEFAULT_GENERATOR,
};
const TINY_CONFIG: TrainConfig = {
  seed: 3,
  hidden: 8,
  epochs: 3,
  batchSize: 128,
  learningRate: 0.01,
  l2: 1e-5,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'model-train-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** A labelled history of `deployments` over `minutes`, with an error burst every 50 minutes. */
function labelledFile(deployments: number, minutes: number): string {
  const rows: (Parameters<typeof formatReplayCsv>[0][number] & { label: 0 | 1 })[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let d = 0; d < deployments; d++) {
      const burst = m % 50 >= 40 && m % 50 < 44 && d % 2 === 0;
      rows.push({
        t: 1_700_000_000 + m * 60,
        namespace: 'prod',
        deployment: `app-${d}`,
        values: {
          restart_count_last_5m: 0,
          cpu_usage_pct: 10 + (m % 7),
          memory_usage_bytes: 1e8,
          ready_replica_ratio: 1,
          unavailable_replicas: 0,
          network_receive_bytes_per_s: 1e4,
          http_5xx_error_rate: burst ? 0.2 : 0.001,
          http_p95_latency_seconds: burst ? 1.5 : 0.1 + 0.01 * (m % 3),
          http_requests_per_s: 20,
        },
        label: (m % 50 >= 35 && m % 50 < 44 && d % 2 === 0 ? 1 : 0) as 0 | 1,
      });
    }
  }
  return (
    [csvHeader(FEATURE_NAMES, true), ...rows.map((r) => csvRow(r, FEATURE_NAMES))].join('\n') + '\n'
  );
}

describe('training', () => {
  it('round-trips: train (tiny) → save → load → predict, fast path equal to tfjs, weights monotone', async () => {
    const built = await buildArtifact({
      data: { kind: 'synthetic', spec: TINY_DATA },
      config: TINY_CONFIG,
    });
    built.trained.model.dispose();
    await writeArtifact(path.join(dir, 'tiny'), built);
    const p = await Predictor.load({ dir: path.join(dir, 'tiny'), engine: 'cpu' });
    try {
      expect(p.version).toBe(built.metadata.version);
      expect(p.metadata.architecture.hidden).toEqual([8]);
      const rows = [ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE];
      const fast = p.predict(rows);
      const ref = await p.predictReference(rows);
      fast.forEach((f, i) => expect(Math.abs(f.layers!.model.risk - ref[i]!)).toBeLessThan(1e-5));
      expect(fast[1]!.risk).toBeGreaterThan(fast[0]!.risk);
      expect(built.metadata.training.rows).toBeGreaterThan(500);
      // Loading checked the monotone construction; the metadata records the unit signs.
      expect(p.metadata.architecture.unitSigns.filter((s) => s > 0)).toHaveLength(4);
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

  it('retrains from a labelled history through the train command: time- and deployment-split, versioned', async () => {
    await writeFile(path.join(dir, 'history.csv'), labelledFile(6, 400));
    const out = path.join(dir, 'csv-models');
    const lines: string[] = [];
    const code = await trainCli({ data: path.join(dir, 'history.csv'), out, epochs: '3' }, (l) =>
      lines.push(l),
    );
    expect(code).toBe(0);
    const version = (await readFile(path.join(out, CURRENT_FILE), 'utf8')).trim();
    const metadata = JSON.parse(await readFile(path.join(out, version, 'metadata.json'), 'utf8'));
    expect(metadata.training.source).toBe('csv');
    expect(metadata.training.data.split.heldOutDeployments).toHaveLength(1);
    expect(metadata.metrics.testTimeRows).toBeGreaterThan(0);
    expect(metadata.metrics.testGroupRows).toBe(400);
    expect(lines.join('\n')).toMatch(/testTime: \d+ rows .* ROC-AUC/);
    // A candidate is written beside it without changing what is served — here from the same
    // history with another tool's extra column, left out with a note.
    const withPod = labelledFile(6, 400).replace(/\n/g, ',web-1\n').replace(',web-1\n', ',pod\n');
    await writeFile(path.join(dir, 'history-pod.csv'), withPod);
    const code2 = await trainCli(
      { data: path.join(dir, 'history-pod.csv'), out, epochs: '2', candidate: true },
      (l) => lines.push(l),
    );
    expect(code2).toBe(0);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /history-pod\.csv: note: ignored 1 column that is neither a key column nor a feature name: pod$/,
      ),
    );
    expect((await readFile(path.join(out, CURRENT_FILE), 'utf8')).trim()).toBe(version);
  });

  it('reports a bad file by line and column, without writing a model', async () => {
    await writeFile(
      path.join(dir, 'bad.csv'),
      'timestamp,namespace,deployment,cpu_usage_pct,label\n2024-01-01T00:00:00Z,prod,web,fast,1\n',
    );
    const lines: string[] = [];
    const code = await trainCli(
      { data: path.join(dir, 'bad.csv'), out: path.join(dir, 'bad-model') },
      (l) => lines.push(l),
    );
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(
      /bad\.csv: line 2, column cpu_usage_pct: "fast" is not a number, nor a missing value/,
    );
    await expect(readFile(path.join(dir, 'bad-model', CURRENT_FILE))).rejects.toThrow();
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
