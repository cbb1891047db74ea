import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Predictor } from '../predictor.js';
import { FEATURE_NAMES, type FeatureName } from '../schema.js';
import { formatReplayCsv, parseReplayCsv } from './csv.js';
import { formatReplayOutput, replay, type RowScorer } from './replay.js';

let predictor: Predictor;
beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
});
afterAll(() => predictor.dispose());

const T0 = 1_714_521_600;
type Rows = Parameters<typeof formatReplayCsv>[0];

/** Minute rows of a steady service, with `change` applied from minute `from` to `to`. */
function series(
  deployment: string,
  minutes: number,
  base: Partial<Record<FeatureName, number>>,
  change: Partial<Record<FeatureName, number>> = {},
  from = Infinity,
  to = Infinity,
): Rows {
  return Array.from({ length: minutes }, (_, m) => ({
    t: T0 + m * 60,
    namespace: 'prod',
    deployment,
    values: {
      ...base,
      // A little noise, as real series have.
      http_p95_latency_seconds:
        (base.http_p95_latency_seconds ?? 0.1) * (1 + 0.05 * Math.sin(m * 1.7)),
      cpu_usage_pct: (base.cpu_usage_pct ?? 20) * (1 + 0.05 * Math.cos(m * 1.3)),
      ...(m >= from && m < to ? change : {}),
    },
  }));
}

const STEADY = {
  restart_count_last_5m: 0,
  ready_replica_ratio: 1,
  unavailable_replicas: 0,
  http_5xx_error_rate: 0.001,
  http_requests_per_s: 50,
  network_receive_bytes_per_s: 1e5,
  memory_usage_bytes: 0.85 * 2 ** 31,
  memory_limit_ratio: 0.85,
  memory_growth_ratio_per_min: 0,
  cpu_throttle_ratio: 0,
  replicas: 3,
  http_p95_latency_seconds: 0.12,
  cpu_usage_pct: 30,
};

/** 100 minutes of `api` with errors and slow answers in minutes 80–89. */
const apiFault = (): Rows =>
  series('api', 100, STEADY, { http_5xx_error_rate: 0.3, http_p95_latency_seconds: 2 }, 80, 90);

