/**
 * One healer cycle, orchestrated:
 *
 *   list watched deployments → assess (features + one batched /predict, `sources/assess.ts`)
 *   → decide per deployment (the pure policy) → fleet guard over all decisions (pure)
 *   → gate each action (`gate/`: a human's hold, fleet, stale assessment, budgets)
 *   → act (`act.ts`: approvals, the ladder's runner `actions/runner.ts`, budgets' record)
 *   → report (the funnel, `report/messages.ts`). A deployment's cycle is a `Turn` (`turn.ts`);
 *   what spans all turns (the fleet hold's message, grouped inconclusive alerts, orphan HPAs) is
 *   `fleetWide.ts`, and the gates autonomy has earned are `autonomy/earned.ts`.
 *
 * `runCycle()` is what the schedule, the CLI and `POST /api/check` call. The loop never throws for
 * a deployment's trouble: it becomes an inconclusive assessment or a failed action, reported.
 */
import type { Logger } from 'pino';
import { describeError, isLostLeadership, type KubeClients } from '../actions/kube.js';
import type { ActionRunner } from '../actions/runner.js';
import type { HealTargetRef } from '../actions/types.js';
import type { HealerConfig } from '../config.js';
import { evaluateFleet, NO_FLEET_HOLD, type FleetVerdict } from '../gate/fleet.js';
import { FleetEpisode } from '../gate/fleetEpisode.js';
import type { ActionGate } from '../gate/types.js';
import { LostLeadershipError } from '../leader/errors.js';
import type { HealerMetrics } from '../metrics.js';
import type { Notifier } from '../notify/types.js';
import { decide } from '../policy/decide.js';
import { defaultRules, resolveRules, type DeploymentRules } from '../policy/rules.js';
import type { Assessment, Decision, HealMemory, StepOutcome } from '../policy/types.js';
import {
  inconclusiveReport,
  outcomeReport,
  pageReport,
  type ReportView,
} from '../report/messages.js';
import type { Reporter } from '../report/reporter.js';
import { EVENT_REASONS, type StatusSink } from '../report/types.js';
import type { Sleep } from '../retry.js';
import type { Assessor, DependencyReport } from '../sources/assess.js';
import { kindOf } from '../kinds/index.js';
import type {
  WatchScope,
  WorkloadKind,
  WorkloadKinds,
  WorkloadObject,
  ListedWorkload,
} from '../kinds/types.js';
import type { TargetListing } from '../sources/targets.js';
import { sloAnnotationProblems } from '../sources/context.js';
import { DependencyWarnings } from '../report/dependencies.js';
import type { Approvals } from '../approval/approvals.js';
import { gatedLadder, type GateConfig } from '../approval/gates.js';
import type { AutonomyRow } from '../autonomy/evaluate.js';
import { EarnedAutonomy } from '../autonomy/earned.js';
import type { ListStore } from '../humans/configMapList.js';
import { EvidenceKeeper } from '../autonomy/evidence.js';
import { applyPolicy, policyFor, policyGates } from '../policy/healPolicy.js';
import type { PolicyBook } from '../policy/policySource.js';
import { changeAware } from '../policy/changeAware.js';
import { HealMemoryStore } from './memory.js';
import { ReleaseTracker } from './releases.js';
import { Actor } from './act.js';
import { FleetWide } from './fleetWide.js';
import { ShadowLedger, type ShadowEntry, type StoredShadowEntry } from './shadow.js';
import { newTurn, subjectKind, turnStatus, turnView, type Target, type Turn } from './turn.js';
import type { CycleOptions, CycleReport, CycleRow } from './types.js';

export type { CycleOptions, CycleReport, CycleRow };

export { LostLeadershipError };

export interface HealerDeps {
  config: HealerConfig;
  /** Cluster clients for the HPA list. */
  kube: KubeClients;
  /** The kinds of heal target (heal-state writes go to the target's own kind). */
  kinds: WorkloadKinds;
  /** Every enabled kind's opted-in targets in the scope: one list per kind (per namespace). */
  listTargets(scope: WatchScope): Promise<TargetListing>;
  assessor: Assessor;
  runner: ActionRunner;
  /** Between decide and act: holds (a human's, the fleet guard's, stale data) and budgets. */
  gate: ActionGate;
  reporter: Reporter;
  sink: StatusSink;
  metrics: HealerMetrics;
  logger: Logger;
  now: () => number;
  sleep?: Sleep;
  /** Flushed at the start of each cycle (the Slack queue). */
  notifier?: Notifier & { flush?(): Promise<void> };
  /**
   * Asked right before every cluster write and notification (the leader elector's `isLeader`);
   * when it turns false mid-cycle, the cycle stops acting. Default: always leader.
   */
  isLeader?: () => boolean;
  /** The leader's term (the Lease's `leaseTransitions`), written into the heal state. */
  term?: () => number | undefined;
  /** Told when a dependency (kubernetes, prometheus, predict) fails or recovers (readiness). */
  onDependency?: (name: string, ok: boolean, detail?: string) => void;
  /** Approval gates per rung (`src/approval/`); none: every rung is `auto`. */
  approvals?: Approvals;
  /** The HealPolicies of the watched namespaces (`src/policy/healPolicy.ts`). */
  policies?: PolicyBook;
  /** Where the shadow ledger (autonomy's evidence) outlives the leader; none: memory only. */
  evidence?: ListStore<StoredShadowEntry>;
}

