import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { DEFAULT_FEATURE_QUERIES, FEATURE_NAMES, renderQuery } from '@aiops/model';
import { startPrometheus, type RunningPrometheus } from '../src/testing.js';
import { ManualClock, ScaledClock, startSimulator, type RunningSimulator } from '../src/index.js';

// Real Prometheus and promtool processes: more than jest's 5 s default per test.
jest.setTimeout(60_000);

/** Runs `promtool check metrics` on a text; resolves with its exit code and output. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (b: Buffer) => (output += b.toString()));
    p.stderr.on('data', (b: Buffer) => (output += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, output }));
    p.stdin.end(text);
  });
}

/**
 * Lint findings on metric names that are not ours to choose: the simulator exposes Istio's
 * source-side histogram under Istio's own name, which is in milliseconds
 * (`istio_request_duration_milliseconds`), so promtool's base-unit rule objects to it.
 */
const THIRD_PARTY_NAMES = [
  /^istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"$/,
];

describe('exposition passes promtool', () => {
  it('with crash loop, OOM kills, node loss and a bad release active', async () => {
    const sim = await startSimulator({ clock: new ManualClock(), seed: 5 });
    try {
      sim.tick(30_000);
      sim.faults.inject({ namespace: 'prod', deployment: 'payments', kind: 'crash_loop' });
      sim.faults.inject({
        namespace: 'prod',
        deployment: 'checkout',
        kind: 'memory_leak',
        params: { bytesPerSec: 5_000_000 },
      });
      sim.faults.inject({ namespace: 'dev', deployment: 'api', kind: 'node_loss' });
      sim.faults.inject({ namespace: 'prod', deployment: 'cart', kind: 'bad_release' });
      sim.tick(120_000);
      const text = await (await fetch(`${sim.url}/metrics`)).text();
      const checked = await promtoolCheck(text);
      // Only lint findings on names we copy from a third party may remain (exit code 3 is
      // "lint problems"; a parse failure is 1 and leaves lines no rule allows).
      const problems = checked.output
        .split('\n')
        .filter((l) => l !== '' && !THIRD_PARTY_NAMES.some((re) => re.test(l)));
      expect(problems).toEqual([]);
      expect([0, 3]).toContain(checked.code);
      expect(text).toContain('reason="OOMKilled"');
      expect(text).toContain('reason="CrashLoopBackOff"');
    } finally {
      await sim.stop();
    }
  });
});

type Vector = { metric: Record<string, string>; value: [number, string] }[];

// The contract with model/ and the healer: every default feature query, rendered as the healer
// renders it, returns one value per watched (namespace, deployment) from a real Prometheus
// scraping the simulator, and the values move when a fault is injected. Real time (speed 1),
// because Prometheus computes rates on its own clock.
describe('a real Prometheus scraping the simulator', () => {
  let sim: RunningSimulator;
  let prom: RunningPrometheus;
  const query = async (q: string): Promise<Vector> => {
    const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: Vector } };
    if (body.status !== 'success') throw new Error(`${q}: ${body.error}`);
    return body.data.result;
  };
  const feature = (f: (typeof FEATURE_NAMES)[number]): Promise<Vector> =>
    query(
      renderQuery(DEFAULT_FEATURE_QUERIES[f], {
        namespace: 'dev|prod',
        deployment: '.+',
        window: '2m',
      }),
    );
  const valueFor = (v: Vector, ns: string, dep: string): number =>
    Number(v.find((s) => s.metric.namespace === ns && s.metric.deployment === dep)?.value[1]);
  /** Polls until `check` passes (Prometheus scrapes on its own schedule). */
  async function eventually<T>(
    get: () => Promise<T>,
    check: (v: T) => boolean,
    timeoutMs: number,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let v = await get();
    while (!check(v) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      v = await get();
    }
    return v;
  }

  beforeAll(async () => {
    sim = await startSimulator({ clock: new ScaledClock(1), seed: 9, tickMs: 200 });
    prom = await startPrometheus({ targets: [new URL(sim.url).host], scrapeInterval: '1s' });
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await sim?.stop();
  });

  it('every feature query returns one value per deployment', async () => {
    const expected = [
      'dev/api',
      'dev/batch-report',
      'dev/web',
      'prod/cart',
      'prod/checkout',
      'prod/payments',
      'prod/search',
    ];
    const keys = (v: Vector): string[] =>
      v.map((s) => `${s.metric.namespace}/${s.metric.deployment}`).sort();
    for (const f of FEATURE_NAMES) {
      // deriv() over a 15 s subquery needs two aligned points: allow ~40 s for the slowest.
      const v = await eventually(
        () => feature(f),
        (r) => keys(r).length === expected.length,
        60_000,
      );
      expect({ feature: f, deployments: keys(v) }).toEqual({ feature: f, deployments: expected });
    }
    // prod/search is the busy-but-healthy one. Absolute rates read low until the series span the
    // whole 2m window (rate() divides by the range), so compare deployments instead.
    const cpu = await feature('cpu_usage_pct');
    expect(valueFor(cpu, 'prod', 'search')).toBeGreaterThan(2 * valueFor(cpu, 'dev', 'web'));
    const errors = await feature('http_5xx_error_rate');
    expect(valueFor(errors, 'prod', 'search')).toBeLessThan(0.01);
  }, 120_000);

  it('instant queries move when a fault is injected', async () => {
    const before = valueFor(await feature('http_5xx_error_rate'), 'prod', 'cart');
    expect(before).toBeLessThan(0.02);
    sim.faults.inject({
      namespace: 'prod',
      deployment: 'cart',
      kind: 'error_burst',
      params: { errorRate: 0.9 },
    });
    const after = await eventually(
      () => feature('http_5xx_error_rate'),
      (v) => valueFor(v, 'prod', 'cart') > 0.2,
      30_000,
    );
    expect(valueFor(after, 'prod', 'cart')).toBeGreaterThan(0.2);
    // Other deployments are untouched.
    expect(valueFor(after, 'prod', 'checkout')).toBeLessThan(0.02);
  }, 60_000);
});