describe('replay', () => {
  it('a steady service at 85 % of its memory limit raises no alert over two hours', () => {
    const table = parseReplayCsv(formatReplayCsv(series('jvm', 120, STEADY)));
    const r = replay(table, predictor);
    expect(r.atRisk.reduce((a, b) => a + b, 0)).toBe(0);
    expect(r.episodes).toEqual([]);
    expect(Math.max(...r.risk)).toBeLessThan(0.5);
  });

  it('alerts on a fault with the healer entry rule and reports the episode, one output row per input row in order', () => {
    const rows = [...apiFault(), ...series('web', 100, STEADY)].sort(() => 0); // input order: api first, then web (not time order)
    const table = parseReplayCsv(formatReplayCsv(rows));
    const r = replay(table, predictor);
    const out = [...formatReplayOutput(table, r)].join('').trim().split('\n');
    expect(out[0]).toBe('timestamp,namespace,deployment,risk,at_risk');
    expect(out).toHaveLength(201);
    expect(out[1]).toMatch(/^2024-05-01T00:00:00.000Z,prod,api,0\.\d{4},0$/);
    expect(out[101]).toMatch(/,prod,web,/);
    const api = r.episodes.filter((e) => e.deployment === 'api');
    expect(api).toHaveLength(1);
    expect(api[0]!.start).toBeGreaterThanOrEqual(T0 + 80 * 60);
    expect(api[0]!.start).toBeLessThanOrEqual(T0 + 82 * 60); // 2 rows at a 30 s cadence = 3 cycles
    expect(api[0]!.topFeatures[0]).toMatch(/http_5xx_error_rate|http_p95_latency_seconds/);
    expect(r.episodes.filter((e) => e.deployment === 'web')).toEqual([]);
    // One cycle per row: entering takes 3 rows.
    const strict = replay(table, predictor, { cycleSeconds: 0 });
    expect(strict.episodes.find((e) => e.deployment === 'api')!.start).toBeGreaterThan(
      api[0]!.start,
    );
  });

  it("a sustained error storm on a fresh deployment with no declared objective enters the healer's at-risk state (e2e's traffic spike)", () => {
    // 30-s rows (one healer cycle each): 3 minutes of normal — too little for a baseline — then
    // 300 s at 3× traffic: the CPU pinned, 9 % of requests failing.
    const normal = {
      ...STEADY,
      http_requests_per_s: 90,
      cpu_usage_pct: 31,
      memory_limit_ratio: 0.36,
    };
    const storm = {
      http_requests_per_s: 360,
      cpu_usage_pct: 100,
      cpu_throttle_ratio: 1,
      http_5xx_error_rate: 0.09,
      http_p95_latency_seconds: 0.79,
    };
    const rows: Rows = Array.from({ length: 16 }, (_, i) => ({
      t: T0 + i * 30,
      namespace: 'prod',
      deployment: 'checkout',
      values: { ...normal, ...(i >= 6 ? storm : {}) },
    }));
    const table = parseReplayCsv(formatReplayCsv(rows));
    const r = replay(table, predictor);
    expect(r.episodes).toHaveLength(1);
    const [episode] = r.episodes;
    expect(episode!.layer).toBe('slo');
    expect(episode!.start).toBeGreaterThanOrEqual(T0 + 6 * 30);
    expect(episode!.end).toBe(T0 + 15 * 30); // held to the end of the storm
    // Without the SLO layer the network alone stays under the entry for the whole storm.
    const modelOnly = replay(table, predictor, { sloLayer: false });
    expect(modelOnly.episodes).toEqual([]);
    expect(Math.max(...modelOnly.risk)).toBeLessThan(0.8);
  });

  it('fills a file without required columns at their normal and counts it', () => {
    const rows = series('x', 30, { http_p95_latency_seconds: 0.1, cpu_usage_pct: 10 });
    const table = parseReplayCsv(
      formatReplayCsv(rows, ['http_p95_latency_seconds', 'cpu_usage_pct']),
    );
    const r = replay(table, predictor);
    expect(r.imputedRequired).toBe(30 * 6); // every required feature but cpu
    expect(r.atRisk.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('refuses a bad entry rule', () => {
    const table = parseReplayCsv(formatReplayCsv(series('x', 2, STEADY)));
    expect(() =>
      replay(table, predictor, { rule: { high: 0.5, low: 0.9, enterCycles: 1, exitCycles: 1 } }),
    ).toThrow(/low \(0\.9\) must be ≤ high/);
  });

  it('replays unsorted rows in time order and answers in input order', () => {
    const rows = [...apiFault(), ...series('web', 100, STEADY)];
    const sorted = parseReplayCsv(formatReplayCsv(rows));
    // A fixed shuffle: row i goes to position (i × 77) mod 200.
    const shuffled = rows.map((_, i) => rows[(i * 77) % rows.length]!);
    const table = parseReplayCsv(formatReplayCsv(shuffled));
    const a = replay(sorted, predictor);
    const b = replay(table, predictor);
    shuffled.forEach((_, i) => {
      const j = (i * 77) % rows.length;
      expect(b.risk[i]).toBe(a.risk[j]);
      expect(b.atRisk[i]).toBe(a.atRisk[j]);
    });
    expect(b.episodes).toEqual(a.episodes);
    const out = [...formatReplayOutput(table, b)].join('').split('\n');
    expect(out[1]).toBe(
      `${table.timestampText[0]},prod,${shuffled[0]!.deployment},${b.risk[0]!.toFixed(4)},${b.atRisk[0]}`,
    );
  });

  it("merges rows of one deployment at one time into one observation: cells laid over each other, the later row's value kept", () => {
    const rows = apiFault();
    const whole = parseReplayCsv(formatReplayCsv(rows));
    // Each row written as two: the first half of the features, then the rest (a tool that writes
    // one row per query).
    const half = Math.ceil(FEATURE_NAMES.length / 2);
    const split: Rows = rows.flatMap((r) => [
      {
        ...r,
        values: Object.fromEntries(
          Object.entries(r.values).filter(([k]) => FEATURE_NAMES.indexOf(k as FeatureName) < half),
        ),
      },
      {
        ...r,
        values: Object.fromEntries(
          Object.entries(r.values).filter(([k]) => FEATURE_NAMES.indexOf(k as FeatureName) >= half),
        ),
      },
    ]);
    // The first copy of the first row also carries cpu, with another value: the second copy's wins.
    split[0]!.values.cpu_usage_pct = rows[0]!.values.cpu_usage_pct! + 5;
    split[1]!.values.cpu_usage_pct = rows[0]!.values.cpu_usage_pct!;
    const a = replay(whole, predictor);
    const b = replay(parseReplayCsv(formatReplayCsv(split)), predictor);
    expect(b.repeatedRows).toBe(100);
    expect(b.conflictingCells).toBe(1);
    for (let i = 0; i < 100; i++) {
      expect(b.risk[2 * i]).toBe(a.risk[i]);
      expect(b.risk[2 * i + 1]).toBe(a.risk[i]);
      expect(b.atRisk[2 * i + 1]).toBe(a.atRisk[i]);
    }
    expect(b.episodes.map((e) => ({ ...e, rows: e.rows / 2 }))).toEqual(a.episodes);
    expect(a.repeatedRows).toBe(0);
  });
});

/** Risk 0.95 while cpu_usage_pct ≥ 90, else 0.1: the entry rule's arithmetic apart from the model. */
const CPU_SCORER: RowScorer = {
  risk: (row) => {
    const risk = (row.cpu_usage_pct ?? 0) >= 90 ? 0.95 : 0.1;
    return { risk, modelRisk: risk, layer: 'model', inconclusive: undefined };
  },
  topFeatureOfLast: () => 'cpu_usage_pct',
};

/** Rows every `step` s from T0 for `seconds`, cpu 95 in [from, to), else 10. */
function stepped(
  step: number,
  seconds: number,
  from: number,
  to: number,
  skip: (t: number) => boolean = () => false,
): Rows {
  const rows: Rows[number][] = [];
  for (let t = 0; t < seconds; t += step) {
    if (skip(t)) continue;
    rows.push({
      t: T0 + t,
      namespace: 'prod',
      deployment: 'x',
      values: { cpu_usage_pct: t >= from && t < to ? 95 : 10 },
    });
  }
  return rows;
}

describe('replay: the entry rule at any step (3 cycles of 30 s = 90 s of data at or above high)', () => {
  it.each<[step: number, enteredAfter: number, leftAfter: number]>([
    [10, 80, 80], // 9 rows of 10 s: the healer sees one in three
    [15, 75, 75],
    [30, 60, 60], // the healer's own cadence: 3 rows
    [45, 45, 45], // 2 rows
    [60, 60, 60], // 2 rows of 2 cycles (Nezha's 1-minute data, model:eval)
    [300, 0, 0], // one 5-minute row stands for 10 cycles
  ])(
    '%i-second rows enter %i s and leave %i s after the change',
    (step, enteredAfter, leftAfter) => {
      const from = 1800;
      const to = 3600;
      const table = parseReplayCsv(
        formatReplayCsv(stepped(step, 7200, from, to), ['cpu_usage_pct']),
      );
      const r = replay(table, CPU_SCORER);
      expect(r.episodes).toHaveLength(1);
      expect(r.episodes[0]!.start - T0 - from).toBe(enteredAfter);
      // The last at-risk row is the one before the exit streak completes.
      expect(r.episodes[0]!.end + step - T0 - to).toBe(leftAfter);
    },
  );

  it('one cycle per row with --cycle-seconds 0, whatever the step', () => {
    const table = parseReplayCsv(formatReplayCsv(stepped(10, 3600, 1800, 3600), ['cpu_usage_pct']));
    expect(replay(table, CPU_SCORER, { cycleSeconds: 0 }).episodes[0]!.start - T0).toBe(1800 + 20);
  });

  it('a gap longer than the lookback breaks the streak, and the row after it counts one cycle', () => {
    // 1-minute rows, high from 1800 s; nothing from 1830 to 2460 s (10.5 min).
    const gap = (t: number): boolean => t > 1830 && t < 2460;
    const table = parseReplayCsv(
      formatReplayCsv(stepped(60, 3600, 1800, 3000, gap), ['cpu_usage_pct']),
    );
    const r = replay(table, CPU_SCORER);
    // 1800 (2 cycles), gap, 2460 (1 cycle), 2520 (+2 = 3): enters at 2520, not at 2460.
    expect(r.episodes[0]!.start - T0).toBe(2520);
    // Held across a gap while at risk: the healer holds on missing data.
    const held = parseReplayCsv(
      formatReplayCsv(
        stepped(60, 3600, 1800, 2700, (t) => t > 2000 && t < 2700),
        ['cpu_usage_pct'],
      ),
    );
    const h = replay(held, CPU_SCORER);
    expect(h.episodes).toHaveLength(1);
    expect(h.episodes[0]!.end - T0).toBe(2700); // the first row after the gap: low, 1 cycle of 3
  });
});