export class Healer {
  private readonly memory: HealMemoryStore;
  private readonly base: DeploymentRules;
  private readonly reportedProblems = new Set<string>();
  private readonly dependencies: DependencyWarnings;
  /** Watched last cycle: memory key → `namespace/name` and kind. */
  private known = new Map<
    string,
    { namespace: string; name: string; kind: HealTargetRef['kind'] }
  >();
  /** The fleet guard across cycles (one episode, one message, a release grace). */
  private readonly fleetEpisode: FleetEpisode;
  private inFlight: Promise<CycleReport> | undefined;
  /** The running cycle is a follower's: read and publish only. */
  private observing = false;
  readonly shadow = new ShadowLedger();
  private readonly evidence: EvidenceKeeper | undefined;
  private readonly releases = new ReleaseTracker();
  private readonly actor: Actor;
  private readonly fleetWide: FleetWide;
  private readonly earned: EarnedAutonomy;

  constructor(private readonly deps: HealerDeps) {
    this.base = defaultRules(deps.config);
    this.memory = new HealMemoryStore({ ...deps, beforeWrite: () => this.guard() });
    this.fleetEpisode = new FleetEpisode(deps.config.exitCycles, deps.config.fleet.eventsPerCycle);
    this.dependencies = new DependencyWarnings(deps.reporter, deps.logger, deps.now);
    this.evidence = deps.evidence && new EvidenceKeeper(this.shadow, deps.evidence, deps.logger);
    this.actor = new Actor({
      ...deps,
      shadow: this.shadow,
      guard: () => this.guard(),
    });
    this.fleetWide = new FleetWide({ ...deps, guard: () => this.guard() });
    this.earned = new EarnedAutonomy(
      this.shadow,
      deps.config.autonomy,
      () => deps.approvals?.list() ?? [],
    );
  }

