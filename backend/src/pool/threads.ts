/**
 * How many threads score a large batch by default (`SCORING_THREADS=auto`): the CPUs the
 * process may run on (`os.availableParallelism()`), but no more than its CPU limit. In a
 * container with `limits.cpu: 1` Node still sees every core of the node, and a second thread
 * would only be throttled by the CFS quota — so the quota decides, rounded down.
 */
import { readFileSync } from 'node:fs';

/** The most threads `auto` picks: more rarely pays for a 10,000-row batch (slices get small). */
export const MAX_AUTO_THREADS = 8;

/**
 * The CPU limit in CPUs from the cgroup files' text, or undefined without a limit: cgroup v2's
 * `cpu.max` (`"150000 100000"`, `"max 100000"`) or v1's quota and period (`-1` = none).
 */
export function cpuLimitOf(files: {
  cpuMax?: string;
  cfsQuotaUs?: string;
  cfsPeriodUs?: string;
}): number | undefined {
  if (files.cpuMax !== undefined) {
    const [quota, period] = files.cpuMax.trim().split(/\s+/);
    return limit(Number(quota), Number(period ?? 100_000));
  }
  if (files.cfsQuotaUs !== undefined) {
    return limit(Number(files.cfsQuotaUs), Number(files.cfsPeriodUs ?? 100_000));
  }
  return undefined;
}

function limit(quota: number, period: number): number | undefined {
  return quota > 0 && period > 0 ? quota / period : undefined;
}

/** `auto`: min(available CPUs, the CPU limit rounded down, MAX_AUTO_THREADS), at least 1. */
export function autoScoringThreads(available: number, cpuLimit: number | undefined): number {
  const byLimit = cpuLimit === undefined ? Infinity : Math.floor(cpuLimit);
  return Math.max(1, Math.min(Math.floor(available), byLimit, MAX_AUTO_THREADS));
}

/** The cgroup files of this process's CPU limit, those that exist (v2 first, then v1). */
export function readCgroupCpuFiles(
  read: (file: string) => string | undefined = readIfExists,
): Parameters<typeof cpuLimitOf>[0] {
  const cpuMax = read('/sys/fs/cgroup/cpu.max');
  if (cpuMax !== undefined) return { cpuMax };
  return {
    cfsQuotaUs: read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),
    cfsPeriodUs: read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'),
  };
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
