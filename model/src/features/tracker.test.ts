import { describe, expect, it } from '@jest/globals';
import { DeploymentHistory, leastSquaresSlope, promQuantile } from './tracker.js';
import { DEFAULT_BASELINE_WINDOWS } from './windows.js';
import { Rng } from '../rng.js';

/**
 * The statistics computed the slow, obvious way from PromQL's definitions: the instant value at τ
 * is the last sample in (τ − 5 m, τ]; subqueries evaluate on the multiples of the step in
 * [start, end]; quantiles interpolate like Prometheus' quantile().
 */
function reference(samples: [number, number][], t: number) {
  const w = DEFAULT_BASELINE_WINDOWS;
  const at = (tau: number): number | undefined => {
    let v: number | undefined;
    for (const [ts, x] of samples) if (ts <= tau && ts > tau - w.lookbackSeconds) v = x;
    return v;
  };
  const grid = (from: number, to: number): [number, number][] => {
    const out: [number, number][] = [];
    for (let tau = Math.ceil(from / 60) * 60; tau <= to; tau += 60) {
      const v = at(tau);
      if (v !== undefined) out.push([tau, v]);
    }
    return out;
  };
  const end = t - w.gapSeconds;
  const trailing = grid(end - w.windowSeconds, end).map(([, v]) => v);
  const recent = grid(t - w.recentWindowSeconds, t).map(([, v]) => v);
  const slope = grid(t - w.slopeWindowSeconds, t);
  return {
    p10: trailing.length >= w.minPoints ? promQuantile(0.1, trailing) : undefined,
    p50: trailing.length >= w.minPoints ? promQuantile(0.5, trailing) : undefined,
    p90: trailing.length >= w.minPoints ? promQuantile(0.9, trailing) : undefined,
    recent: recent.length > 0 ? promQuantile(0.5, recent) : undefined,
    peak: recent.length > 0 ? Math.max(...recent) : undefined,
    slope:
      slope.length >= 10
        ? 60 *
          leastSquaresSlope(
            slope.map(([x]) => x),
            slope.map(([, v]) => v),
            slope.length,
          )
        : undefined,
  };
}

describe('promQuantile and leastSquaresSlope', () => {
  it.each([
    [0.5, [3, 1, 2], 2],
    [0.25, [1, 2, 3, 4, 5], 2],
    [0.9, [1, 2], 1.9],
    [0.5, [7], 7],
  ])('quantile(%p, %j) = %p (linear interpolation between ranks)', (q, xs, want) => {
    expect(promQuantile(q, xs)).toBeCloseTo(want, 12);
  });
  it('is NaN without values; the slope of a line is its slope', () => {
    expect(promQuantile(0.5, [])).toBeNaN();
    expect(leastSquaresSlope([0, 60, 120], [1, 2, 3], 3)).toBeCloseTo(1 / 60, 12);
    expect(leastSquaresSlope([0], [1], 1)).toBeNaN();
  });
});

describe('DeploymentHistory', () => {
  it('computes exactly what the PromQL baseline queries would, on irregular rows with gaps', () => {
    const rng = new Rng(4);
    const h = new DeploymentHistory();
    const samples: [number, number][] = [];
    let t = 1_700_000_017;
    for (let i = 0; i < 260; i++) {
      t += rng.chance(0.05) ? rng.int(200, 500) : rng.pick([30, 30, 60, 45]);
      const v = rng.chance(0.1) ? NaN : 10 + rng.normal() * 2 + (i > 200 ? 20 : 0);
      h.observe(t, { cpu_usage_pct: v, http_p95_latency_seconds: v });
      if (!Number.isNaN(v)) samples.push([t, v]);
      if (i % 13 === 0 || i > 240) {
        const want = reference(samples, t);
        // The peak only for the latency signals, as the healer queries it (PEAK_FEATURES).
        const cpu = h.baselineOf('cpu_usage_pct', t);
        expect(cpu.peak).toBeUndefined();
        const got = h.baselineOf('http_p95_latency_seconds', t);
        for (const k of ['p10', 'p50', 'p90', 'recent', 'peak', 'slope'] as const) {
          if (k !== 'peak') expect(cpu[k]).toBe(got[k]);
          if (want[k] === undefined) expect(got[k]).toBeUndefined();
          else expect({ i, k, got: got[k] }).toEqual({ i, k, got: expect.closeTo(want[k]!, 9) });
        }
      }
    }
  });

  it('has no statistics before the history holds enough grid points', () => {
    const h = new DeploymentHistory();
    for (let i = 0; i < 12; i++)
      h.observe(1_700_000_000 + i * 60, { http_p95_latency_seconds: 0.1 });
    const b = h.baselineOf('http_p95_latency_seconds', 1_700_000_000 + 11 * 60);
    expect(b.p50).toBeUndefined(); // 12 minutes, 5 of them in the gap: 7 points < 10
    expect(b.recent).toBe(0.1);
    expect(b.peak).toBe(0.1);
    expect(h.context(1_700_000_000 + 11 * 60).cpu_usage_pct).toBeUndefined();
  });

  it('refuses rows out of time order', () => {
    const h = new DeploymentHistory();
    h.observe(100, { cpu_usage_pct: 1 });
    expect(() => h.observe(50, { cpu_usage_pct: 1 })).toThrow(/time order/);
  });

  it('sums the SLO windows from the rows: requests, request-weighted 5xx and p95', () => {
    const h = new DeploymentHistory();
    const t0 = 1_700_000_000;
    for (let i = 0; i <= 60; i++) {
      const bad = i >= 58;
      h.observe(t0 + i * 60, {
        http_requests_per_s: 10,
        http_5xx_error_rate: bad ? 0.5 : 0,
        http_p95_latency_seconds: bad ? 2 : 0.1,
      });
    }
    const w = h.sloWindows(t0 + 3600);
    expect(w['5m']!.requests).toBeCloseTo(5 * 600, 6);
    expect(w['5m']!.error_ratio).toBeCloseTo((3 * 0.5) / 5, 9);
    expect(w['1h']!.requests).toBeCloseTo(60 * 600, 6);
    expect(w['1h']!.error_ratio).toBeCloseTo((3 * 0.5) / 60, 9);
    expect(w['5m']!.p95_seconds).toBeCloseTo((3 * 2 + 2 * 0.1) / 5, 9);
  });

  it('finds last week’s median when the history reaches that far', () => {
    const h = new DeploymentHistory();
    const t0 = 1_700_000_000;
    const week = 7 * 86400;
    for (let m = 0; m <= 90; m++) h.observe(t0 + m * 60, { http_requests_per_s: 42 });
    for (let m = 0; m <= 70; m++) h.observe(t0 + week + m * 60, { http_requests_per_s: 5 });
    expect(h.baselineOf('http_requests_per_s', t0 + week + 70 * 60).last_week).toBe(42);
  });
});