  /** The turn as the report builders see it. */
  private view(t: Turn): ReportView {
    return turnView(t, this.deps.config.links);
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

  /** Resolves when no cycle is running (SIGTERM waits for this before releasing the Lease). */
  async idle(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  /**
   * Forgets a deployment's heal state (`POST /api/deployments/:ns/:name/reset`): clears the
   * annotations, gives back a raised HPA minReplicas and added replicas, and counts from zero.
   */
  async reset(namespace: string, name: string): Promise<void> {
    const found = [...this.known].find(([, v]) => v.namespace === namespace && v.name === name);
    const ref: HealTargetRef = { kind: found?.[1].kind ?? 'Deployment', namespace, name };
    const before = await this.memory.reset(
      found?.[0] ?? `${namespace}/${name}`,
      kindOf(this.deps.kinds, ref.kind),
      namespace,
      name,
    );
    if (before?.hpa) await this.deps.runner.restoreHpa(ref, before.hpa);
    if (before?.scaled) await this.deps.runner.returnReplicas(ref, before.scaled);
    this.deps.logger.info({ namespace, deployment: name }, 'heal state reset by request');
  }

  private async cycle(opts: CycleOptions): Promise<CycleReport> {
    const { config, metrics, logger } = this.deps;
    const t0 = performance.now();
    const report: CycleReport = {
      startedAt: new Date(this.deps.now()).toISOString(),
      durationMs: 0,
      watched: 0,
      rows: [],
      errors: [],
      phasesMs: {},
    };
    // Each phase's wall time, ended by `phase(name)` (the time since the previous mark).
    let mark = t0;
    const phase = (name: string): void => {
      const at = performance.now();
      report.phasesMs![name] = Math.round((report.phasesMs![name] ?? 0) + at - mark);
      mark = at;
    };
    this.observing = opts.observeOnly === true;
    try {
      if (!this.observing) {
        await this.deps.notifier?.flush?.().catch(() => undefined);
        // The budget ledger is loaded before the first acting cycle (fail closed until it is).
        await this.deps.gate.ready?.();
        await this.deps.approvals?.ready();
        await this.deps.approvals?.sweep();
        await this.evidence?.ready();
      } else {
        await this.deps.gate.observe?.();
        await this.deps.approvals?.observe();
        this.evidence?.observe();
      }
      phase('prepare');
      const scope: WatchScope = {
        namespaces: opts.namespaces ?? config.namespaces,
        labelSelector: opts.labelSelector ?? config.labelSelector,
      };
      let listed: TargetListing;
      try {
        listed = await this.deps.listTargets(scope);
        await this.recovered('kubernetes');
        phase('list');
      } catch (err) {
        const msg = `listing heal targets failed: ${describeError(err)}`;
        report.errors.push(msg);
        await this.failing('kubernetes', 'Kubernetes API unreachable', msg);
        return report;
      }
      for (const p of (await this.deps.policies?.refresh(scope.namespaces)) ?? [])
        if (!this.reportedProblems.has(p)) {
          this.reportedProblems.add(p);
          report.errors.push(p);
          logger.warn(p);
        }
      phase('policies');
      report.scope = {
        namespaces: scope.namespaces,
        labelSelector: scope.labelSelector,
        kinds: listed.kinds.map((k) => ({
          kind: k.kind,
          found: k.items.length,
          ...(k.notServed ? { notServed: true } : {}),
        })),
      };
      report.watched = listed.targets.length;
      metrics.deploymentsWatched.set(listed.targets.length);
      this.earned.newCycle();
      const targets = listed.targets.map((w) => this.target(w, opts));
      this.forgetVanished(targets);
      phase('targets');

      const batch = await this.deps.assessor.assess(targets);
      report.errors.push(...batch.errors);
      await this.reportDependencies(batch.dependencies);
      phase('assess');

      // Decide for every deployment first (pure), so the fleet guard sees them all.
      const turns = targets.map((t) =>
        this.turn(
          t,
          batch.assessments.get(t.key) ?? { kind: 'inconclusive', reason: 'not assessed' },
        ),
      );
      phase('decide');
      const step = this.observing
        ? undefined
        : this.fleetEpisode.update(
            evaluateFleet(
              turns.map((t) => ({
                namespace: t.namespace,
                name: t.name,
                atRisk: t.row.risk !== null && t.row.risk >= t.rules.high,
              })),
              config.fleet,
              batch.dependencies
                .filter((d) => !d.ok)
                .map((d) => `${d.name}: ${d.detail ?? ''}`.slice(0, 200)),
            ),
            this.deps.now(),
          );
      const fleet = step?.verdict ?? NO_FLEET_HOLD;
      if (fleet.reason) report.fleetHold = fleet.reason;
      metrics.fleetHold.set(fleet.reason ? 1 : 0);
      phase('fleet');

      let lost = false;
      try {
        if (step) {
          await this.fleetWide.fleetHold(step, this.fleetEpisode.startedAt(), turns);
          await this.fleetWide.groupedInconclusive(turns);
        }
        phase('fleetWide');
        for (const t of turns) {
          try {
            await this.handle(t, fleet);
            report.rows.push(t.row);
          } catch (err) {
            if (isLostLeadership(err)) throw err;
            // A bug or an unexpected API answer for one deployment must not stop the others.
            report.errors.push(`${t.key}: ${describeError(err)}`);
            logger.error(
              { namespace: t.namespace, deployment: t.name, err: String(err) },
              'handling failed',
            );
          }
        }
        phase('handle');
        if (!this.observing) await this.fleetWide.orphanHpas(scope, turns);
        phase('orphanHpas');
        if (!this.observing && (this.deps.isLeader?.() ?? true)) await this.evidence?.flush();
        phase('evidence');
      } catch (err) {
        if (!isLostLeadership(err)) throw err;
        lost = true;
        report.errors.push(err.message);
        logger.warn(err.message);
      }
      const risks = new Map<string, number | null>();
      for (const t of turns) risks.set(t.key, t.row.risk);
      const warming = turns.filter((t) => t.row.warmingUp).length;
      metrics.inconclusiveDeployments.set(turns.filter((t) => t.row.inconclusive).length - warming);
      metrics.warmingDeployments.set(warming);
      if (!lost) metrics.setRisks(risks);
      phase('metrics');
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
          phasesMs: report.phasesMs,
        },
        'cycle done',
      );
    }
  }

