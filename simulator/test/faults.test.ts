import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  ManualClock,
  startSimulator,
  type FaultKind,
  type RunningSimulator,
} from '../src/index.js';
import { clearCache, injectFault, restart, rollback, scale } from './support/remediate.js';
import { scrape, signals, type DeploymentSignals } from './support/scrape.js';

// Virtual hours and real kubectl processes: more than jest's 5 s default per test.
jest.setTimeout(60_000);

type Check = (s: DeploymentSignals) => boolean;
type Remedy = (url: string, ns: string, name: string) => Promise<unknown>;

interface Row {
  kind: FaultKind;
  target: string;
  params?: Record<string, number>;
  /** What the metrics show once the fault has taken hold. */
  sick: Check;
  /** Remediations that must NOT cure it. */
  notCuredBy: [string, Remedy][];
  /** The documented cure ([] = none exists). */
  cure: [string, Remedy] | undefined;
  healthy: Check;
  /** Seconds the fault needs to show. */
  onsetSec?: number;
  /** Seconds measured after the cure (a leak regrows, so it is judged before it does). */
  cureWindowSec?: number;
}

const RESTART: [string, Remedy] = ['restart', (u, n, d) => restart(u, n, d)];
const SCALE_UP: [string, Remedy] = ['scale ×4', (u, n, d) => scale(u, n, d, 12)];
const CACHE_CLEAR: [string, Remedy] = ['cache clear', clearCache];
const ROLLBACK: [string, Remedy] = ['rollback', rollback];
const lowErrors: Check = (s) => s.errorRate < 0.02;

// Each fault: injected → the metrics show it → what must not cure it doesn't → the documented
// remediation through the API → the metrics recover. Virtual time only.
const TABLE: Row[] = [
  {
    kind: 'crash_loop',
    target: 'prod/payments',
    sick: (s) => s.restarts >= 1 && s.readyRatio === 0,
    notCuredBy: [],
    cure: RESTART,
    healthy: (s) => s.restarts === 0 && s.readyRatio === 1,
  },
  {
    kind: 'memory_leak',
    target: 'prod/checkout',
    params: { bytesPerSec: 2_000_000 },
    onsetSec: 300,
    // OOM kills recur every few minutes: restarts, back-off (not ready) or memory near the limit.
    sick: (s) => s.oomKilled && (s.restarts >= 1 || s.readyRatio < 1 || s.memoryLimitRatio > 0.6),
    notCuredBy: [CACHE_CLEAR],
    cure: RESTART,
    healthy: (s) => !s.oomKilled && s.restarts === 0 && s.memoryLimitRatio < 0.75,
    cureWindowSec: 60,
  },
  {
    kind: 'cpu_saturation',
    target: 'dev/api',
    sick: (s) => s.cpuPct > 90 && s.throttleRatio > 0.3,
    notCuredBy: [CACHE_CLEAR],
    cure: RESTART,
    healthy: (s) => s.cpuPct < 50 && s.throttleRatio < 0.05,
  },
  {
    kind: 'error_burst',
    target: 'prod/cart',
    sick: (s) => s.errorRate > 0.2,
    notCuredBy: [CACHE_CLEAR],
    cure: RESTART,
    healthy: lowErrors,
  },
  {
    kind: 'latency_regression',
    target: 'dev/web',
    sick: (s) => s.p95Seconds > 0.5,
    notCuredBy: [CACHE_CLEAR],
    cure: RESTART,
    healthy: (s) => s.p95Seconds < 0.2,
  },
  {
    kind: 'bad_release',
    target: 'prod/payments',
    sick: (s) => s.errorRate > 0.15,
    notCuredBy: [RESTART, CACHE_CLEAR],
    cure: ROLLBACK,
    healthy: lowErrors,
  },
  {
    kind: 'poisoned_cache',
    target: 'prod/search',
    sick: (s) => s.errorRate > 0.1,
    notCuredBy: [RESTART],
    cure: CACHE_CLEAR,
    healthy: lowErrors,
  },
  {
    kind: 'traffic_spike',
    target: 'prod/checkout',
    sick: (s) => s.errorRate > 0.1 && s.cpuPct > 90,
    notCuredBy: [RESTART],
    cure: SCALE_UP,
    healthy: (s) => lowErrors(s) && s.cpuPct < 70,
  },
  {
    kind: 'node_loss',
    target: 'dev/api',
    params: { evictAfterSec: 3600 },
    sick: (s) => s.readyRatio < 1,
    notCuredBy: [CACHE_CLEAR],
    cure: RESTART,
    healthy: (s) => s.readyRatio === 1,
  },
  {
    kind: 'incurable',
    target: 'prod/payments',
    sick: (s) => s.errorRate > 0.3,
    notCuredBy: [RESTART, SCALE_UP, CACHE_CLEAR],
    cure: undefined,
    healthy: lowErrors,
  },
];

/** Fails with the phase and every signal, so a miss says what the metrics looked like. */
function expectThat(phase: string, check: Check, s: DeploymentSignals): void {
  if (!check(s)) throw new Error(`expected ${phase}; signals: ${JSON.stringify(s)}`);
  expect(check(s)).toBe(true);
}

describe('fault table: inject → symptoms → cure through the API → recovery', () => {
  let sim: RunningSimulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  /** Advances virtual time in 1 s steps and returns the deployment's signals over that window. */
  async function windowSignals(
    s: RunningSimulator,
    dep: string,
    seconds: number,
  ): Promise<DeploymentSignals> {
    const a = await scrape(s.url, s.clock.now());
    s.tick(seconds * 1000);
    const b = await scrape(s.url, s.clock.now());
    return signals(a, b, dep);
  }

  it.each(TABLE.map((r) => [r.kind, r]))('%s', async (_kind, row) => {
    const r = row as Row;
    const s = (sim = await startSimulator({ clock: new ManualClock(), seed: 11 }));
    const [ns, name] = r.target.split('/') as [string, string];
    s.tick(30_000);
    const before = await windowSignals(s, r.target, 60);
    expectThat('healthy before', r.healthy, before);

    await injectFault(s.url, { namespace: ns, deployment: name, kind: r.kind, params: r.params });
    s.tick((r.onsetSec ?? 60) * 1000);
    const sick = await windowSignals(s, r.target, 180);
    expectThat('sick after injection', r.sick, sick);

    for (const [label, remedy] of r.notCuredBy) {
      await remedy(s.url, ns, name);
      s.tick(90_000);
      const still = await windowSignals(s, r.target, 180);
      expectThat(`still sick after ${label} (not a cure)`, r.sick, still);
    }
    if (!r.cure) return;
    await r.cure[1](s.url, ns, name);
    s.tick(30_000);
    const after = await windowSignals(s, r.target, r.cureWindowSec ?? 120);
    expectThat(`healthy after ${r.cure[0]}`, r.healthy, after);
  });
});
