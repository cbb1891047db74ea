import { describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '../workloads.js';
import { latencyCdf, podSignals } from '../metrics/podSignals.js';
import { combineEffects, FAULT_KINDS, FAULT_MODELS, type FaultKind } from './index.js';

const ctx = { elapsedSec: 60, containerAgeSec: 60, podRps: 10 };
const spec = defaultWorkload('dev', 'x');
const healthy = podSignals(spec, 10, combineEffects([]));

describe('fault models are pure and documented', () => {
  it.each(FAULT_KINDS.map((k) => [k]))(
    '%s has a description, a cure note, defaults, and is deterministic',
    (kind) => {
      const m = FAULT_MODELS[kind as FaultKind];
      expect(m.kind).toBe(kind);
      expect(m.description.length).toBeGreaterThan(10);
      expect(m.cureNote.length).toBeGreaterThan(10);
      expect(m.defaults.durationSec).toBe(0);
      expect(m.effect(m.defaults, ctx)).toEqual(m.effect(m.defaults, ctx));
    },
  );

  // Each kind moves the signals its name promises, with its defaults, on the default workload.
  it.each<[FaultKind, (s: ReturnType<typeof podSignals>) => boolean]>([
    ['error_burst', (s) => s.errorRate > healthy.errorRate + 0.2],
    ['latency_regression', (s) => s.latencyMedianSeconds > healthy.latencyMedianSeconds + 0.5],
    ['cpu_saturation', (s) => s.cpuUsageCores === spec.cpuLimitCores && s.throttleFraction === 1],
    [
      'bad_release',
      (s) => s.errorRate > 0.2 && s.latencyMedianSeconds > 2 * healthy.latencyMedianSeconds,
    ],
    ['poisoned_cache', (s) => s.errorRate > 0.1],
    ['incurable', (s) => s.errorRate > 0.3],
    ['memory_leak', (s) => s.memoryBytes > healthy.memoryBytes + 50e6],
  ])('%s shows in the signals', (kind, check) => {
    const m = FAULT_MODELS[kind];
    expect(check(podSignals(spec, 10, combineEffects([m.effect(m.defaults, ctx)])))).toBe(true);
  });

  it('a memory leak grows from injection, not from container start, and restarts with the container', () => {
    const leak = FAULT_MODELS.memory_leak;
    const p = leak.defaults;
    expect(
      leak.effect(p, { elapsedSec: 10, containerAgeSec: 1_000, podRps: 0 }).memoryExtraBytes,
    ).toBe(10 * p.bytesPerSec!);
    expect(
      leak.effect(p, { elapsedSec: 1_000, containerAgeSec: 5, podRps: 0 }).memoryExtraBytes,
    ).toBe(5 * p.bytesPerSec!);
    expect(leak.effect(p, { elapsedSec: 0, containerAgeSec: 0, podRps: 0 }).memoryExtraBytes).toBe(
      0,
    );
  });

  it('flags: crash_loop crashes, node_loss is not ready; traffic_spike multiplies load', () => {
    expect(FAULT_MODELS.crash_loop.effect({ durationSec: 0 }, ctx).crash).toBe(true);
    expect(FAULT_MODELS.node_loss.effect(FAULT_MODELS.node_loss.defaults, ctx).notReady).toBe(true);
    expect(
      FAULT_MODELS.traffic_spike.effect({ factor: 4, durationSec: 0 }, ctx).loadMultiplier,
    ).toBe(4);
  });
});

describe('combineEffects', () => {
  it('neutral when empty; multipliers multiply, additions add, flags or', () => {
    expect(combineEffects([])).toEqual({
      loadMultiplier: 1,
      cpuDemandMultiplier: 1,
      cpuBurnFraction: 0,
      memoryExtraBytes: 0,
      errorRateAdd: 0,
      latencyMultiplier: 1,
      latencyAddSeconds: 0,
      crash: false,
      notReady: false,
    });
    const c = combineEffects([
      { latencyMultiplier: 2, errorRateAdd: 0.1 },
      { latencyMultiplier: 3, errorRateAdd: 0.2, crash: true },
    ]);
    expect(c.latencyMultiplier).toBe(6);
    expect(c.errorRateAdd).toBeCloseTo(0.3);
    expect(c.crash).toBe(true);
  });
});

describe('podSignals', () => {
  it.each([
    [
      'idle pod',
      0,
      (s: ReturnType<typeof podSignals>) =>
        s.rps === 0 && s.cpuUsageCores === spec.idleCpuCores && s.throttleFraction === 0,
    ],
    [
      'just under saturation: no errors beyond base',
      45,
      (s: ReturnType<typeof podSignals>) => s.errorRate === spec.baseErrorRate,
    ],
    [
      'at 2× the CPU limit: capped, throttled, shedding',
      100,
      (s: ReturnType<typeof podSignals>) =>
        s.cpuUsageCores === spec.cpuLimitCores && s.errorRate > 0.3 && s.throttleFraction === 1,
    ],
  ])('%s', (_name, rps, check) => {
    expect(check(podSignals(spec, rps as number, combineEffects([])))).toBe(true);
  });
  it('errors never exceed 1', () => {
    expect(podSignals(spec, 10, combineEffects([{ errorRateAdd: 5 }])).errorRate).toBe(1);
  });
});

describe('latencyCdf', () => {
  it.each([
    [0.05, 0.05, 0.5],
    [10, 0.05, 1],
    [0.001, 0.05, 0],
  ])('P(latency ≤ %d | median %d) ≈ %d', (le, median, p) => {
    expect(latencyCdf(le, median)).toBeCloseTo(p, 2);
  });
  it('a zero median puts everything in the first bucket', () => {
    expect(latencyCdf(0.005, 0)).toBe(1);
  });
});
