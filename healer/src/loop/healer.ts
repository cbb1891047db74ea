/**
 * One healer cycle: list watched deployments → fetch features (one query per feature) → one
 * batched /predict → decide per deployment (pure policy) → act through client-node → report.
 * `runCycle()` is what the schedule, the CLI and `POST /api/check` call. The loop never throws for
 * a deployment's trouble: it becomes an inconclusive assessment or a failed action, reported.
 */
import { riskLevel, type FeatureInput, type Prediction } from '@aiops/model/schema';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type {
  ActionRecord,
  DeploymentStatus,
  HealAction,
  HealState,
  RiskPoint,
} from '../api/types.js';
import { clearCache } from '../actions/cacheClear.js';
import { describeError, type KubeClients } from '../actions/kube.js';
import { restartDeployment } from '../actions/restart.js';
import { rollbackDeployment } from '../actions/rollback.js';
import { restoreHpaMin, scaleUp } from '../actions/scale.js';
import {
  memoryFrom,
  patchDeploymentVersioned,
  persistedChanged,
  readPersisted,
  stateAnnotations,
  toPersisted,
  type PersistedHealState,
} from '../actions/state.js';
import type { ActionResult } from '../actions/types.js';
import type { HealerConfig } from '../config.js';
import type { HealerMetrics } from '../metrics.js';
import type { Notifier, NotifyKind, NotifyMessage } from '../notify/types.js';
import {
  actionLabel,
  decide,
  fmt,
  holdBack,
  markStepFailed,
  topFeatures,
} from '../policy/decide.js';
import { defaultRules, resolveRules, type DeploymentRules } from '../policy/rules.js';
import {
  INITIAL_MEMORY,
  type Assessment,
  type BudgetGate,
  type Decision,
  type HealMemory,
  type StepOutcome,
} from '../policy/types.js';
import { EVENT_REASONS, type EventSubject, type StatusSink } from '../report/types.js';
import type { Reporter } from '../report/reporter.js';
import type { Sleep } from '../retry.js';
import type { WatchScope } from '../sources/deployments.js';
import {
  targetKey,
  type FeatureResult,
  type FeatureSource,
  type Target,
} from '../sources/types.js';
import { ShadowLedger, type ShadowEntry } from './shadow.js';

export interface Predictor {
  predict(instances: readonly FeatureInput[]): Promise<Prediction[]>;
}

export interface HealerDeps {
  config: HealerConfig;
  /** Cluster clients for the actions and state writes. */
  kube: KubeClients;
  listDeployments(scope: WatchScope): Promise<V1Deployment[]>;
  source: FeatureSource;
  predictor: Predictor;
  budget: BudgetGate;
  reporter: Reporter;
  sink: StatusSink;
  metrics: HealerMetrics;
  logger: Logger;
  now: () => number;
  sleep?: Sleep;
  /** Flushed at the start of each cycle (the Slack retry queue). */
  notifier?: Notifier & { flush?(): Promise<void> };
  /**
   * Asked right before every cluster change and notification (the leader elector's `isLeader`);
   * when it turns false mid-cycle, the cycle stops acting. Default: always leader.
   */
  isLeader?: () => boolean;
  /** Told when a dependency (kubernetes, prometheus, predict) fails or recovers (readiness). */
  onDependency?: (name: string, ok: boolean, detail?: string) => void;
}

/** Leadership was lost during a cycle: the rest of the cycle must not act or notify. */
export class LostLeadershipError extends Error {
  override readonly name = 'LostLeadershipError';
  constructor() {
    super('lost leadership during the cycle: stopped acting');
  }
}

/** Per-run overrides (the CLI's flags). */
export interface CycleOptions {
  namespaces?: string[];
  labelSelector?: string;
  /** Forces dry-run for this cycle (it can only add dry-run, never remove it). */
  dryRun?: boolean;
  /**
   * Overrides N (consecutive cycles ≥ high before acting). The one-shot CLI uses 1: it sees one
   * cycle only; the persisted ladder state, stabilisation window and budgets still apply.
   */
  enterCycles?: number;
  /**
   * A follower's cycle: assess and publish status (so every replica serves the same picture),
   * but never act, notify, write Events or annotations. Followers run these; the leader acts.
   */
  observeOnly?: boolean;
}

