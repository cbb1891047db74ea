/**
 * Reads a day of the Nezha fault-injection testbed (IntelligentDDS/Nezha `rca_data/<day>/`, see
 * ../shared/data/nezha/README.md) and maps it onto our feature schema as long-format replay rows,
 * one per pod file row, plus the labelled faults and the entry service's series.
 *
 * The mapping (documented in model/README.md, "Real data: Nezha"):
 *
 * | ours | Nezha |
 * | --- | --- |
 * | namespace | the day folder's name before `_<date>` (`onlineboutique`) |
 * | deployment | the pod name without its last two `-` segments |
 * | timestamp | `Time`, first 19 characters, UTC (never `TimeStamp`: it is off on some days) |
 * | cpu_usage_pct | `CpuUsageRate(%)` |
 * | memory_usage_bytes | `MemoryUsage(Mi)` × 2²⁰ |
 * | memory_limit_ratio | `MemoryUsageRate(%)` / 100 |
 * | network_receive_bytes_per_s | `NetworkReceiveBytes` (already a rate) |
 * | http_p95_latency_seconds | `PodServerLatencyP95(s)` |
 * | http_requests_per_s | `PodWorkload(Ops)` |
 * | http_caller_p95_latency_seconds | `source_50.csv` (Istio source-side latency per call edge, its median): what every caller of the service sees (the fastest caller's), nearest minute; only where the day has the file |
 * | http_5xx_error_rate | 1 − `SuccessRate(%)`/100 of `front_service.csv` on the entry deployment; left out when the column is 0 in every row (unusable) |
 * | restart_count_last_5m, unavailable_replicas | 0; ready_replica_ratio 1; replicas 1 (1 pod, never killed) |
 *
 * Empty cells stay empty (replay carries the last value forward within the 5-minute lookback).
 * `PodSuccessRate(%)` is 0 in every pod file and is not used. The entry service (`front_service.csv`,
 * `ServiceName` e.g. `Frontend`) becomes the deployment of that name (lower case) when a pod of
 * that name exists, else its own series, with its p95 latency and (when usable) error ratio.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FeatureName } from '../schema.js';

/** The folder or one of its files cannot be read as a Nezha day. */
export class NezhaFormatError extends Error {
  override readonly name = 'NezhaFormatError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export interface NezhaFault {
  /** Unix seconds of the injection. */
  t: number;
  deployment: string;
  type: string;
  /** Which field `t` came from (see `faultTime`). */
  source: 'inject_timestamp' | 'inject_time';
}

export interface LongRow {
  /** Unix seconds. */
  t: number;
  namespace: string;
  deployment: string;
  values: Partial<Record<FeatureName, number>>;
}

export interface EntryRow {
  t: number;
  /** 0–100, NaN when empty. */
  successRate: number;
  p90: number;
  p95: number;
}

export interface NezhaDay {
  /** The folder name, e.g. `onlineboutique_2022-08-22`. */
  name: string;
  system: string;
  faults: NezhaFault[];
  rows: LongRow[];
  entry: { deployment: string; rows: EntryRow[]; successRateUsable: boolean };
  /** Data quirks found and how they were handled, for the report. */
  notes: string[];
}

/** Day folders under `dir`: those with a `*fault_list.json` and a `metric/` folder, sorted by name. */
export async function discoverDays(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new NezhaFormatError(dir, `cannot list the folder (${(err as Error).message})`);
  }
  const days: string[] = [];
  for (const name of names.sort()) {
    const p = path.join(dir, name);
    if (!(await stat(p)).isDirectory()) continue;
    if (!existsSync(path.join(p, 'metric'))) continue;
    if ((await readdir(p)).some((f) => f.endsWith('fault_list.json'))) days.push(p);
  }
  return days;
}

