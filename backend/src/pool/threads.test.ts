import { describe, expect, it } from '@jest/globals';
import { MAX_AUTO_THREADS, autoScoringThreads, cpuLimitOf, readCgroupCpuFiles } from './threads.js';

describe('cpuLimitOf', () => {
  it.each([
    ['cgroup v2, 2 CPUs', { cpuMax: '200000 100000\n' }, 2],
    ['cgroup v2, 1.5 CPUs', { cpuMax: '150000 100000' }, 1.5],
    ['cgroup v2, no limit', { cpuMax: 'max 100000\n' }, undefined],
    ['cgroup v2, garbage', { cpuMax: 'x y' }, undefined],
    ['cgroup v2, empty', { cpuMax: '' }, undefined],
    ['cgroup v1, 250m', { cfsQuotaUs: '25000\n', cfsPeriodUs: '100000\n' }, 0.25],
    ['cgroup v1, no limit', { cfsQuotaUs: '-1', cfsPeriodUs: '100000' }, undefined],
    ['cgroup v1, zero period', { cfsQuotaUs: '100000', cfsPeriodUs: '0' }, undefined],
    ['no cgroup files', {}, undefined],
  ])('%s', (_name, files, want) => {
    expect(cpuLimitOf(files)).toBe(want);
  });
});

describe('autoScoringThreads', () => {
  it.each([
    [2, undefined, 2],
    [2, 1, 1],
    [8, 2, 2],
    [2, 1.5, 1],
    [2, 0.25, 1],
    [1, undefined, 1],
    [0, undefined, 1],
    [64, undefined, MAX_AUTO_THREADS],
    [4, 3.9, 3],
  ])('%d CPUs, limit %p → %d threads', (available, limit, want) => {
    expect(autoScoringThreads(available, limit)).toBe(want);
  });
});

describe('readCgroupCpuFiles', () => {
  it('reads cgroup v2 first, then v1', () => {
    const v2 = { '/sys/fs/cgroup/cpu.max': '100000 100000' } as Record<string, string>;
    expect(readCgroupCpuFiles((f) => v2[f])).toEqual({ cpuMax: '100000 100000' });
    const v1 = {
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
    } as Record<string, string>;
    expect(cpuLimitOf(readCgroupCpuFiles((f) => v1[f]))).toBe(0.5);
    expect(cpuLimitOf(readCgroupCpuFiles(() => undefined))).toBeUndefined();
  });
});