/** One deployment's line in a cycle report (the CLI prints these). */
export interface CycleRow {
  namespace: string;
  name: string;
  risk: number | null;
  level: string | null;
  top: string;
  /** none, wait, inconclusive, recovered, page, or the action taken. */
  decision: string;
  detail: string;
  dryRun: boolean;
  /** Risk at or above the high threshold, or a heal underway. */
  atRisk: boolean;
  inconclusive: boolean;
  actionStatus?: ActionResult['status'] | 'budget_denied' | 'dry_run';
}

export interface CycleReport {
  startedAt: string;
  durationMs: number;
  watched: number;
  rows: CycleRow[];
  /** Cycle-level failures (Kubernetes list, /predict, every Prometheus query). */
  errors: string[];
}

const TREND_POINTS = 30;

/** One deployment in one cycle: what was read, decided, and is to be remembered. */
interface Turn {
  dep: V1Deployment;
  rules: DeploymentRules;
  now: number;
  namespace: string;
  name: string;
  key: string;
  subject: EventSubject;
  /** The policy memory this cycle started from. */
  memory: HealMemory;
  persistedBefore: PersistedHealState | undefined;
  /** What to remember; the act step may adjust it (held back, failed). */
  next: HealMemory;
  hpa: PersistedHealState['hpa'];
  /** The action already wrote the heal state in its own patch. */
  stateWritten: boolean;
  scored: Extract<Assessment, { kind: 'scored' }> | undefined;
  row: CycleRow;
}
const HEALER_WARNING_KEY = '(healer)';

export class Healer {
  /** Streak counters for every deployment; the full memory for dry-run deployments. */
  private readonly local = new Map<string, HealMemory>();
  private readonly trends = new Map<string, RiskPoint[]>();
  private readonly base: DeploymentRules;
  private readonly reportedProblems = new Set<string>();
  private readonly down = new Set<string>();
  private inFlight: Promise<CycleReport> | undefined;
  /** The running cycle is a follower's: read and publish only. */
  private observing = false;
  readonly shadow = new ShadowLedger();

  constructor(private readonly deps: HealerDeps) {
    this.base = defaultRules(deps.config);
  }

  /** Dry-run records for `GET /api/shadow`. */
  shadowEntries(): ShadowEntry[] {
    return this.shadow.list();
  }