  /** The rules and identity of a listed target; a broken annotation is reported once. */
  private target(w: ListedWorkload, opts: CycleOptions): Target {
    const dep = w.object;
    const kind = kindOf(this.deps.kinds, w.kind);
    const namespace = dep.metadata?.namespace ?? 'default';
    const name = dep.metadata?.name ?? '';
    const key = `${namespace}/${name}`;
    const policy = policyFor(this.deps.policies?.current() ?? [], namespace, dep.metadata?.labels);
    const base = policy ? applyPolicy(this.base, policy.spec) : this.base;
    const { approvals } = this.deps.config;
    let gates: GateConfig = policy?.spec.gates
      ? {
          ...approvals,
          gates: policyGates(approvals.gates, policy.spec),
          prodGates: policyGates(approvals.prodGates, policy.spec),
        }
      : approvals;
    const { rules, problems } = resolveRules(base, dep.metadata?.annotations);
    rules.ladder = gatedLadder(rules.ladder, namespace, gates);
    if (this.deps.config.autonomy.enabled) gates = this.earned.gates(namespace, gates);
    if (opts.dryRun) rules.dryRun = true;
    if (opts.enterCycles !== undefined) rules.enterCycles = opts.enterCycles;
    const annotated = [...problems, ...sloAnnotationProblems(dep.metadata?.annotations)];
    for (const p of annotated) void this.badAnnotation(dep, kind, p, rules.dryRun);
    return {
      obj: dep,
      kind,
      ref: { kind: w.kind, namespace, name },
      namespace,
      name,
      key,
      id: dep.metadata?.uid ?? key,
      rules,
      gates,
    };
  }

  /**
   * Deployments watched last cycle and gone now (deleted, or their opt-in label removed) are
   * forgotten everywhere: memory, status store, gate, reported problems. A deployment
   * re-created under the same name has a new UID, so it starts from zero.
   */
  private forgetVanished(targets: readonly Target[]): void {
    const now = new Map(
      targets.map((t) => [t.id, { namespace: t.namespace, name: t.name, kind: t.ref.kind }]),
    );
    const live = new Set(targets.map((t) => t.key));
    for (const [id, d] of this.known) {
      if (now.has(id)) continue;
      this.memory.forget(id);
      this.releases.forget(id);
      const key = `${d.namespace}/${d.name}`;
      if (!live.has(key)) {
        this.deps.sink.forget?.(d.namespace, d.name);
        this.deps.gate.forget?.(d.namespace, d.name);
        for (const p of [...this.reportedProblems])
          if (p.startsWith(`${key}:`)) this.reportedProblems.delete(p);
      }
    }
    this.known = now;
  }

  /** Warns once when a dependency starts failing; notes its recovery. */
  private async reportDependencies(deps: readonly DependencyReport[]): Promise<void> {
    for (const d of deps) {
      if (d.ok) await this.recovered(d.name);
      else await this.failing(d.name, d.title ?? `${d.name} failing`, d.detail ?? '');
    }
  }

  /** Reads the memory and decides (pure); nothing is written yet. */
  private turn(t: Target, assessed: Assessment): Turn {
    const now = this.deps.now();
    const loaded = this.memory.load(t.id, t.obj, t.rules.dryRun);
    if (loaded.problem && !this.observing)
      void this.badAnnotation(t.obj, t.kind, loaded.problem, t.rules.dryRun);
    const memory = loaded.memory;
    // The release fingerprint hashes the template: only where the policy may need it.
    const mayNeedRelease =
      memory.phase !== 'healthy' || (assessed.kind === 'scored' && assessed.risk >= t.rules.high);
    const assessment: Assessment = {
      ...assessed,
      workload: t.kind.view(t.obj, { release: mayNeedRelease }),
    };
    const { decision, nextState } = this.changeAware(
      t,
      memory,
      decide(memory, assessment, t.rules, now),
      now,
    );
    return newTurn(t, {
      now,
      assessment,
      decision,
      memory,
      next: nextState,
      stored: loaded.persisted,
    });
  }

