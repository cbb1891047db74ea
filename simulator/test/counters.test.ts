import { describe, expect, it, jest } from '@jest/globals';
import { ManualClock, startSimulator } from '../src/index.js';
import { parseExposition, type Sample } from './support/scrape.js';

// Virtual hours and real kubectl processes: more than jest's 5 s default per test.
jest.setTimeout(60_000);

const COUNTERS = [
  'container_cpu_usage_seconds_total',
  'container_network_receive_bytes_total',
  'container_cpu_cfs_periods_total',
  'container_cpu_cfs_throttled_periods_total',
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'http_request_duration_seconds_sum',
  'http_request_duration_seconds_count',
  'kube_pod_container_status_restarts_total',
];

describe('counters', () => {
  // Scrapes every 15 s through OOM kills, crash loops and a rollout: a counter may only go down
  // when its pod's container restarted in between (cAdvisor series carry the container id, so a
  // restart starts a new series there; the apps' counters reset to zero).
  it('only decrease across a container restart; histogram buckets stay cumulative', async () => {
    const sim = await startSimulator({ clock: new ManualClock(), seed: 21 });
    try {
      sim.tick(20_000);
      sim.faults.inject({
        namespace: 'prod',
        deployment: 'checkout',
        kind: 'memory_leak',
        params: { bytesPerSec: 4_000_000 },
      });
      sim.faults.inject({ namespace: 'prod', deployment: 'payments', kind: 'crash_loop' });
      sim.faults.inject({ namespace: 'dev', deployment: 'web', kind: 'bad_release' });
      const key = (x: Sample): string =>
        `${x.name}${JSON.stringify(Object.entries(x.labels).sort())}`;
      const restarts = (s: Sample[]): Map<string, number> =>
        new Map(
          s
            .filter((x) => x.name === 'kube_pod_container_status_restarts_total')
            .map((x) => [`${x.labels.namespace}/${x.labels.pod}`, x.value]),
        );
      let prev = parseExposition(await (await fetch(`${sim.url}/metrics`)).text());
      let resets = 0;
      let checked = 0;
      for (let i = 0; i < 40; i++) {
        sim.tick(15_000);
        const cur = parseExposition(await (await fetch(`${sim.url}/metrics`)).text());
        const before = new Map(
          prev.filter((x) => COUNTERS.includes(x.name)).map((x) => [key(x), x]),
        );
        const [r0, r1] = [restarts(prev), restarts(cur)];
        for (const x of cur) {
          const old = before.get(key(x));
          if (!old) continue;
          checked++;
          if (x.value < old.value) {
            const pod = `${x.labels.namespace}/${x.labels.pod}`;
            expect({ series: key(x), restarted: (r1.get(pod) ?? 0) > (r0.get(pod) ?? 0) }).toEqual({
              series: key(x),
              restarted: true,
            });
            resets++;
          }
        }
        // Buckets are cumulative in `le` and end at _count.
        const byPod = new Map<string, Sample[]>();
        for (const x of cur.filter((s) => s.name === 'http_request_duration_seconds_bucket')) {
          const pod = `${x.labels.namespace}/${x.labels.pod}`;
          byPod.set(pod, [...(byPod.get(pod) ?? []), x]);
        }
        for (const [pod, buckets] of byPod) {
          const values = buckets.map((b) => b.value);
          expect(values).toEqual([...values].sort((a, b) => a - b));
          const count = cur.find(
            (s) =>
              s.name === 'http_request_duration_seconds_count' &&
              `${s.labels.namespace}/${s.labels.pod}` === pod,
          );
          expect(values[values.length - 1]).toBe(count?.value);
        }
        prev = cur;
      }
      expect(checked).toBeGreaterThan(10_000);
      expect(resets).toBeGreaterThan(0);
    } finally {
      await sim.stop();
    }
  });
});
