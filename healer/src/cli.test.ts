import { describe, expect, it } from '@jest/globals';
import { exitCode, formatReport, parseCheckArgs } from './cli.js';
import type { CycleReport, CycleRow } from './loop/healer.js';

const row = (o: Partial<CycleRow>): CycleRow => ({
  namespace: 'prod',
  name: 'web',
  risk: 0.12,
  level: 'low',
  top: 'http_5xx_error_rate=0 (+0.01)',
  decision: 'none',
  detail: 'risk 0.12 < 0.80',
  dryRun: false,
  atRisk: false,
  inconclusive: false,
  ...o,
});
const report = (rows: CycleRow[], errors: string[] = []): CycleReport => ({
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 12,
  watched: rows.length,
  rows,
  errors,
});

describe('healer check arguments', () => {
  it.each<[string[], Record<string, unknown>]>([
    [['check'], { dryRun: false, format: 'table' }],
    [['check', '--dry-run', '--json'], { dryRun: true, format: 'json' }],
    [
      ['check', '-n', 'prod', '--namespace', 'dev,qa', '--selector', 'team=a', '--markdown'],
      { namespaces: ['prod', 'dev', 'qa'], selector: 'team=a', format: 'markdown' },
    ],
  ])('%j', (argv, expected) => {
    expect(parseCheckArgs(argv)).toMatchObject(expected);
  });

  it.each<[string[], string]>([
    [[], 'expected the command "check", got nothing'],
    [['heal'], 'expected the command "check", got "heal"'],
    [['check', '--json', '--markdown'], '--json and --markdown: choose one'],
    [['check', '--frobnicate'], "Unknown option '--frobnicate'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCheckArgs(argv)).toThrow(message);
  });
});

describe('exit codes', () => {
  it.each<[string, CycleReport, number]>([
    ['all healthy', report([row({}), row({ name: 'api' })]), 0],
    ['no deployments', report([]), 0],
    [
      'risk found',
      report([row({}), row({ name: 'api', risk: 0.93, atRisk: true, decision: 'restart_scale' })]),
      1,
    ],
    [
      'planned in dry-run',
      report([row({ risk: 0.9, atRisk: true, dryRun: true, actionStatus: 'dry_run' })]),
      1,
    ],
    [
      'inconclusive only',
      report([row({ risk: null, level: null, inconclusive: true, decision: 'inconclusive' })]),
      2,
    ],
    [
      'risk beats inconclusive',
      report([row({ risk: null, inconclusive: true }), row({ name: 'x', atRisk: true })]),
      1,
    ],
    ['cycle error', report([row({ atRisk: true })], ['listing deployments failed: HTTP 403']), 2],
  ])('%s → %i', (_n, r, code) => {
    expect(exitCode(r)).toBe(code);
  });
});

describe('formatReport', () => {
  const r = report([
    row({}),
    row({
      name: 'checkout',
      risk: 0.93,
      level: 'critical',
      top: 'http_5xx_error_rate=0.31 (+0.42)',
      decision: 'restart_scale',
      actionStatus: 'done',
      atRisk: true,
      detail: 'risk 0.93 ≥ 0.80 | x',
    }),
    row({
      name: 'cart',
      risk: null,
      level: null,
      top: '',
      decision: 'inconclusive',
      inconclusive: true,
    }),
  ]);

  it('prints an aligned table', () => {
    expect(formatReport(r, 'table')).toBe(
      [
        'deployment     risk  level         top features                      decision',
        'prod/web       0.12  low           http_5xx_error_rate=0 (+0.01)     none',
        'prod/checkout  0.93  critical      http_5xx_error_rate=0.31 (+0.42)  restart_scale (done)',
        'prod/cart      –     inconclusive  –                                 inconclusive',
      ].join('\n'),
    );
  });

  it('prints markdown with escaped pipes', () => {
    const md = formatReport(r, 'markdown');
    expect(md.split('\n').slice(0, 3)).toEqual([
      '| deployment | risk | level | top features | decision |',
      '| --- | --- | --- | --- | --- |',
      '| prod/web | 0.12 | low | http_5xx_error_rate=0 (+0.01) | none |',
    ]);
    expect(md).toContain('- `prod/checkout`: risk 0.93 ≥ 0.80 \\| x');
  });

  it('prints JSON that parses back', () => {
    expect(JSON.parse(formatReport(r, 'json'))).toEqual(r);
  });

  it('says when nothing is watched and lists errors', () => {
    expect(formatReport(report([], ['boom']), 'table')).toBe(
      'deployment  risk  level  top features  decision\n(no watched deployments)\nerror: boom',
    );
  });
});
