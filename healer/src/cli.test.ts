import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ManualClock,
  defaultWorkload,
  startSimulator,
  type RunningSimulator,
} from '@aiops/simulator';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startFakePredictor, type FakePredictor } from '../test/fakePredict.js';
import { createKubeClients, loadKubeConfig } from './actions/kube.js';
import {
  exitCode,
  formatReport,
  LeaseHeldError,
  noTargetsMessage,
  parseCheckArgs,
  runCheck,
} from './cli.js';
import { configFromSources } from './config.js';
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
    // --help wins over anything else on the line (the usage, exit 0): it was "Unknown option".
    [['--help'], { help: true }],
    [['check', '-h', '--frobnicate'], { help: true }],
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
    ['no heal targets (a wrong selector is not "healthy")', report([]), 2],
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
      'deployment  risk  level  top features  decision\nerror: boom',
    );
    expect(formatReport(report([]), 'table')).toBe(
      'deployment  risk  level  top features  decision\n(no heal targets)',
    );
  });

  it('names a Rollout by its kind', () => {
    expect(formatReport(report([row({ kind: 'Rollout', name: 'orders' })]), 'table')).toContain(
      'prod/orders (Rollout)',
    );
  });
});

describe('noTargetsMessage', () => {
  const scoped = (
    namespaces: string[],
    kinds: NonNullable<CycleReport['scope']>['kinds'],
    rows: CycleRow[] = [],
  ): CycleReport => ({
    ...report(rows),
    scope: { namespaces, labelSelector: 'aiops.io/autoheal=enabled', kinds },
  });
  it.each<[string, CycleReport, string | undefined]>([
    [
      'names namespaces, selector and kinds',
      scoped(
        ['prod'],
        [
          { kind: 'Deployment', found: 0 },
          { kind: 'Rollout', found: 0 },
        ],
      ),
      'no heal targets found: looked for Deployments and Rollouts labelled aiops.io/autoheal=enabled in namespaces prod',
    ],
    [
      'says when a kind is not served (no CRD)',
      scoped(
        [],
        [
          { kind: 'Deployment', found: 0 },
          { kind: 'Rollout', found: 0, notServed: true },
        ],
      ),
      'no heal targets found: looked for Deployments and Rollouts (not served by this cluster: no such API/CRD) labelled aiops.io/autoheal=enabled in all namespaces',
    ],
    ['found some', scoped(['prod'], [{ kind: 'Rollout', found: 1 }], [row({})]), undefined],
    ['the list failed (no scope): that error is reported instead', report([]), undefined],
  ])('%s', (_n, r, want) => {
    expect(noTargetsMessage(r)).toBe(want);
  });
});

describe('healer check takes the Lease (one actor)', () => {
  let sim: RunningSimulator;
  let predictor: FakePredictor;
  beforeEach(async () => {
    sim = await startSimulator({
      clock: new ManualClock(Date.UTC(2026, 0, 1)),
      workloads: [{ ...defaultWorkload('shop', 'web'), autoheal: true, replicas: 2, baseRps: 20 }],
    });
    sim.tick(60_000);
    sim.faults.inject({ namespace: 'shop', deployment: 'web', kind: 'crash_loop' });
    sim.tick(60_000);
    // One run sees one sample: not-ready replicas alone make it risky.
    predictor = await startFakePredictor((f) => ({
      risk: f.ready_replica_ratio < 1 ? 0.95 : 0.1,
      explanation: [
        { feature: 'ready_replica_ratio', value: f.ready_replica_ratio, contribution: 0.85 },
      ],
    }));
  });
  afterEach(async () => {
    await predictor.stop();
    await sim.stop();
  });

  const deps = () => {
    const kc = loadKubeConfig(sim.kubeconfigPath);
    return {
      kc,
      config: configFromSources(
        {},
        {
          namespaces: ['shop'],
          features: { source: 'simulator', simulatorUrl: sim.url },
          backend: { url: predictor.url, retries: 0 },
          leader: { namespace: 'default' },
          logLevel: 'silent',
        },
      ),
      logger: pino({ level: 'silent' }),
      identity: 'healer-check-test',
      leases: kc.makeApiClient(CoordinationV1Api),
      restarted: async () =>
        (
          await createKubeClients(kc).apps.readNamespacedDeployment({
            name: 'web',
            namespace: 'shop',
          })
        ).spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'],
    };
  };

  it('refuses while the running healer holds the Lease, and changes nothing', async () => {
    const d = deps();
    await d.leases.createNamespacedLease({
      namespace: 'default',
      body: {
        metadata: { name: 'aiops-healer', namespace: 'default' },
        spec: {
          holderIdentity: 'aiops-healer-0',
          leaseDurationSeconds: 15,
          renewTime: new Date() as never,
        },
      },
    });
    const err = await runCheck({ dryRun: false, format: 'table' }, d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseHeldError);
    expect((err as Error).message).toBe(
      'refusing to act: the Lease default/aiops-healer is held by aiops-healer-0 (the running healer is the one actor); use --dry-run, or POST /api/check on the leader',
    );
    expect(await d.restarted()).toBeUndefined();
    const lease = await d.leases.readNamespacedLease({
      name: 'aiops-healer',
      namespace: 'default',
    });
    expect(lease.spec?.holderIdentity).toBe('aiops-healer-0');
  });

  it('takes the free Lease, acts, and releases it', async () => {
    const d = deps();
    const report = await runCheck({ dryRun: false, format: 'table' }, d);
    expect(report.rows[0]).toMatchObject({ decision: 'restart_scale', actionStatus: 'done' });
    expect(await d.restarted()).toBeDefined();
    const lease = await d.leases.readNamespacedLease({
      name: 'aiops-healer',
      namespace: 'default',
    });
    expect(lease.spec?.holderIdentity).toBe(''); // released for the in-cluster healer
  });

  it('--dry-run neither takes the Lease nor acts, even while a leader holds it', async () => {
    const d = deps();
    const report = await runCheck({ dryRun: true, format: 'table' }, d);
    expect(report.rows[0]).toMatchObject({ actionStatus: 'dry_run' });
    expect(await d.restarted()).toBeUndefined();
    await expect(
      d.leases.readNamespacedLease({ name: 'aiops-healer', namespace: 'default' }),
    ).rejects.toMatchObject({ code: 404 });
  });
});
