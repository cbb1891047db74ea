import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
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

  it('names the file and column when a pod file lacks one', async () => {
    const dir = path.join(root, 'broken_2024-01-03');
    await mkdir(path.join(dir, 'metric'), { recursive: true });
    await writeFile(path.join(dir, '2024-01-03-fault_list.json'), '{}');
    await writeFile(
      path.join(dir, 'metric', 'x-1-2_metric.csv'),
      'Time,PodName\n2024-01-03 00:00:00,x-1-2\n',
    );
    await expect(readNezhaDay(dir)).rejects.toThrow(
      /x-1-2_metric.csv: has no column CpuUsageRate\(%\)/,
    );
    await rm(dir, { recursive: true });
  });
});
