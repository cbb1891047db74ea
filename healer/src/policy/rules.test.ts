import { describe, expect, it } from '@jest/globals';
import { configFromSources } from '../config.js';
import { defaultRules, resolveRules } from './rules.js';

const BASE = defaultRules(configFromSources({}));

describe('resolveRules (annotation overrides)', () => {
  it.each<[string, Record<string, string>, Record<string, unknown>, string[]]>([
    ['no annotations', {}, { high: 0.8, low: 0.5, maxReplicas: 10 }, []],
    ['threshold', { 'aiops.io/threshold': '0.9' }, { high: 0.9 }, []],
    ['boundary threshold 1', { 'aiops.io/threshold': '1' }, { high: 1 }, []],
    [
      'threshold NaN',
      { 'aiops.io/threshold': 'NaN' },
      { high: 0.8 },
      ['aiops.io/threshold: "NaN" is not a number in [0, 1]; using 0.8'],
    ],
    [
      'threshold empty',
      { 'aiops.io/threshold': '' },
      { high: 0.8 },
      ['aiops.io/threshold: "" is not a number in [0, 1]; using 0.8'],
    ],
    [
      'threshold > 1',
      { 'aiops.io/threshold': '1.2' },
      { high: 0.8 },
      ['aiops.io/threshold: "1.2" is not a number in [0, 1]; using 0.8'],
    ],
    ['low above high', { 'aiops.io/threshold': '0.4' }, { high: 0.4, low: 0.4 }, []],
    [
      'explicit low above high',
      { 'aiops.io/threshold-low': '0.9' },
      { high: 0.8, low: 0.8 },
      ['aiops.io/threshold-low: 0.9 is above the high threshold 0.8; using 0.8'],
    ],
    ['max replicas', { 'aiops.io/max-replicas': '4' }, { maxReplicas: 4 }, []],
    [
      'max replicas fraction',
      { 'aiops.io/max-replicas': '4.5' },
      { maxReplicas: 10 },
      ['aiops.io/max-replicas: "4.5" is not an integer in [1, 10000]; using 10'],
    ],
    ['scale step 0', { 'aiops.io/scale-step': '0' }, { scaleStep: 0 }, []],
    ['stabilisation', { 'aiops.io/stabilisation-seconds': '60' }, { stabilisationMs: 60_000 }, []],
    ['dry-run', { 'aiops.io/dry-run': 'true' }, { dryRun: true }, []],
    [
      'dry-run bad',
      { 'aiops.io/dry-run': 'yes' },
      { dryRun: false },
      ['aiops.io/dry-run: "yes" is not true or false; using false'],
    ],
    [
      'ladder',
      { 'aiops.io/ladder': 'restart_scale, page' },
      { ladder: ['restart_scale', 'page'] },
      [],
    ],
    [
      'ladder unknown step',
      { 'aiops.io/ladder': 'restart_scale,reboot' },
      { ladder: BASE.ladder },
      [
        'aiops.io/ladder: "restart_scale,reboot" must list steps from restart_scale,cache_clear_restart,rollback,page; using restart_scale,cache_clear_restart,rollback,page',
      ],
    ],
    [
      'cache clear proxy',
      {
        'aiops.io/cache-clear-method': 'proxy',
        'aiops.io/cache-clear-path': '/flush',
        'aiops.io/cache-clear-port': '9000',
      },
      { cacheClear: { method: 'proxy', path: '/flush', port: 9000 } },
      [],
    ],
    [
      'cache clear exec JSON',
      {
        'aiops.io/cache-clear-command': '["redis-cli","FLUSHALL"]',
        'aiops.io/cache-clear-container': 'redis',
      },
      { cacheClear: { method: 'exec', command: ['redis-cli', 'FLUSHALL'], container: 'redis' } },
      [],
    ],
    [
      'cache clear exec string',
      { 'aiops.io/cache-clear-command': 'rm -rf /cache/*' },
      { cacheClear: { method: 'exec', command: ['sh', '-c', 'rm -rf /cache/*'] } },
      [],
    ],
    [
      'cache clear bad command',
      { 'aiops.io/cache-clear-command': '[1,2]' },
      {
        cacheClear: {
          method: 'exec',
          command: BASE.cacheClear.method === 'exec' ? BASE.cacheClear.command : [],
        },
      },
      [
        'aiops.io/cache-clear-command: "[1,2]" is empty or not a JSON array of strings; using ["sh","-c","rm -rf /tmp/cache/*"]',
      ],
    ],
    [
      'cache clear bad path',
      { 'aiops.io/cache-clear-method': 'proxy', 'aiops.io/cache-clear-path': 'flush' },
      { cacheClear: { method: 'proxy', path: '/cache/clear' } },
      ['aiops.io/cache-clear-path: "flush" does not start with /; using /cache/clear'],
    ],
    [
      'cache clear none drops the rung',
      { 'aiops.io/cache-clear-method': 'none' },
      { cacheClear: { method: 'none' }, ladder: ['restart_scale', 'rollback', 'page'] },
      [],
    ],
    [
      'cache clear bad method',
      { 'aiops.io/cache-clear-method': 'ssh' },
      { cacheClear: { method: 'exec' } },
      ['aiops.io/cache-clear-method: "ssh" is not exec, proxy or none; using exec'],
    ],
  ])('%s', (_n, annotations, expected, problems) => {
    const r = resolveRules(BASE, annotations);
    expect(r.rules).toMatchObject(expected);
    expect(r.problems).toEqual(problems);
  });

  it('cannot switch a global dry-run off', () => {
    const base = { ...BASE, dryRun: true };
    expect(resolveRules(base, { 'aiops.io/dry-run': 'false' }).rules.dryRun).toBe(true);
  });
});
