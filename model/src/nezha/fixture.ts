/**
 * Writes a small synthetic day in the Nezha folder format, with the real data's quirks (empty
 * cells, a wrong TimeStamp column, fault timestamps in another time zone, an unusable entry
 * success rate), so tests and examples need no copy of the real data.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Rng } from '../rng.js';

export interface FixtureOptions {
  /** Folder name, e.g. `shop_2024-01-01`. */
  name: string;
  /** Minutes of data, starting 00:00:10 UTC of the day in the name. */
  minutes: number;
  /** Faults: minute of injection, pod, type; each lasts 3 minutes. */
  faults: { minute: number; pod: string; type: 'cpu_contention' | 'exception' | 'network_delay' }[];
  /** Write the entry success rate as 0 everywhere (unusable, as on the Train Ticket days). */
  successRateUnusable?: boolean;
  /** Write the faults' inject_timestamp 8 hours early (as on 2023-01-29). */
  shiftedTimestamps?: boolean;
  /**
   * Write `source_50.csv` (callers' latency per call edge, 10 s after the pod rows, as on
   * 2022-08-22): a network delay on a pod slows every edge into it.
   */
  callerLatency?: boolean;
  seed?: number;
}

const POD_HEADER =
  'Time,TimeStamp,PodName,CpuUsage(m),CpuUsageRate(%),MemoryUsage(Mi),MemoryUsageRate(%),SyscallRead,SyscallWrite,NetworkReceiveBytes,NetworkTransmitBytes,PodClientLatencyP90(s),PodServerLatencyP90(s),PodClientLatencyP95(s),PodServerLatencyP95(s),PodClientLatencyP99(s),PodServerLatencyP99(s),PodWorkload(Ops),PodSuccessRate(%),NodeCpuUsageRate(%),NodeMemoryUsageRate(%),NodeNetworkReceiveBytes';

const fmtTime = (t: number): string =>
  `${new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ')}.123456789 +0000 UTC m=+0.1`;

/** Writes the day folder under `root`; returns its path. */
export async function writeNezhaFixture(root: string, o: FixtureOptions): Promise<string> {
  const rng = new Rng(o.seed ?? 1);
  const dir = path.join(root, o.name);
  await mkdir(path.join(dir, 'metric'), { recursive: true });
  const date = o.name.slice(-10);
  const t0 = Date.parse(`${date}T00:00:10Z`) / 1000;
  const pods = ['frontend-6d8f9c7b5-abcde', 'cart-5c4d3b2a1-fghij', 'pay-7a6b5c4d3-klmno'];
  const active = (pod: string, m: number, type?: string): boolean =>
    o.faults.some(
      (f) =>
        f.pod === pod &&
        (type === undefined || f.type === type) &&
        m > f.minute &&
        m <= f.minute + 3,
    );
  for (const pod of pods) {
    const lines = [POD_HEADER];
    for (let m = 0; m < o.minutes; m++) {
      const t = t0 + m * 60;
      const cpuHog = active(pod, m, 'cpu_contention');
      const slow =
        o.faults.some((f) => f.type === 'network_delay' && m > f.minute && m <= f.minute + 3) &&
        pod.startsWith('frontend');
      const cpu = cpuHog ? 100 : 3 + rng.normal() * 0.3;
      const p95 = (cpuHog || slow ? 1.5 : 0.05) * (1 + 0.05 * rng.normal());
      const empty = rng.chance(0.02);
      lines.push(
        [
          fmtTime(t),
          // A TimeStamp that is off, as on 2022-08-22: the converter must read Time.
          String(t + 200_000_000),
          pod,
          (cpu * 5).toFixed(3),
          cpu.toFixed(4),
          '200',
          '20',
          '0',
          '0',
          (30000 * (1 + 0.05 * rng.normal())).toFixed(1),
          '90000',
          '0.05',
          '0.04',
          '0.06',
          empty ? '' : p95.toFixed(5),
          '0.1',
          '0.1',
          (8 + rng.normal() * 0.2).toFixed(3),
          '0',
          '10',
          '30',
          '30000',
        ].join(','),
      );
    }
    await writeFile(path.join(dir, 'metric', `${pod}_metric.csv`), lines.join('\n') + '\n');
  }
  const front = [
    'Time,TimeStamp,ServiceName,SuccessRate(%),LatencyP50(s),LatencyP90(s),LatencyP95(s),LatencyP99(s)',
  ];
  for (let m = 0; m < o.minutes; m++) {
    const failing = o.faults.some(
      (f) => f.type === 'exception' && m > f.minute && m <= f.minute + 3,
    );
    const slow = o.faults.some((f) => f.type !== 'exception' && m > f.minute && m <= f.minute + 3);
    const sr = o.successRateUnusable ? 0 : failing ? 70 : 100;
    const p90 = (slow ? 1.6 : 0.3) * (1 + 0.05 * rng.normal());
    front.push(
      [
        fmtTime(t0 + m * 60),
        String(t0 + m * 60),
        'Frontend',
        sr,
        0.1,
        p90.toFixed(4),
        (p90 * 1.2).toFixed(4),
        (p90 * 1.5).toFixed(4),
      ].join(','),
    );
  }
  await writeFile(path.join(dir, 'metric', 'front_service.csv'), front.join('\n') + '\n');
  if (o.callerLatency) {
    const edges = [
      ['frontend', 'cart'],
      ['frontend', 'pay'],
      ['cart', 'pay'],
    ] as const;
    const lines = [`time,timestamp,${edges.map(([a, b]) => `${a}_${b}`).join(',')}`];
    for (let m = 0; m < o.minutes; m++) {
      const t = t0 + m * 60 + 10;
      const cells = edges.map(([caller, callee]) => {
        if (m === 5) return ''; // an empty cell
        const delayed = o.faults.some(
          (f) =>
            f.type === 'network_delay' &&
            f.pod.startsWith(`${callee}-`) &&
            m > f.minute &&
            m <= f.minute + 3,
        );
        // Minute 12: the sparse cart → pay edge alone jumps (one slow call is its median).
        const blip = m === 12 && callee === 'pay' && caller === 'cart';
        return ((delayed ? 0.25 : blip ? 0.2 : 0.005) * (1 + 0.05 * rng.normal())).toFixed(5);
      });
      lines.push([fmtTime(t), String(t), ...cells].join(','));
    }
    await writeFile(path.join(dir, 'metric', 'source_50.csv'), lines.join('\n') + '\n');
  }
  const list: Record<string, unknown[]> = {};
  for (const f of o.faults) {
    const t = t0 + f.minute * 60 + 30;
    const hour = new Date(t * 1000).toISOString().slice(11, 13);
    (list[hour] ??= []).push({
      inject_time: new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' '),
      inject_timestamp: String(o.shiftedTimestamps ? t - 8 * 3600 : t),
      inject_pod: f.pod,
      inject_type: f.type,
    });
  }
  await writeFile(path.join(dir, `${date}-fault_list.json`), JSON.stringify(list, null, 2));
  return dir;
}