/** `2022-08-22 03:51:19.799087274 +0000 UTC m=+0.30` → unix seconds (first 19 characters, UTC). */
export function parseNezhaTime(text: string): number | undefined {
  const s = text.trim().slice(0, 19);
  if (!/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d$/.test(s)) return undefined;
  const ms = Date.parse(`${s.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/**
 * When a fault happened: `inject_timestamp` when it agrees with `inject_time` (read as UTC, like the
 * metrics' `Time`) within 2 minutes; otherwise `inject_time`. On 2023-01-29 the timestamps of the
 * first 24 faults are 8 hours early (another clock or time zone), before the metrics even start,
 * while their `inject_time` falls where the metrics show them.
 */
export function faultTime(entry: { inject_time?: unknown; inject_timestamp?: unknown }):
  | {
      t: number;
      source: NezhaFault['source'];
    }
  | undefined {
  const ts = Number(entry.inject_timestamp);
  const wall =
    typeof entry.inject_time === 'string' ? parseNezhaTime(entry.inject_time) : undefined;
  if (Number.isFinite(ts) && ts > 0 && (wall === undefined || Math.abs(ts - wall) <= 120)) {
    return { t: ts, source: 'inject_timestamp' };
  }
  if (wall !== undefined) return { t: wall, source: 'inject_time' };
  return undefined;
}

/** Pod name → deployment: without its last two `-` segments (ReplicaSet hash and pod suffix). */
export function deploymentOfPod(pod: string): string {
  const parts = pod.split('-');
  return parts.length > 2 ? parts.slice(0, -2).join('-') : pod;
}

/** Splits a simple CSV (no quoted commas: Nezha's files have none). */
function parseCsv(text: string, file: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new NezhaFormatError(file, 'is empty');
  const header = (lines[0] as string).split(',').map((h) => h.trim());
  return { header, rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Up to 3 file names, then how many more. */
function namesOf(files: readonly string[]): string {
  return files.length <= 3
    ? files.join(', ')
    : `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`;
}

/** A cell as a finite number, or NaN when empty or not a number. */
function num(cell: string | undefined): number {
  if (cell === undefined || cell.trim() === '') return NaN;
  const v = Number(cell);
  return Number.isFinite(v) ? v : NaN;
}

const POD_MAPPING: readonly (readonly [FeatureName, string, (v: number) => number])[] = [
  ['cpu_usage_pct', 'CpuUsageRate(%)', (v) => v],
  ['memory_usage_bytes', 'MemoryUsage(Mi)', (v) => v * 2 ** 20],
  ['memory_limit_ratio', 'MemoryUsageRate(%)', (v) => v / 100],
  ['network_receive_bytes_per_s', 'NetworkReceiveBytes', (v) => v],
  ['http_p95_latency_seconds', 'PodServerLatencyP95(s)', (v) => v],
  ['http_requests_per_s', 'PodWorkload(Ops)', (v) => v],
];

/** The schema's valid ranges for the mapped features (values outside are left out and counted). */
const RANGE: Partial<Record<FeatureName, [number, number]>> = {
  cpu_usage_pct: [0, 1000],
  memory_usage_bytes: [0, 1e13],
  memory_limit_ratio: [0, 2],
  network_receive_bytes_per_s: [0, 1e12],
  http_p95_latency_seconds: [0, 600],
  http_requests_per_s: [0, 1e9],
  http_5xx_error_rate: [0, 1],
};

/** How far a caller-latency row may be from a pod row it is joined to (rows are 1 minute apart). */
const JOIN_TOLERANCE_SECONDS = 30;

/**
 * The callers' latency of each destination service: `source_50.csv` (Istio's source-side
 * latency per call edge, columns `<caller>_<callee>`; the 50th percentile, as its name says —
 * the only quantile the testbed recorded per edge) reduced per callee and minute to what every
 * caller sees: the fastest caller's latency. A delay of the service itself slows every call to
 * it; one sparse edge whose median jumps on its own (a few calls a minute: one slow call is its
 * median) is that caller or that link. The healer's query pools every caller's requests by
 * destination, so a sparse edge barely moves it either; the file has no per-edge request counts
 * to pool with, and the slowest caller (this function's first version) let such an edge alone
 * raise an alert (Online Boutique: checkoutservice → currencyservice, 6 false-alarm minutes).
 * Undefined when the day has no such file (the Train Ticket days).
 */
export async function readCallerLatency(
  metricDir: string,
  deployments: ReadonlySet<string>,
): Promise<Map<string, { t: number[]; v: number[] }> | undefined> {
  const file = path.join(metricDir, 'source_50.csv');
  if (!existsSync(file)) return undefined;
  const { header, rows: cells } = parseCsv(await readFile(file, 'utf8'), 'source_50.csv');
  const tCol = header.findIndex((h) => h.toLowerCase() === 'time');
  if (tCol < 0) throw new NezhaFormatError('source_50.csv', 'has no column time');
  // `<caller>_<callee>`, split where both halves are services of the day.
  const callee: (string | undefined)[] = header.map((h) => {
    for (let i = h.indexOf('_'); i > 0; i = h.indexOf('_', i + 1)) {
      if (deployments.has(h.slice(0, i)) && deployments.has(h.slice(i + 1))) return h.slice(i + 1);
    }
    return undefined;
  });
  const out = new Map<string, { t: number[]; v: number[] }>();
  const timed = cells
    .map((c) => ({ t: parseNezhaTime(c[tCol] ?? ''), c }))
    .filter((r): r is { t: number; c: string[] } => r.t !== undefined)
    .sort((a, b) => a.t - b.t);
  for (const { t, c } of timed) {
    const everyCaller = new Map<string, number>();
    callee.forEach((to, i) => {
      const v = num(c[i]);
      if (to === undefined || !(v >= 0 && v <= 600)) return;
      everyCaller.set(to, Math.min(everyCaller.get(to) ?? Infinity, v));
    });
    for (const [to, v] of everyCaller) {
      let series = out.get(to);
      if (!series) out.set(to, (series = { t: [], v: [] }));
      series.t.push(t);
      series.v.push(v);
    }
  }
  return out;
}

/** The value of `series` nearest to `t` within the join tolerance. */
function nearest(series: { t: number[]; v: number[] }, t: number): number | undefined {
  let lo = 0;
  let hi = series.t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((series.t[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  let best: number | undefined;
  let gap = JOIN_TOLERANCE_SECONDS;
  for (const k of [lo - 1, lo]) {
    const tk = series.t[k];
    if (tk !== undefined && Math.abs(tk - t) <= gap) {
      gap = Math.abs(tk - t);
      best = series.v[k];
    }
  }
  return best;
}

/** Reads one day folder. */
export async function readNezhaDay(dayDir: string): Promise<NezhaDay> {
  const name = path.basename(dayDir);
  const system = name.replace(/_\d{4}-\d\d-\d\d$/, '');
  const notes: string[] = [];
  const faultFile = (await readdir(dayDir)).find((f) => f.endsWith('fault_list.json'));
  if (!faultFile) throw new NezhaFormatError(dayDir, 'has no *fault_list.json');
  let list: unknown;
  try {
    list = JSON.parse(await readFile(path.join(dayDir, faultFile), 'utf8'));
  } catch (err) {
    throw new NezhaFormatError(faultFile, `is not JSON (${(err as Error).message})`);
  }
  if (typeof list !== 'object' || list === null)
    throw new NezhaFormatError(faultFile, 'is not an object keyed by hour');
  const faults: NezhaFault[] = [];
  let fromTime = 0;
  for (const entries of Object.values(list as Record<string, unknown>)) {
    if (!Array.isArray(entries)) continue;
    for (const e of entries as Record<string, unknown>[]) {
      const when = faultTime(e);
      if (!when || typeof e.inject_pod !== 'string') {
        notes.push(
          `fault entry without a usable time or pod skipped: ${JSON.stringify(e).slice(0, 120)}`,
        );
        continue;
      }
      if (when.source === 'inject_time') fromTime++;
      faults.push({
        t: when.t,
        deployment: deploymentOfPod(e.inject_pod),
        type: typeof e.inject_type === 'string' ? e.inject_type : 'unknown',
        source: when.source,
      });
    }
  }
  faults.sort((a, b) => a.t - b.t);
  if (fromTime > 0) {
    notes.push(
      `${fromTime} of ${faults.length} faults timed by inject_time: their inject_timestamp disagrees by more than 2 min`,
    );
  }

  const metricDir = path.join(dayDir, 'metric');
  const files = (await readdir(metricDir)).sort();
  const rows: LongRow[] = [];
  let outOfRange = 0;
  let badTime = 0;
  const deployments = new Set<string>();
  // A file or column the day lacks costs that file or that signal, named in the notes; the rest
  // of the day is still evaluated (a testbed's export is rarely whole).
  const skippedFiles: string[] = [];
  const missingColumns = new Map<string, string[]>();
  for (const f of files) {
    if (!f.endsWith('_metric.csv')) continue;
    const file = path.join(metricDir, f);
    const text = await readFile(file, 'utf8');
    if (text.trim() === '') {
      skippedFiles.push(`${f} (empty)`);
      continue;
    }
    const { header, rows: cells } = parseCsv(text, f);
    const tCol = header.indexOf('Time');
    if (cells.length === 0) {
      skippedFiles.push(`${f} (no rows)`);
      continue;
    }
    if (tCol < 0) {
      skippedFiles.push(`${f} (no column Time)`);
      continue;
    }
    const cols = POD_MAPPING.flatMap(([feature, col, map]) => {
      const i = header.indexOf(col);
      if (i < 0) {
        const files = missingColumns.get(col) ?? [];
        files.push(f);
        missingColumns.set(col, files);
        return [];
      }
      return [[feature, i, map] as const];
    });
    const podCol = header.indexOf('PodName');
    for (const c of cells) {
      const t = parseNezhaTime(c[tCol] ?? '');
      if (t === undefined) {
        badTime++;
        continue;
      }
      const pod = podCol >= 0 && c[podCol] ? (c[podCol] as string) : f.replace(/_metric\.csv$/, '');
      const deployment = deploymentOfPod(pod.trim());
      deployments.add(deployment);
      const values: Partial<Record<FeatureName, number>> = {
        restart_count_last_5m: 0,
        ready_replica_ratio: 1,
        unavailable_replicas: 0,
        replicas: 1,
      };
      for (const [feature, i, map] of cols) {
        const v = num(c[i]);
        if (!Number.isFinite(v)) continue;
        const x = map(v);
        const [lo, hi] = RANGE[feature] as [number, number];
        if (x < lo || x > hi) {
          outOfRange++;
          continue;
        }
        values[feature] = x;
      }
      rows.push({ t, namespace: system, deployment, values });
    }
  }
  const callers = await readCallerLatency(metricDir, deployments);
  if (callers) {
    let joined = 0;
    for (const row of rows) {
      const series = callers.get(row.deployment);
      const v = series && nearest(series, row.t);
      if (v === undefined) continue;
      row.values.http_caller_p95_latency_seconds = v;
      joined++;
    }
    notes.push(
      `callers' latency (source_50.csv, the median per call edge, what every caller sees: the fastest) for ${callers.size} services, on ${joined} pod rows`,
    );
  }
  if (skippedFiles.length > 0) notes.push(`pod files skipped: ${skippedFiles.join(', ')}`);
  for (const [col, inFiles] of missingColumns) {
    notes.push(`no column ${col} in ${namesOf(inFiles)}: that signal left empty there`);
  }
  if (rows.length === 0)
    throw new NezhaFormatError(
      dayDir,
      'no pod file with a readable Time column: nothing to replay',
    );
  const unseen = new Map<string, number>();
  for (const f of faults) {
    if (!deployments.has(f.deployment))
      unseen.set(f.deployment, (unseen.get(f.deployment) ?? 0) + 1);
  }
  if (unseen.size > 0) {
    notes.push(
      `faults on deployments with no pod file (found only through other services' alarms): ${[
        ...unseen,
      ]
        .map(([d, n]) => `${d} (${n})`)
        .join(', ')}`,
    );
  }
  if (badTime > 0) notes.push(`${badTime} pod rows with an unreadable Time skipped`);
  if (outOfRange > 0) notes.push(`${outOfRange} pod cells outside the schema's range left empty`);

  // The entry service.
  const entryFile = path.join(metricDir, 'front_service.csv');
  const entryRows: EntryRow[] = [];
  let entryName = 'frontend';
  if (existsSync(entryFile)) {
    const { header, rows: cells } = parseCsv(
      await readFile(entryFile, 'utf8'),
      'front_service.csv',
    );
    const tCol = header.indexOf('Time');
    const [sr, p90, p95] = ['SuccessRate(%)', 'LatencyP90(s)', 'LatencyP95(s)'].map((name) => {
      const i = header.indexOf(name);
      if (i < 0 && tCol >= 0) notes.push(`no column ${name} in front_service.csv: left empty`);
      return i;
    }) as [number, number, number];
    const svc = header.indexOf('ServiceName');
    if (tCol < 0) notes.push('no column Time in front_service.csv: no entry-service series');
    for (const c of tCol < 0 ? [] : cells) {
      const t = parseNezhaTime(c[tCol] ?? '');
      if (t === undefined) continue;
      if (svc >= 0 && c[svc]) entryName = (c[svc] as string).trim().toLowerCase() || entryName;
      entryRows.push({ t, successRate: num(c[sr]), p90: num(c[p90]), p95: num(c[p95]) });
    }
  } else notes.push('no front_service.csv: no entry-service series');
  const successRateUsable = entryRows.some(
    (r) => Number.isFinite(r.successRate) && r.successRate > 0,
  );
  if (entryRows.length > 0 && !successRateUsable) {
    notes.push(
      'front_service.csv SuccessRate(%) is 0 in every row: unusable, so no error signal this day',
    );
  }
  // Merge the entry service's error ratio into its deployment, or add it as its own series.
  if (entryRows.length > 0) {
    const byMinute = new Map<number, EntryRow>();
    for (const r of entryRows) byMinute.set(Math.floor(r.t / 60), r);
    if (deployments.has(entryName)) {
      if (successRateUsable) {
        for (const row of rows) {
          if (row.deployment !== entryName) continue;
          const e = byMinute.get(Math.floor(row.t / 60));
          if (e && Number.isFinite(e.successRate)) {
            row.values.http_5xx_error_rate = Math.min(1, Math.max(0, 1 - e.successRate / 100));
          }
        }
      }
    } else {
      for (const e of entryRows) {
        const values: Partial<Record<FeatureName, number>> = {
          restart_count_last_5m: 0,
          ready_replica_ratio: 1,
          unavailable_replicas: 0,
          replicas: 1,
        };
        if (Number.isFinite(e.p95) && e.p95 >= 0 && e.p95 <= 600)
          values.http_p95_latency_seconds = e.p95;
        if (successRateUsable && Number.isFinite(e.successRate)) {
          values.http_5xx_error_rate = Math.min(1, Math.max(0, 1 - e.successRate / 100));
        }
        rows.push({ t: e.t, namespace: system, deployment: entryName, values });
      }
    }
  }
  rows.sort((a, b) => a.t - b.t || a.deployment.localeCompare(b.deployment));
  return {
    name,
    system,
    faults,
    rows,
    entry: { deployment: entryName, rows: entryRows, successRateUsable },
    notes,
  };
}
