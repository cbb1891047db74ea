import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  deploymentOfPod,
  discoverDays,
  faultTime,
  parseNezhaTime,
  readNezhaDay,
  NezhaFormatError,
} from './convert.js';
import { writeNezhaFixture } from './fixture.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'nezha-'));
  await writeNezhaFixture(root, {
    name: 'shop_2024-01-01',
    minutes: 90,
    faults: [{ minute: 70, pod: 'cart-5c4d3b2a1-fghij', type: 'cpu_contention' }],
  });
  await writeNezhaFixture(root, {
    name: 'tickets_2024-01-02',
    minutes: 60,
    faults: [{ minute: 40, pod: 'pay-7a6b5c4d3-klmno', type: 'exception' }],
    successRateUnusable: true,
    shiftedTimestamps: true,
  });
  await mkdir(path.join(root, 'not-a-day'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('Nezha days', () => {
  it('discovers every day folder (fault list beside metric/), sorted, and nothing else', async () => {
    expect((await discoverDays(root)).map((d) => path.basename(d))).toEqual([
      'shop_2024-01-01',
      'tickets_2024-01-02',
    ]);
    await expect(discoverDays(path.join(root, 'missing'))).rejects.toThrow(NezhaFormatError);
  });

  it('maps pod files onto the schema, reading Time (not TimeStamp), with the entry error ratio merged', async () => {
    const day = await readNezhaDay(path.join(root, 'shop_2024-01-01'));
    expect(day.system).toBe('shop');
    expect(new Set(day.rows.map((r) => r.deployment))).toEqual(
      new Set(['frontend', 'cart', 'pay']),
    );
    const first = day.rows.find((r) => r.deployment === 'cart')!;
    expect(first.t).toBe(Date.parse('2024-01-01T00:00:10Z') / 1000);
    expect(first.values).toMatchObject({
      restart_count_last_5m: 0,
      ready_replica_ratio: 1,
      unavailable_replicas: 0,
      replicas: 1,
      memory_usage_bytes: 200 * 2 ** 20,
      memory_limit_ratio: 0.2,
    });
    expect(
      day.rows
        .filter((r) => r.deployment === 'frontend')
        .every((r) => r.values.http_5xx_error_rate === 0),
    ).toBe(true);
    expect(day.rows.some((r) => r.values.http_p95_latency_seconds === undefined)).toBe(true); // empty cells stay empty
    expect(day.faults).toEqual([
      {
        t: Date.parse('2024-01-01T01:10:40Z') / 1000,
        deployment: 'cart',
        type: 'cpu_contention',
        source: 'inject_timestamp',
      },
    ]);
    expect(day.entry.successRateUsable).toBe(true);
  });

  it('times faults by inject_time when inject_timestamp is from another clock, and drops an unusable success rate', async () => {
    const day = await readNezhaDay(path.join(root, 'tickets_2024-01-02'));
    expect(day.faults[0]!.source).toBe('inject_time');
    expect(day.faults[0]!.t).toBe(Date.parse('2024-01-02T00:40:40Z') / 1000);
    expect(day.entry.successRateUsable).toBe(false);
    expect(day.rows.every((r) => r.values.http_5xx_error_rate === undefined)).toBe(true);
    expect(day.notes.join('\n')).toMatch(/1 of 1 faults timed by inject_time/);
    expect(day.notes.join('\n')).toMatch(/SuccessRate\(%\) is 0 in every row/);
  });

  it.each([
    ['frontend-579b9bff58-t2dbm', 'frontend'],
    ['ts-basic-service-5dc8d4f9fd-46997', 'ts-basic-service'],
    ['solo', 'solo'],
  ])('pod %s belongs to deployment %s', (pod, dep) => {
    expect(deploymentOfPod(pod)).toBe(dep);
  });

  it.each([
    [
      { inject_time: '2022-08-22 03:53:54', inject_timestamp: '1661140434' },
      1661140434,
      'inject_timestamp',
    ],
    [
      { inject_time: '2023-01-29 08:43:04', inject_timestamp: '1674953044' },
      1674981784,
      'inject_time',
    ],
    [{ inject_timestamp: '1661140434' }, 1661140434, 'inject_timestamp'],
  ])('fault time of %j', (entry, t, source) => {
    expect(faultTime(entry)).toEqual({ t, source });
    expect(faultTime({})).toBeUndefined();
    expect(parseNezhaTime('garbage')).toBeUndefined();
  });

  it("joins the callers' latency (source_50.csv) to the callee's rows: what every caller sees, nearest minute", async () => {
    const mesh = await mkdtemp(path.join(os.tmpdir(), 'nezha-mesh-'));
    try {
      const dir = await writeNezhaFixture(mesh, {
        name: 'mesh_2024-01-04',
        minutes: 30,
        faults: [{ minute: 20, pod: 'pay-7a6b5c4d3-klmno', type: 'network_delay' }],
        callerLatency: true,
      });
      const day = await readNezhaDay(dir);
      const pay = day.rows.filter((r) => r.deployment === 'pay');
      const at = (m: number) => pay[m]!.values.http_caller_p95_latency_seconds;
      expect(at(10)).toBeCloseTo(0.005, 3);
      expect(at(21)).toBeCloseTo(0.25, 1); // the service delayed: every caller sees it
      // one of its two callers' edges alone jumps: not a delay of pay (the slowest caller read 0.2)
      expect(at(12)).toBeCloseTo(0.005, 3);
      expect(at(5)).toBeUndefined(); // empty cells stay empty
      // frontend has no caller in the call graph; cart's only caller is frontend
      expect(
        day.rows.some(
          (r) =>
            r.deployment === 'frontend' && r.values.http_caller_p95_latency_seconds !== undefined,
        ),
      ).toBe(false);
      expect(
        day.rows
          .filter((r) => r.deployment === 'cart')
          .every((r, m) => m === 5 || (r.values.http_caller_p95_latency_seconds ?? 1) < 0.01),
      ).toBe(true);
      expect(day.notes.join('\n')).toMatch(
        /callers' latency \(source_50\.csv.*\) for 2 services, on 58 pod rows/,
      );
    } finally {
      await rm(mesh, { recursive: true, force: true });
    }
  });

  it("a day without source_50.csv has no callers' latency", async () => {
    const day = await readNezhaDay(path.join(root, 'shop_2024-01-01'));
    expect(day.rows.every((r) => r.values.http_caller_p95_latency_seconds === undefined)).toBe(
      true,
    );
  });

  it('evaluates what a partial export holds and names what it lacks: files, columns, pods of faults', async () => {
    const dir = path.join(root, 'partial_2024-01-03');
    await writeNezhaFixture(root, {
      name: 'partial_2024-01-03',
      minutes: 30,
      faults: [
        { minute: 10, pod: 'cart-5c4d3b2a1-fghij', type: 'cpu_contention' },
        { minute: 20, pod: 'ghost-1a2b3c4d5-zzzzz', type: 'exception' },
      ],
    });
    const metric = path.join(dir, 'metric');
    // The pay pod's export lost its CPU column; two more files are unusable.
    const payFile = path.join(metric, 'pay-7a6b5c4d3-klmno_metric.csv');
    const lines = (await readFile(payFile, 'utf8')).trimEnd().split('\n');
    const drop = lines[0]!.split(',').indexOf('CpuUsageRate(%)');
    await writeFile(
      payFile,
      lines
        .map((l) =>
          l
            .split(',')
            .filter((_c, i) => i !== drop)
            .join(','),
        )
        .join('\n') + '\n',
    );
    await writeFile(path.join(metric, 'mail-1-2_metric.csv'), '');
    await writeFile(
      path.join(metric, 'ads-1-2_metric.csv'),
      'PodName,CpuUsageRate(%)\nads-1-2,3\n',
    );
    await writeFile(path.join(metric, 'auth-1-2_metric.csv'), 'Time,PodName\n');

    const day = await readNezhaDay(dir);
    const pay = day.rows.filter((r) => r.deployment === 'pay');
    expect(pay).toHaveLength(30);
    expect(pay.every((r) => r.values.cpu_usage_pct === undefined)).toBe(true);
    // Its other signals are read as before (the fixture leaves a few cells empty, as Nezha does).
    expect(
      pay.filter((r) => r.values.http_p95_latency_seconds !== undefined).length,
    ).toBeGreaterThan(20);
    expect(day.rows.filter((r) => r.deployment === 'cart')).toHaveLength(30);
    expect(day.faults.map((f) => f.deployment)).toEqual(['cart', 'ghost']);
    expect(day.notes).toEqual(
      expect.arrayContaining([
        'pod files skipped: ads-1-2_metric.csv (no column Time), auth-1-2_metric.csv (no rows), mail-1-2_metric.csv (empty)',
        'no column CpuUsageRate(%) in pay-7a6b5c4d3-klmno_metric.csv: that signal left empty there',
        "faults on deployments with no pod file (found only through other services' alarms): ghost (1)",
      ]),
    );
    await rm(dir, { recursive: true });
  });

  it('names the folder when no pod file can be replayed', async () => {
    const dir = path.join(root, 'broken_2024-01-03');
    await mkdir(path.join(dir, 'metric'), { recursive: true });
    await writeFile(path.join(dir, '2024-01-03-fault_list.json'), '{}');
    await writeFile(path.join(dir, 'metric', 'x-1-2_metric.csv'), 'PodName\nx-1-2\n');
    await expect(readNezhaDay(dir)).rejects.toThrow(
      /broken_2024-01-03: no pod file with a readable Time column: nothing to replay/,
    );
    await rm(dir, { recursive: true });
  });

  it('reads an entry series without the columns it lacks, and none without Time', async () => {
    const dir = path.join(root, 'entry_2024-01-04');
    await writeNezhaFixture(root, {
      name: 'entry_2024-01-04',
      minutes: 10,
      faults: [{ minute: 5, pod: 'cart-5c4d3b2a1-fghij', type: 'cpu_contention' }],
    });
    const front = path.join(dir, 'metric', 'front_service.csv');
    const text = await readFile(front, 'utf8');
    const [header, ...rows] = text.trimEnd().split('\n');
    const cols = header!.split(',');
    const keep = cols.map((c, i) => (c === 'LatencyP90(s)' ? -1 : i)).filter((i) => i >= 0);
    const pick = (l: string): string => keep.map((i) => l.split(',')[i]).join(',');
    await writeFile(front, [header!, ...rows].map(pick).join('\n') + '\n');
    let day = await readNezhaDay(dir);
    expect(day.entry.rows).toHaveLength(10);
    expect(day.entry.rows.every((r) => Number.isNaN(r.p90) && Number.isFinite(r.p95))).toBe(true);
    expect(day.notes).toContain('no column LatencyP90(s) in front_service.csv: left empty');

    await writeFile(front, 'ServiceName,SuccessRate(%)\nFrontend,100\n');
    day = await readNezhaDay(dir);
    expect(day.entry.rows).toHaveLength(0);
    expect(day.notes).toContain('no column Time in front_service.csv: no entry-service series');
    await rm(dir, { recursive: true });
  });
});