  /** Runs one cycle now; a call while a cycle runs joins that cycle instead of starting another. */
  runCycle(opts: CycleOptions = {}): Promise<CycleReport> {
    this.inFlight ??= this.cycle(opts).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Forgets a deployment's heal state (`POST /api/deployments/:ns/:name/reset`): clears the
   * annotations, restores a raised HPA minReplicas, and starts counting from zero.
   */
  async reset(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    this.local.delete(key);
    let hpa: PersistedHealState['hpa'];
    await patchDeploymentVersioned(this.deps.kube, namespace, name, (dep) => {
      hpa = readPersisted(dep).state?.hpa;
      return { metadata: { annotations: stateAnnotations(toPersisted(INITIAL_MEMORY)) } };
    });
    if (hpa) await restoreHpaMin(this.deps.kube, namespace, hpa.name, hpa.originalMinReplicas);
    this.deps.logger.info({ namespace, deployment: name }, 'heal state reset by request');
  }

  private async cycle(opts: CycleOptions): Promise<CycleReport> {
    const { config, metrics, logger } = this.deps;
    const started = this.deps.now();
    const t0 = performance.now();
    const report: CycleReport = {
      startedAt: new Date(started).toISOString(),
      durationMs: 0,
      watched: 0,
      rows: [],
      errors: [],
    };
    this.observing = opts.observeOnly === true;
    try {
      if (!this.observing) await this.deps.notifier?.flush?.().catch(() => undefined);
      const scope: WatchScope = {
        namespaces: opts.namespaces ?? config.namespaces,
        labelSelector: opts.labelSelector ?? config.labelSelector,
      };
      let deployments: V1Deployment[];
      try {
        deployments = await this.deps.listDeployments(scope);
        await this.recovered('kubernetes');
      } catch (err) {
        const msg = `listing deployments failed: ${describeError(err)}`;
        report.errors.push(msg);
        await this.failing('kubernetes', 'Kubernetes API unreachable', msg);
        return report;
      }
      report.watched = deployments.length;
      metrics.deploymentsWatched.set(deployments.length);
      const targets: (Target & { dep: V1Deployment; rules: DeploymentRules })[] = deployments.map(
        (dep) => {
          const namespace = dep.metadata?.namespace ?? 'default';
          const name = dep.metadata?.name ?? '';
          const { rules, problems } = resolveRules(this.base, dep.metadata?.annotations);
          if (opts.dryRun) rules.dryRun = true;
          if (opts.enterCycles !== undefined) rules.enterCycles = opts.enterCycles;
          for (const p of problems) void this.badAnnotation(dep, p);
          return { namespace, name, dep, rules };
        },
      );

      const assessments = await this.assess(targets, report);
      const risks = new Map<string, number | null>();
      let inconclusiveCount = 0;
      for (const t of targets) {
        const key = targetKey(t);
        const assessment = assessments.get(key) ?? { kind: 'inconclusive', reason: 'not assessed' };
        if (assessment.kind === 'inconclusive') inconclusiveCount++;
        try {
          const row = await this.handle(t.dep, t.rules, assessment);
          report.rows.push(row);
          risks.set(key, row.risk);
        } catch (err) {
          if (err instanceof LostLeadershipError) {
            report.errors.push(err.message);
            logger.warn(err.message);
            break;
          }
          // A bug or an unexpected API answer for one deployment must not stop the others.
          const msg = `${key}: ${describeError(err)}`;
          report.errors.push(msg);
          logger.error(
            { namespace: t.namespace, deployment: t.name, err: String(err) },
            'handling failed',
          );
        }
      }
      metrics.inconclusiveDeployments.set(inconclusiveCount);
      metrics.setRisks(risks);
      for (const key of [...this.local.keys()]) if (!risks.has(key)) this.local.delete(key);
      for (const key of [...this.trends.keys()]) if (!risks.has(key)) this.trends.delete(key);
      return report;
    } finally {
      report.durationMs = performance.now() - t0;
      metrics.cycleDuration.observe(
        { result: report.errors.length > 0 ? 'error' : 'ok' },
        report.durationMs / 1000,
      );
      logger.info(
        {
          watched: report.watched,
          durationMs: Math.round(report.durationMs),
          errors: report.errors.length,
        },
        'cycle done',
      );
    }
  }

  /** Features and risk for every target: conclusive ones are scored in one /predict call. */
  private async assess(
    targets: readonly Target[],
    report: CycleReport,
  ): Promise<Map<string, Assessment>> {
    const out = new Map<string, Assessment>();
    if (targets.length === 0) return out;
    let features: Map<string, FeatureResult>;
    try {
      features = await this.deps.source.fetch(targets);
    } catch (err) {
      const reason = `feature source failed: ${describeError(err)}`;
      report.errors.push(reason);
      for (const t of targets) out.set(targetKey(t), { kind: 'inconclusive', reason });
      return out;
    }
    const scored: { key: string; input: FeatureInput }[] = [];
    let failedQueries = 0;
    for (const t of targets) {
      const key = targetKey(t);
      const f = features.get(key) ?? { kind: 'inconclusive', reason: 'no features' };
      if (f.kind === 'inconclusive') {
        if (f.sourceFailed) failedQueries++;
        out.set(key, { kind: 'inconclusive', reason: f.reason });
      } else scored.push({ key, input: f.features });
    }
    if (failedQueries === targets.length) {
      const reason = [...out.values()][0];
      const msg =
        `Prometheus queries failing: ${reason?.kind === 'inconclusive' ? reason.reason : ''}`.slice(
          0,
          500,
        );
      report.errors.push(msg);
      await this.failing('prometheus', 'Prometheus unreachable or failing', msg);
    } else {
      await this.recovered('prometheus');
    }
    if (scored.length === 0) return out;
    try {
      const predictions = await this.deps.predictor.predict(scored.map((s) => s.input));
      this.deps.metrics.predictRequests.inc({ result: 'ok' });
      await this.recovered('predict');
      scored.forEach((s, i) => {
        const p = predictions[i]!;
        const f = features.get(s.key);
        out.set(s.key, {
          kind: 'scored',
          risk: p.risk,
          level: p.level,
          explanation: p.explanation ?? [],
          features: f?.kind === 'ok' ? f.features : {},
          imputed: p.imputed ?? [],
        });
      });
    } catch (err) {
      this.deps.metrics.predictRequests.inc({ result: 'error' });
      const reason = describeError(err);
      report.errors.push(reason);
      await this.failing('predict', 'Risk backend (/predict) unreachable or failing', reason);
      for (const s of scored) out.set(s.key, { kind: 'inconclusive', reason });
    }
    return out;
  }

  /** One deployment's cycle: decide (pure), then act and report on the decision. */
  private async handle(
    dep: V1Deployment,
    rules: DeploymentRules,
    assessment: Assessment,
  ): Promise<CycleRow> {
    if (!this.observing) this.guard();
    const now = this.deps.now();
    const namespace = dep.metadata?.namespace ?? 'default';
    const name = dep.metadata?.name ?? '';
    const key = `${namespace}/${name}`;
    const read = readPersisted(dep);
    if (read.problem && !this.observing) void this.badAnnotation(dep, read.problem);
    const persistedBefore = rules.dryRun ? undefined : read.state;
    const memory = rules.dryRun
      ? { ...INITIAL_MEMORY, ...this.local.get(key) }
      : memoryFrom(read.state, this.local.get(key));
    const { decision, nextState } = decide(memory, assessment, rules, now);
    const scored =
      assessment.kind === 'scored' && decision.kind !== 'inconclusive' ? assessment : undefined;
    const risk = scored ? scored.risk : null;
    const t: Turn = {
      dep,
      rules,
      now,
      namespace,
      name,
      key,
      subject: {
        namespace,
        name,
        ...(dep.metadata?.uid ? { uid: dep.metadata.uid } : {}),
        ...(dep.metadata?.resourceVersion ? { resourceVersion: dep.metadata.resourceVersion } : {}),
      },
      memory,
      persistedBefore,
      next: nextState,
      hpa: persistedBefore?.hpa,
      stateWritten: false,
      scored,
      row: {
        namespace,
        name,
        risk,
        level: scored ? riskLevel(scored.risk) : null,
        top: scored ? topFeatures(scored.explanation, 2) : '',
        decision: decision.kind === 'act' ? decision.action : decision.kind,
        detail: decision.reason,
        dryRun: rules.dryRun,
        atRisk:
          (risk !== null && risk >= rules.high) ||
          (nextState.phase !== 'healthy' && nextState.attempt > 0),
        inconclusive: decision.kind === 'inconclusive',
      },
    };

    if (scored) this.observe(t, scored.risk);
    if (this.observing) {
      // The leader acts on this decision; a follower only shows where the deployment stands.
      this.rememberLocally(t);
      this.deps.sink.assessment(this.status(t, assessment, decision));
      return t.row;
    }
    if (decision.kind === 'inconclusive') this.deps.metrics.inconclusive.inc();
    // The previous step's verdict, once its window passed.
    const outcome: StepOutcome | undefined = 'outcome' in decision ? decision.outcome : undefined;
    if (outcome) await this.reportOutcome(t, outcome);

    switch (decision.kind) {
      case 'act':
        await this.act(t, decision);
        break;
      case 'page':
        await this.page(t, decision);
        break;
      case 'recovered':
        await this.recover(t, decision);
        break;
      case 'inconclusive':
        await this.inconclusive(t, decision);
        break;
      default:
        this.deps.logger.debug(
          { namespace, deployment: name, decision: decision.kind },
          decision.reason,
        );
    }
    await this.remember(t);
    this.deps.sink.assessment(this.status(t, assessment, decision));
    return t.row;
  }

  /** Trend for the status API; judges dry-run entries whose window has passed. */
  private observe(t: Turn, risk: number): void {
    this.shadow.observe(t.namespace, t.name, risk, t.now);
    const trend = this.trends.get(t.key) ?? [];
    trend.push({ t: new Date(t.now).toISOString(), risk });
    if (trend.length > TREND_POINTS) trend.shift();
    this.trends.set(t.key, trend);
  }

  /** A rung of the ladder: asks the budget, then plans it (dry-run) or carries it out. */
  private async act(t: Turn, d: Extract<Decision, { kind: 'act' }>): Promise<void> {
    const request = { namespace: t.namespace, name: t.name, action: d.action };
    const verdict = this.deps.budget.check(request, new Date(t.now));
    const count = (outcome: string): void =>
      this.deps.metrics.actions.inc({ action: d.action, step: String(d.step), outcome });
    if (!verdict.allowed) {
      t.next = holdBack(t.memory, t.next, d.outcome !== undefined);
      t.row.actionStatus = 'budget_denied';
      t.row.detail = `${d.reason}; held back by budget: ${verdict.message}`;
      count('budget_denied');
      const message = `${d.reason}; held back: ${verdict.message}`;
      // A budget that holds for an hour is announced once, not once per cycle.
      await this.deps.reporter.report({
        subject: t.subject,
        level: verdict.repeated ? 'debug' : 'warn',
        message,
        dryRun: t.rules.dryRun,
        ...(verdict.repeated
          ? {}
          : {
              event: { type: 'Warning', reason: EVENT_REASONS.budgetDenied },
              notify: this.notice(
                t,
                'budget_denied',
                `Budget stopped ${actionLabel(d.action)} on ${t.key}`,
                message,
                { dedupKey: `${t.key}:budget:${verdict.rule}:${t.now}` },
              ),
            }),
      });
      return;
    }
    const at = new Date(t.now).toISOString();
    const riskBefore = t.scored?.risk ?? 0;
    const step = { action: d.action, step: d.step, attempt: d.attempt };
    if (t.rules.dryRun) {
      t.row.actionStatus = 'dry_run';
      count('dry_run');
      this.shadow.add(
        { at, namespace: t.namespace, name: t.name, ...step, riskBefore, reason: d.reason },
        t.rules.stabilisationMs,
        t.rules.high,
      );
      await this.deps.reporter.report({
        subject: t.subject,
        level: 'info',
        message: `dry-run, would have: ${d.reason}`,
        dryRun: true,
        action: this.record(d, at, riskBefore, 'skipped', `would have: ${d.reason}`, true),
        notify: this.notice(
          t,
          'dry_run',
          `Would have run ${actionLabel(d.action)} on ${t.key}`,
          d.reason,
          step,
        ),
      });
      return;
    }
    this.guard();
    const persisted = toPersisted(t.next, t.hpa);
    const result = await this.execute(d.action, t.dep, t.rules, persisted, new Date(t.now));
    if (result.hpa) t.hpa = result.hpa;
    t.row.actionStatus = result.status;
    count(result.status);
    if (result.status === 'done') this.deps.budget.record(request, new Date(t.now));
    const message = `${d.reason}: ${result.detail}`;
    t.row.detail = message;
    if (result.alreadyTaken) {
      // Another healer took this step and recorded it: adopt its state next cycle.
      t.stateWritten = true;
      return;
    }
    const ok = result.status === 'done' || result.status === 'skipped';
    if (!ok) t.next = markStepFailed(t.next);
    t.stateWritten = result.stateWritten;
    await this.deps.reporter.report({
      subject: t.subject,
      level: ok ? 'info' : 'warn',
      message,
      event: ok
        ? { type: 'Normal', reason: EVENT_REASONS[d.action] }
        : { type: 'Warning', reason: EVENT_REASONS.actionFailed },
      action: this.record(d, at, riskBefore, ok ? 'pending' : 'failed', message, false),
      notify: this.notice(
        t,
        d.escalated ? 'escalated' : 'action',
        `${ok ? (d.escalated ? 'Escalated to' : 'Ran') : 'Could not run'} ${actionLabel(d.action)} on ${t.key}`,
        message,
        step,
      ),
    });
  }

  /** The ladder is exhausted: page a human, once. */
  private async page(t: Turn, d: Extract<Decision, { kind: 'page' }>): Promise<void> {
    const step = { action: 'page' as const, step: d.step, attempt: d.attempt };
    await this.deps.reporter.report({
      subject: t.subject,
      level: 'warn',
      message: d.reason,
      event: { type: 'Warning', reason: EVENT_REASONS.page },
      dryRun: t.rules.dryRun,
      action: this.record(
        step,
        new Date(t.now).toISOString(),
        t.scored?.risk ?? 0,
        'pending',
        d.reason,
        t.rules.dryRun,
      ),
      notify: this.notice(t, 'needs_attention', `${t.key} needs attention`, d.reason, step),
    });
  }

  /** M cycles below low: attempts reset, a raised HPA minReplicas is restored. */
  private async recover(t: Turn, d: Extract<Decision, { kind: 'recovered' }>): Promise<void> {
    if (t.hpa && !t.rules.dryRun) {
      const { name, originalMinReplicas } = t.hpa;
      const restored = await restoreHpaMin(this.deps.kube, t.namespace, name, originalMinReplicas);
      if (restored.status !== 'failed') t.hpa = undefined;
    }
    await this.deps.reporter.report({
      subject: t.subject,
      level: 'info',
      message: d.reason,
      event: { type: 'Normal', reason: EVENT_REASONS.recovered },
      dryRun: t.rules.dryRun,
      notify: this.notice(t, 'recovered', `${t.key} recovered`, d.reason, {
        dedupKey: `${t.key}:recovered:${t.memory.episodeStartedAt ?? 0}`,
        ...(d.curedBy ? { action: d.curedBy } : {}),
      }),
    });
  }

  /** No usable data: logged every cycle, announced once when it lasts. */
  private async inconclusive(
    t: Turn,
    d: Extract<Decision, { kind: 'inconclusive' }>,
  ): Promise<void> {
    if (!d.alert) {
      this.deps.logger.debug(
        { namespace: t.namespace, deployment: t.name },
        `inconclusive: ${d.reason}`,
      );
      return;
    }
    const message = `inconclusive for ${Math.round(d.sinceMs / 1000)} s: ${d.reason}`;
    await this.deps.reporter.report({
      subject: t.subject,
      level: 'warn',
      message,
      event: { type: 'Warning', reason: EVENT_REASONS.inconclusive },
      dryRun: t.rules.dryRun,
      notify: this.notice(t, 'inconclusive', `No usable data for ${t.key}`, message, {
        dedupKey: `${t.key}:inconclusive:${t.memory.inconclusiveSince ?? t.now}`,
      }),
    });
  }

  /**
   * Keeps the streak counters in memory and the heal state on the deployment (dry-run: all in
   * memory). A failed state write is reported, and the next cycle decides from what is stored.
   */
  /** This replica's memory: streaks always; the whole ladder state only for dry-run. */
  private rememberLocally(t: Turn): void {
    const next = t.next;
    if (t.rules.dryRun) {
      this.local.set(t.key, next);
      return;
    }
    this.local.set(t.key, {
      ...INITIAL_MEMORY,
      highStreak: next.highStreak,
      lowStreak: next.lowStreak,
      lastRisk: next.lastRisk,
      lastAssessedAt: next.lastAssessedAt,
      inconclusiveSince: next.inconclusiveSince,
      inconclusiveNotified: next.inconclusiveNotified,
    });
  }

  private async remember(t: Turn): Promise<void> {
    this.rememberLocally(t);
    if (t.rules.dryRun) return;
    const next = t.next;
    const after = toPersisted(next, t.hpa);
    if (t.stateWritten || !persistedChanged(t.persistedBefore, after)) return;
    await patchDeploymentVersioned(
      this.deps.kube,
      t.namespace,
      t.name,
      () => ({ metadata: { annotations: stateAnnotations(after) } }),
      { sleep: this.deps.sleep },
    ).catch((err: unknown) => {
      this.deps.metrics.reportFailures.inc({ channel: 'heal_state' });
      this.deps.logger.warn(
        { namespace: t.namespace, deployment: t.name, err: describeError(err) },
        'writing heal state failed',
      );
    });
  }

  /** A notification about this deployment; the dedup key names the episode, attempt and step. */
  private notice(
    t: Turn,
    kind: NotifyKind,
    title: string,
    detail: string,
    extra: Partial<NotifyMessage> = {},
  ): NotifyMessage {
    const episode = t.next.episodeStartedAt ?? t.memory.episodeStartedAt ?? 0;
    return {
      kind,
      namespace: t.namespace,
      name: t.name,
      title,
      detail,
      ...(t.scored
        ? { risk: t.scored.risk, level: t.scored.level, top: t.scored.explanation.slice(0, 3) }
        : {}),
      attempts: t.rules.ladder.filter((a) => a !== 'page').length,
      dryRun: t.rules.dryRun || undefined,
      links: this.links(),
      dedupKey: `${t.key}:${kind}:${episode}:${t.next.attempt}:${t.next.step}`,
      ...extra,
    };
  }

  /** Carries out one rung. The heal state goes into the same patch as the change where possible. */
  private async execute(
    action: Exclude<HealAction, 'page'>,
    dep: V1Deployment,
    rules: DeploymentRules,
    state: PersistedHealState,
    at: Date,
  ): Promise<ActionResult & { hpa?: PersistedHealState['hpa']; stateWritten: boolean }> {
    const k = this.deps.kube;
    const namespace = dep.metadata?.namespace ?? 'default';
    const name = dep.metadata?.name ?? '';
    const common = {
      retries: this.deps.config.kube.retries,
      ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
    };
    if (action === 'rollback') {
      const r = await rollbackDeployment(k, namespace, name, { ...common, state });
      return { ...r, stateWritten: r.status === 'done' };
    }
    const parts: string[] = [];
    if (action === 'cache_clear_restart') {
      const c = await clearCache(k, namespace, name, { spec: rules.cacheClear });
      parts.push(c.detail);
    }
    const r = await restartDeployment(k, namespace, name, { ...common, at, state });
    parts.push(r.detail);
    if (r.status !== 'done' || action !== 'restart_scale') {
      return { status: r.status, detail: parts.join('; '), stateWritten: r.status === 'done' };
    }
    const s = await scaleUp(k, namespace, name, {
      step: rules.scaleStep,
      maxReplicas: rules.maxReplicas,
      ...common,
    });
    parts.push(s.detail);
    // The step counts as done when the restart was; a failed scale-up is reported in the detail.
    const out = {
      status: r.status,
      detail: parts.join('; '),
      stateWritten: true,
      ...(s.hpa ? { hpa: s.hpa } : {}),
    };
    if (s.hpa && s.hpa.name !== state.hpa?.name) out.stateWritten = false; // record the HPA in a second write
    return out;
  }

  private async reportOutcome(t: Turn, o: StepOutcome): Promise<void> {
    const { metrics } = this.deps;
    metrics.stepOutcomes.inc({ action: o.action, outcome: o.cured ? 'cured' : 'not_cured' });
    metrics.stepRiskDelta.observe({ action: o.action }, o.riskAfter - o.riskBefore);
    const stepAt = new Date(t.memory.stepStartedAt ?? t.now).toISOString();
    const message = `step ${o.step} ${actionLabel(o.action)} ${o.cured ? 'cured it' : 'did not cure it'}: risk ${fmt(o.riskBefore)} → ${fmt(o.riskAfter)} (threshold ${fmt(t.rules.high)})`;
    const step = { action: o.action, step: o.step, attempt: o.attempt };
    await this.deps.reporter.report({
      subject: t.subject,
      level: 'info',
      message,
      event: { type: 'Normal', reason: o.cured ? EVENT_REASONS.cured : EVENT_REASONS.notCured },
      dryRun: t.rules.dryRun,
      action: {
        at: stepAt,
        ...step,
        dryRun: t.rules.dryRun,
        riskBefore: o.riskBefore,
        riskAfter: o.riskAfter,
        outcome: o.cured ? 'cured' : 'not_cured',
        message,
      },
      ...(o.cured
        ? {
            notify: this.notice(t, 'cured', `${actionLabel(o.action)} cured ${t.key}`, message, {
              ...step,
              dedupKey: `${t.key}:cured:${stepAt}`,
            }),
          }
        : {}),
    });
  }

  private record(
    d: { action: HealAction; step: number; attempt: number },
    at: string,
    riskBefore: number,
    outcome: ActionRecord['outcome'],
    message: string,
    dryRun: boolean,
  ): ActionRecord {
    return {
      at,
      step: d.step,
      action: d.action,
      attempt: d.attempt,
      dryRun,
      riskBefore,
      outcome,
      message,
    };
  }

  private status(t: Turn, a: Assessment, d: Decision): DeploymentStatus {
    const m = t.next;
    const scored = a.kind === 'scored' && d.kind !== 'inconclusive' ? a : undefined;
    let state: HealState;
    if (d.kind === 'inconclusive') state = 'inconclusive';
    else if (m.phase === 'needs_attention') state = 'needs_attention';
    else if (m.phase === 'stabilising' || m.phase === 'recovering')
      state = t.rules.ladder[m.step - 1] === 'rollback' ? 'rolled_back' : 'healing';
    else state = m.highStreak > 0 ? 'watching' : 'healthy';
    const lastRisk = m.lastRisk ?? null;
    return {
      namespace: t.namespace,
      name: t.name,
      risk: scored ? scored.risk : lastRisk,
      level: scored ? scored.level : lastRisk !== null ? riskLevel(lastRisk) : null,
      state,
      step: m.phase === 'healthy' ? 0 : m.step,
      attempts: m.attempt,
      dryRun: t.rules.dryRun,
      explanation: scored ? scored.explanation : [],
      features: scored ? scored.features : {},
      ...(d.kind === 'inconclusive' ? { inconclusiveReason: d.reason } : {}),
      trend: [...(this.trends.get(t.key) ?? [])],
      updatedAt: new Date(this.deps.now()).toISOString(),
    };
  }

  private links(): NotifyMessage['links'] {
    const l = this.deps.config.links;
    return {
      ...(l.dashboard ? { dashboard: l.dashboard } : {}),
      ...(l.grafana ? { grafana: l.grafana } : {}),
    };
  }

  /** Throws {@link LostLeadershipError} unless this replica still leads. */
  private guard(): void {
    if (this.deps.isLeader && !this.deps.isLeader()) throw new LostLeadershipError();
  }

  /** A dependency started failing: warn once (log + notification) until it recovers. */
  private async failing(what: string, title: string, detail: string): Promise<void> {
    this.deps.onDependency?.(what, false, detail);
    if (this.observing || this.down.has(what)) return;
    this.guard();
    this.down.add(what);
    await this.deps.reporter.warning({
      kind: 'warning',
      title,
      detail: `${detail}; no actions until it recovers`,
      dedupKey: `${HEALER_WARNING_KEY}:${what}:down:${this.deps.now()}`,
    });
  }

  private async recovered(what: string): Promise<void> {
    this.deps.onDependency?.(what, true);
    if (!this.down.delete(what)) return;
    this.deps.logger.info({ dependency: what }, `${what} reachable again`);
  }

  /** A broken annotation is reported once per deployment and problem. */
  private async badAnnotation(dep: V1Deployment, problem: string): Promise<void> {
    const namespace = dep.metadata?.namespace ?? 'default';
    const name = dep.metadata?.name ?? '';
    const k = `${namespace}/${name}:${problem}`;
    if (this.reportedProblems.has(k)) return;
    this.reportedProblems.add(k);
    await this.deps.reporter.report({
      subject: { namespace, name, ...(dep.metadata?.uid ? { uid: dep.metadata.uid } : {}) },
      level: 'warn',
      message: problem,
      event: { type: 'Warning', reason: EVENT_REASONS.badAnnotation },
    });
  }
}
