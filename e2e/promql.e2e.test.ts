import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BASELINE_FEATURES,
  BASELINE_QUERY_NAMES,
  BASELINE_STATS,
  DEFAULT_FEATURE_QUERIES,
  FEATURE_NAMES,
  baselineQueries,
  renderQuery,
  sloWindowQueries,
} from '@aiops/model';
import { DeploymentHistory } from '@aiops/model/features/tracker';
import { Rng } from '@aiops/model/rng';
import {
  freePort,
  startPrometheus,
  startProcess,
  waitForHttp,
  type ManagedProcess,
  type RunningPrometheus,
} from '@aiops/simulator/testing';

const SCOPE = { namespace: 'dev|prod', deployment: '.+', window: '2m' };

async function instant(
  url: string,
  query: string,
  time?: number,
): Promise<{
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set('time', String(time));
  const res = await fetch(`${url}/api/v1/query?${params}`);
  return (await res.json()) as never;
}

// Every default query must be valid PromQL for the real Prometheus (2.42 from apt), so a typo in a
// template fails here rather than as an "inconclusive" at 3 a.m.
describe('default feature, baseline and SLO queries against a real Prometheus', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
  });
  afterAll(async () => {
    await prom?.stop();
  });

  const all: [string, string][] = [
    ...FEATURE_NAMES.map(
      (f) => [f, renderQuery(DEFAULT_FEATURE_QUERIES[f], SCOPE)] as [string, string],
    ),
    ...BASELINE_FEATURES.flatMap((f) =>
      Object.entries(baselineQueries(renderQuery(DEFAULT_FEATURE_QUERIES[f], SCOPE))).map(
        ([stat, q]) => [`${f} ${stat}`, q] as [string, string],
      ),
    ),
    ...sloWindowQueries(DEFAULT_FEATURE_QUERIES, SCOPE).map(
      (s) => [`slo ${s.window} ${s.sli}`, s.query] as [string, string],
    ),
  ];
  it.each(all)('%s parses and evaluates', async (name, query) => {
    const body = await instant(prom.url, query);
    expect({ name, status: body.status, error: body.error }).toEqual({
      name,
      status: 'success',
      error: undefined,
    });
  });
});

// The baseline statistics Prometheus computes from a series must be the ones the tracker computes
// from the same samples: replay and training build baselines with the tracker, the healer with
// PromQL. The series is backfilled with promtool (irregular steps, gaps, NaN-free), last week's
// hour included, and queried at unaligned times.
describe('baseline statistics: PromQL equals the replay tracker', () => {
  const T0 = 1_700_000_000; // a fixed past hour: queries pass an explicit time
  const WEEK = 7 * 86400;
  let dir: string;
  let proc: ManagedProcess;
  let url: string;
  const samples: [number, number][] = [];

  beforeAll(async () => {
    const rng = new Rng(17);
    // Last week's hour around the query times, then 3 hours before them.
    const spans: [number, number][] = [
      [T0 + 2 * 3600 - WEEK - 2400, T0 + 2 * 3600 - WEEK + 2400],
      [T0, T0 + 3 * 3600],
    ];
    for (const [from, to] of spans) {
      let t = from + rng.int(0, 29);
      while (t < to) {
        samples.push([
          t,
          Math.round((50 + 10 * Math.sin(t / 900) + rng.normal() * 4) * 1000) / 1000,
        ]);
        t += rng.chance(0.03) ? rng.int(180, 400) : rng.pick([15, 30, 30, 45, 60]);
      }
    }
    dir = await mkdtemp(join(tmpdir(), 'aiops-promql-'));
    const om = [
      '# TYPE aiops_test_signal gauge',
      ...samples.map(([t, v]) => `aiops_test_signal{namespace="prod",deployment="web"} ${v} ${t}`),
      '# EOF',
      '',
    ].join('\n');
    await writeFile(join(dir, 'series.om'), om);
    const made = spawnSync(
      'promtool',
      ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'series.om'), join(dir, 'data')],
      {
        encoding: 'utf8',
      },
    );
    if (made.status !== 0) throw new Error(`promtool failed: ${made.stderr}`);
    await writeFile(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    proc = startProcess('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=100y',
      '--log.level=warn',
    ]);
    await waitForHttp(`${url}/-/ready`, 30_000);
  }, 60_000);
  afterAll(async () => {
    await proc?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [T0 + 2 * 3600 + 17],
    [T0 + 2 * 3600 + 1800 + 44],
    [T0 + 3 * 3600 - 1],
    [T0 + 20 * 60 + 5], // little history: statistics missing in both
  ])('at %i', async (time) => {
    const h = new DeploymentHistory();
    // A latency signal: it has every statistic, the peak included (PEAK_FEATURES).
    for (const [t, v] of samples) if (t <= time) h.observe(t, { http_p95_latency_seconds: v });
    const want = h.baselineOf('http_p95_latency_seconds', time);
    // Not agreement by absence: with history, every statistic exists (last week only around T0 + 2 h).
    if (time > T0 + 3600)
      expect(Object.keys(want).sort()).toEqual(
        expect.arrayContaining(['p10', 'p50', 'p90', 'recent', 'slope', 'peak']),
      );
    if (time < T0 + 2 * 3600 + 2400 && time > T0 + 3600) expect(want.last_week).toBeDefined();
    const q = baselineQueries('aiops_test_signal{namespace="prod"}');
    const got: Record<string, number | undefined> = {};
    for (const stat of BASELINE_QUERY_NAMES) {
      const body = await instant(url, q[stat], time);
      expect(body.status).toBe('success');
      const v = body.data?.result[0]?.value[1];
      got[stat] = v === undefined ? undefined : Number(v);
    }
    // The healer drops trailing quantiles over fewer than minPoints grid points, as the tracker does.
    if ((got.count ?? 0) < 10) {
      delete got.p10;
      delete got.p50;
      delete got.p90;
    }
    for (const stat of BASELINE_STATS) {
      if (want[stat] === undefined) expect({ stat, v: got[stat] }).toEqual({ stat, v: undefined });
      else expect({ stat, v: got[stat] }).toEqual({ stat, v: expect.closeTo(want[stat]!, 6) });
    }
  });
});
