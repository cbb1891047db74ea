/**
 * One healer cycle, orchestrated: list watched deployments → assess (features + one batched
 * /predict, `sources/assess.ts`) → decide per deployment (pure policy) → gate (budgets) → act (the
 * ladder's runner, `actions/runner.ts`) → report (the funnel, with builders from
 * `report/messages.ts`). `runCycle()` is what the schedule, the CLI and `POST /api/check` call.
 * The loop never throws for a deployment's trouble: it becomes an inconclusive assessment or a
 * failed action, reported.
 */
import { riskLevel } from '@aiops/model/schema';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { RiskPoint } from '../api/types.js';
import { describeError, type KubeClients } from '../actions/kube.js';
import type { ActionRunner } from '../actions/runner.js';
import { toPersisted, type PersistedHealState } from '../actions/state.js';
import type { ActionResult, HealTargetRef } from '../actions/types.js';
import type { HealerConfig } from '../config.js';
import { LostLeadershipError } from '../leader/errors.js';
import type { HealerMetrics } from '../metrics.js';
import type { Notifier } from '../notify/types.js';
import { decide, holdBack, markStepFailed, topFeatures } from '../policy/decide.js';
import { defaultRules, resolveRules, type DeploymentRules } from '../policy/rules.js';
import {
  type Assessment,
  type BudgetGate,
  type Decision,
  type HealMemory,
  type StepOutcome,
} from '../policy/types.js';
import {
  actionReport,
  budgetDeniedReport,
  deploymentStatus,
  dryRunReport,
  inconclusiveReport,
  linksOf,
  outcomeReport,
  pageReport,
  recoveredReport,
  type ReportView,
  type ScoredAssessment,
} from '../report/messages.js';
import type { Reporter } from '../report/reporter.js';
import { EVENT_REASONS, type EventSubject, type StatusSink } from '../report/types.js';
import type { Sleep } from '../retry.js';
import type { Assessor, DependencyReport } from '../sources/assess.js';
import type { WatchScope } from '../sources/deployments.js';
import { targetKey, type Target } from '../sources/types.js';
import { HealMemoryStore } from './memory.js';
import { ShadowLedger, type ShadowEntry } from './shadow.js';

export { LostLeadershipError };

export interface HealerDeps {
  config: HealerConfig;
  /** Cluster clients for the heal-state writes. */
  kube: KubeClients;
  listDeployments(scope: WatchScope): Promise<V1Deployment[]>;
  assessor: Assessor;
  runner: ActionRunner;
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
  ref: HealTargetRef;
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
  scored: ScoredAssessment | undefined;
  row: CycleRow;
}
const HEALER_WARNING_KEY = '(healer)';

export class Healer {
  private readonly memory: HealMemoryStore;
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
    this.memory = new HealMemoryStore(deps);
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
    const hpa = await this.memory.reset(`${namespace}/${name}`, namespace, name);
    if (hpa) await this.deps.runner.restoreHpa({ kind: 'Deployment', namespace, name }, hpa);
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

