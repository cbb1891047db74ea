#!/usr/bin/env node
/**
 * `healer check [--namespace NS]... [--selector SEL] [--dry-run] [--json|--markdown]`: one cycle
 * now, a table of what it saw and did. Exit 0: all healthy; 1: risk found (healed or, in dry-run,
 * planned); 2: error (no heal target found, no usable assessment, config or cluster trouble).
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createKubeClients, loadKubeConfig } from './actions/kube.js';
import { LedgerBudgetGate } from './budget/gate.js';
import { loadLedgerFromEvents } from './budget/ledgerSource.js';
import { ConfigError, loadConfig, type HealerConfig } from './config.js';
import { LeaseLeaderElector } from './leader/lease.js';
import type { ElectionClock } from './leader/types.js';
import { createHealer } from './loop/factory.js';
import type { CycleReport, CycleRow } from './loop/healer.js';
import { MemoryStatusSink } from './report/memoryStatus.js';

export const USAGE = `usage: healer check [--namespace NS]... [--selector SELECTOR] [--dry-run] [--json | --markdown]
       healer --help

Runs one healer cycle now and prints deployment, risk, level, top features and decision.
One run sees one cycle, so it acts when risk ≥ the high threshold now (N = 1); the heal state
kept on the deployment (step, stabilisation window) and the budgets still apply. Without
--dry-run it takes the healer's Lease first and refuses (exit 2) while a leader holds it.
Heal targets: Deployments and Argo Rollouts carrying the label selector (HEALER_KINDS).
Exit codes: 0 all healthy · 1 risk found (healed, or planned with --dry-run) · 2 error,
including no heal target found (it says which namespaces, selector and kinds it looked in).
Configuration: the healer's environment variables and HEALER_CONFIG_FILE (see healer/README.md).`;

export type OutputFormat = 'table' | 'json' | 'markdown';

export interface CheckArgs {
  /** `--help`/`-h`: print the usage and exit 0, whatever else was given. */
  help?: true;
  namespaces?: string[];
  selector?: string;
  dryRun: boolean;
  format: OutputFormat;
}

/** Parses argv (without node and script); throws an Error naming the bad flag. */
export function parseCheckArgs(argv: string[]): CheckArgs {
  if (argv.some((a) => a === '--help' || a === '-h'))
    return { help: true, dryRun: false, format: 'table' };
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n', multiple: true },
      selector: { type: 'string', short: 'l' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
    },
  });
  if (positionals[0] !== 'check' || positionals.length > 1) {
    throw new Error(
      `expected the command "check", got ${positionals.length ? `"${positionals.join(' ')}"` : 'nothing'}`,
    );
  }
  if (values.json && values.markdown) throw new Error('--json and --markdown: choose one');
  const namespaces = values.namespace?.flatMap((n) => n.split(',')).filter(Boolean);
  return {
    ...(namespaces?.length ? { namespaces } : {}),
    ...(values.selector ? { selector: values.selector } : {}),
    dryRun: values['dry-run'] ?? false,
    format: values.json ? 'json' : values.markdown ? 'markdown' : 'table',
  };
}

/** 0 all healthy, 1 risk found, 2 error, no target found or no conclusive assessment. */
export function exitCode(report: CycleReport): 0 | 1 | 2 {
  if (report.errors.length > 0) return 2;
  // Nothing watched is not "healthy": a gate that passes on nothing hides a wrong selector.
  if (report.watched === 0) return 2;
  if (report.rows.some((r) => r.atRisk)) return 1;
  if (report.rows.some((r) => r.inconclusive)) return 2;
  return 0;
}

/**
 * Why a cycle that listed fine found nothing to check, naming where it looked; undefined when it
 * found targets (or failed to list, which is an error of its own).
 */
export function noTargetsMessage(report: CycleReport): string | undefined {
  if (report.watched > 0 || !report.scope) return undefined;
  const { namespaces, labelSelector, kinds } = report.scope;
  const where = namespaces.length > 0 ? `namespaces ${namespaces.join(', ')}` : 'all namespaces';
  const what = kinds
    .map((k) => `${k.kind}s${k.notServed ? ' (not served by this cluster: no such API/CRD)' : ''}`)
    .join(' and ');
  return `no heal targets found: looked for ${what} labelled ${labelSelector} in ${where}`;
}

const cell = (r: CycleRow): string[] => [
  `${r.namespace}/${r.name}${r.kind && r.kind !== 'Deployment' ? ` (${r.kind})` : ''}`,
  r.risk === null ? '–' : r.risk.toFixed(2),
  r.level ?? 'inconclusive',
  r.top || '–',
  `${r.dryRun && r.actionStatus === 'dry_run' ? 'would ' : ''}${r.decision}${r.actionStatus && r.actionStatus !== 'dry_run' ? ` (${r.actionStatus})` : ''}`,
];
const HEAD = ['deployment', 'risk', 'level', 'top features', 'decision'];