  /** One deployment's cycle after the decision: gate and act, report, remember. */
  private async handle(t: Turn, fleet: FleetVerdict): Promise<void> {
    const { decision } = t;
    if (t.scored) this.observe(t, t.scored.risk);
    if (this.observing) {
      // The leader acts on this decision; a follower only shows where the deployment stands.
      this.memory.rememberLocally({ key: t.id, dryRun: t.rules.dryRun, next: t.next });
      this.deps.sink.assessment(turnStatus(t, this.deps.now()));
      return;
    }
    this.guard();
    if (decision.kind === 'inconclusive' && !decision.warming) this.deps.metrics.inconclusive.inc();
    // The previous step's verdict.
    const outcome: StepOutcome | undefined = 'outcome' in decision ? decision.outcome : undefined;
    if (outcome) await this.reportOutcome(t, outcome);

    switch (decision.kind) {
      case 'act':
        await this.actor.act(t, decision, fleet);
        break;
      case 'page':
        await this.deps.reporter.report(pageReport(this.view(t), decision, t.scored?.risk ?? 0));
        break;
      case 'recovered':
        await this.actor.recover(t, decision);
        break;
      case 'superseded':
        await this.actor.supersede(t, decision);
        break;
      case 'inconclusive':
        await this.inconclusive(t, decision);
        break;
      default:
        this.deps.logger.debug(
          { namespace: t.namespace, deployment: t.name, decision: decision.kind },
          decision.reason,
        );
    }
    if (t.skipWrite)
      this.memory.rememberLocally({ key: t.id, dryRun: t.rules.dryRun, next: t.next });
    else
      await this.memory.remember(
        {
          key: t.id,
          target: t.kind,
          namespace: t.namespace,
          name: t.name,
          dryRun: t.rules.dryRun,
          next: t.next,
          stored: t.stored,
          extras: t.extras,
        },
        this.deps.term?.(),
      );
    this.deps.sink.assessment(turnStatus(t, this.deps.now()));
  }

  /** Levels and evidence for `GET /api/autonomy`. */
  autonomy(): AutonomyRow[] {
    return this.earned.rows();
  }

  /** Someone else's release just before risk rose: rollback first (`policy/changeAware.ts`). */
  private changeAware(
    t: Target,
    memory: HealMemory,
    result: { decision: Decision; nextState: HealMemory },
    now: number,
  ): { decision: Decision; nextState: HealMemory } {
    const c = this.deps.config.changeAware;
    const rollingBack =
      memory.phase !== 'healthy' && t.rules.ladder[memory.step - 1] === 'rollback';
    const atRisk = memory.phase !== 'healthy' || memory.highStreak > 0;
    const change = this.releases.observe(t.id, t.obj, now, rollingBack, atRisk);
    if (!c.enabled) return result;
    return changeAware(result, memory, t.rules, change, now, c.windowMs);
  }

  /** Judges dry-run entries whose window has passed (the trend is the status sink's). */
  private observe(t: Turn, risk: number): void {
    this.shadow.observe(t.namespace, t.name, risk, t.now);
  }

  /** No usable data: logged every cycle, announced once when it lasts (grouped when many). */
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
    const r = inconclusiveReport(this.view(t), d);
    // Many at once were announced in one grouped message: each keeps its Event.
    if (t.groupedAlert) delete r.notify;
    await this.deps.reporter.report(r);
  }

  private async reportOutcome(t: Turn, o: StepOutcome): Promise<void> {
    const { metrics } = this.deps;
    metrics.stepOutcomes.inc({ action: o.action, outcome: o.cured ? 'cured' : 'not_cured' });
    metrics.stepRiskDelta.observe({ action: o.action }, o.riskAfter - o.riskBefore);
    await this.deps.reporter.report(outcomeReport(this.view(t), o));
  }

  /** Throws {@link LostLeadershipError} unless this replica still leads. */
  private guard(): void {
    if (this.deps.isLeader && !this.deps.isLeader()) throw new LostLeadershipError();
  }

  /** A dependency started failing: warn once (log + notification) until it recovers. */
  private async failing(what: string, title: string, detail: string): Promise<void> {
    this.deps.onDependency?.(what, false, detail);
    if (this.observing || this.dependencies.isDown(what)) return;
    this.guard();
    await this.dependencies.failing(what, title, detail);
  }

  private async recovered(what: string): Promise<void> {
    this.deps.onDependency?.(what, true);
    this.dependencies.recovered(what);
  }

  /**
   * A broken annotation is reported once per deployment and problem — by the leader only, and
   * without an Event in dry-run (dry-run writes nothing to the cluster).
   */
  private async badAnnotation(
    dep: WorkloadObject,
    kind: WorkloadKind,
    problem: string,
    dryRun: boolean,
  ): Promise<void> {
    if (this.observing) return;
    const namespace = dep.metadata?.namespace ?? 'default';
    const name = dep.metadata?.name ?? '';
    const k = `${namespace}/${name}:${problem}`;
    if (this.reportedProblems.has(k)) return;
    if (this.deps.isLeader && !this.deps.isLeader()) return;
    this.reportedProblems.add(k);
    await this.deps.reporter.report({
      subject: {
        ...subjectKind(kind),
        namespace,
        name,
        ...(dep.metadata?.uid ? { uid: dep.metadata.uid } : {}),
      },
      level: 'warn',
      message: problem,
      event: { type: 'Warning', reason: EVENT_REASONS.badAnnotation },
      dryRun,
    });
  }
}