      const batch = await this.deps.assessor.assess(targets);
      report.errors.push(...batch.errors);
      await this.reportDependencies(batch.dependencies);
      const risks = new Map<string, number | null>();
      let inconclusiveCount = 0;
      for (const t of targets) {
        const key = targetKey(t);
        const assessment = batch.assessments.get(key) ?? {
          kind: 'inconclusive',
          reason: 'not assessed',
        };
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
      this.memory.retain(risks);
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

  /** Warns once when a dependency starts failing; notes its recovery. */
  private async reportDependencies(deps: readonly DependencyReport[]): Promise<void> {
    for (const d of deps) {
      if (d.ok) await this.recovered(d.name);
      else await this.failing(d.name, d.title ?? `${d.name} failing`, d.detail ?? '');
    }
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
    const loaded = this.memory.load(key, dep, rules.dryRun);
    if (loaded.problem && !this.observing) void this.badAnnotation(dep, loaded.problem);
    const persistedBefore = loaded.persisted;
    const memory = loaded.memory;
    const { decision, nextState } = decide(memory, assessment, rules, now);
    const scored =
      assessment.kind === 'scored' && decision.kind !== 'inconclusive' ? assessment : undefined;
    const risk = scored ? scored.risk : null;
    const t: Turn = {
      dep,
      ref: { kind: 'Deployment', namespace, name },
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
      this.memory.rememberLocally({ key, dryRun: rules.dryRun, next: t.next });
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
        await this.deps.reporter.report(pageReport(this.view(t), decision, t.scored?.risk ?? 0));
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
    await this.memory.remember({ ...t, dryRun: t.rules.dryRun });
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
      // A budget that holds for an hour is announced once, not once per cycle.
      await this.deps.reporter.report(budgetDeniedReport(this.view(t), d, verdict));
      return;
    }
    const riskBefore = t.scored?.risk ?? 0;
    if (t.rules.dryRun) {
      t.row.actionStatus = 'dry_run';
      count('dry_run');
      this.shadow.add(
        {
          at: new Date(t.now).toISOString(),
          namespace: t.namespace,
          name: t.name,
          action: d.action,
          step: d.step,
          attempt: d.attempt,
          riskBefore,
          reason: d.reason,
        },
        t.rules.stabilisationMs,
        t.rules.high,
      );
      await this.deps.reporter.report(dryRunReport(this.view(t), d, riskBefore));
      return;
    }
    this.guard();
    const persisted = toPersisted(t.next, t.hpa);
    const result = await this.deps.runner.run(d.action, t.ref, t.rules, persisted, new Date(t.now));
    if (result.hpa) t.hpa = result.hpa;
    t.row.actionStatus = result.status;
    count(result.status);
    if (result.status === 'done') this.deps.budget.record(request, new Date(t.now));
    t.row.detail = `${d.reason}: ${result.detail}`;
    if (result.alreadyTaken) {
      // Another healer took this step and recorded it: adopt its state next cycle.
      t.stateWritten = true;
      return;
    }
    const ok = result.status === 'done' || result.status === 'skipped';
    if (!ok) t.next = markStepFailed(t.next);
    t.stateWritten = result.stateWritten;
    await this.deps.reporter.report(actionReport(this.view(t), d, result, riskBefore));
  }

  /** M cycles below low: attempts reset, a raised HPA minReplicas is restored. */
  private async recover(t: Turn, d: Extract<Decision, { kind: 'recovered' }>): Promise<void> {
    if (t.hpa && !t.rules.dryRun) {
      const restored = await this.deps.runner.restoreHpa(t.ref, t.hpa);
      if (restored.status !== 'failed') t.hpa = undefined;
    }
    await this.deps.reporter.report(recoveredReport(this.view(t), d));
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
    await this.deps.reporter.report(inconclusiveReport(this.view(t), d));
  }

  /** The turn as the report builders see it (the memory as the act step left it). */
  private view(t: Turn): ReportView {
    return {
      namespace: t.namespace,
      name: t.name,
      key: t.key,
      subject: t.subject,
      ladder: t.rules.ladder,
      dryRun: t.rules.dryRun,
      high: t.rules.high,
      scored: t.scored,
      links: linksOf(this.deps.config.links),
      episode: t.next.episodeStartedAt ?? t.memory.episodeStartedAt ?? 0,
      attempt: t.next.attempt,
      step: t.next.step,
      now: t.now,
      before: t.memory,
    };
  }

  private async reportOutcome(t: Turn, o: StepOutcome): Promise<void> {
    const { metrics } = this.deps;
    metrics.stepOutcomes.inc({ action: o.action, outcome: o.cured ? 'cured' : 'not_cured' });
    metrics.stepRiskDelta.observe({ action: o.action }, o.riskAfter - o.riskBefore);
    await this.deps.reporter.report(outcomeReport(this.view(t), o));
  }

  private status(t: Turn, a: Assessment, d: Decision) {
    return deploymentStatus({
      namespace: t.namespace,
      name: t.name,
      ladder: t.rules.ladder,
      dryRun: t.rules.dryRun,
      memory: t.next,
      assessment: a,
      decision: d,
      trend: this.trends.get(t.key) ?? [],
      now: this.deps.now(),
    });
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