export function formatReport(report: CycleReport, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2);
  const rows = report.rows.map(cell);
  const errors = report.errors.map((e) => `error: ${e}`);
  if (format === 'markdown') {
    const esc = (s: string): string => s.replace(/\|/g, '\\|');
    const lines = [
      `| ${HEAD.join(' | ')} |`,
      `| ${HEAD.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    ];
    return [
      ...lines,
      '',
      ...report.rows.map((r) => `- \`${r.namespace}/${r.name}\`: ${esc(r.detail)}`),
      ...errors.map((e) => `- **${e}**`),
    ].join('\n');
  }
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(HEAD),
    ...rows.map(line),
    ...(rows.length === 0 && errors.length === 0 ? ['(no heal targets)'] : []),
    ...errors,
  ].join('\n');
}

/** Raised when `healer check` may not act: a leader holds the Lease. */
export class LeaseHeldError extends Error {
  override readonly name = 'LeaseHeldError';
  constructor(
    readonly lease: string,
    readonly holder: string,
  ) {
    super(
      `refusing to act: the Lease ${lease} is held by ${holder} (the running healer is the one actor); use --dry-run, or POST /api/check on the leader`,
    );
  }
}

export interface CheckDeps {
  config: HealerConfig;
  kc: KubeConfig;
  logger: Logger;
  /** This process's Lease identity. */
  identity: string;
  /** Default: the system clock. */
  clock?: ElectionClock;
  /** The healer's clock (ms since epoch; tests pass a simulated one). Default `Date.now`. */
  now?: () => number;
}

/**
 * One cycle, as `healer check` runs it. Without `--dry-run` the CLI is an actor like the healer:
 * it takes the Lease first (and refuses while another holder has it), acts only while it holds
 * it, and releases it at the end. Budgets fail closed: no action unless the ledger was loaded.
 */
export async function runCheck(args: CheckArgs, deps: CheckDeps): Promise<CycleReport> {
  const { config, kc, logger } = deps;
  const kube = createKubeClients(kc);
  const namespaces = args.namespaces ?? config.namespaces;
  // The budgets count the in-cluster healer's actions too (from its Events).
  const budget = new LedgerBudgetGate(config.budgets, [], () =>
    loadLedgerFromEvents(kube.core, namespaces, { component: config.kube.component }),
  );
  const acts = !args.dryRun && !config.dryRun;
  const elector =
    acts && config.leader.enabled
      ? new LeaseLeaderElector(
          kc.makeApiClient(CoordinationV1Api),
          {
            namespace: config.leader.namespace,
            name: config.leader.leaseName,
            identity: deps.identity,
            leaseDurationSeconds: config.leader.leaseDurationSeconds,
            renewDeadlineSeconds: config.leader.renewDeadlineSeconds,
            retryPeriodSeconds: config.leader.retryPeriodSeconds,
          },
          deps.clock,
          (err) =>
            logger.warn({ err: String(err), cause: String(err.cause) }, 'lease request failed'),
        )
      : undefined;
  if (elector) {
    await elector.start();
    if (!elector.isLeader()) {
      await elector.stop();
      throw new LeaseHeldError(
        `${config.leader.namespace}/${config.leader.leaseName}`,
        elector.holder() || 'another replica',
      );
    }
  }
  try {
    const { healer, notifier } = createHealer({
      // One run is one cycle: it reads every context statistic at once (no warm-up), or it would
      // only ever report every deployment warming up.
      config: { ...config, prometheus: { ...config.prometheus, contextWarmupPerCycle: 1000 } },
      kube,
      logger,
      registry: new Registry(),
      sink: new MemoryStatusSink(),
      budget,
      ...(elector ? { isLeader: () => elector.isLeader(), term: () => elector.term() } : {}),
      instance: deps.identity,
      ...(deps.now ? { now: deps.now } : {}),
    });
    const report = await healer.runCycle({
      ...(args.namespaces ? { namespaces: args.namespaces } : {}),
      ...(args.selector ? { labelSelector: args.selector } : {}),
      dryRun: args.dryRun,
      // One run sees one cycle: act on the current score (the ladder state still applies).
      enterCycles: 1,
    });
    const none = noTargetsMessage(report);
    if (none) report.errors.push(none);
    await (notifier.drain?.(config.slack.timeoutMs * 2) ?? notifier.flush?.());
    return report;
  } finally {
    await elector?.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  let args: CheckArgs;
  try {
    args = parseCheckArgs(argv);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const config = await loadConfig(process.env);
    // Logs go to stderr so stdout stays the report.
    const logger = pino(
      { level: config.logLevel === 'info' ? 'warn' : config.logLevel },
      pino.destination(2),
    );
    const kc = loadKubeConfig(undefined, { timeoutMs: config.kube.timeoutMs });
    const report = await runCheck(args, {
      config,
      kc,
      logger,
      identity: `healer-check-${hostname()}-${process.pid}`,
    });
    console.log(formatReport(report, args.format));
    return exitCode(report);
  } catch (err) {
    console.error(
      err instanceof ConfigError || err instanceof LeaseHeldError
        ? err.message
        : `healer check failed: ${String(err)}`,
    );
    return 2;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(2),
  );
}
