/**
 * The act step of one deployment's turn: a rung asks the gate (a human's hold, the fleet guard,
 * stale data, budgets), then the approvals if the rung is gated, then is planned (dry-run) or
 * carried out by the ladder's runner; the outcome is counted, recorded against the budgets and
 * reported. Also the end of an episode: what the healer added (HPA minReplicas, replicas) is
 * given back on recovery or when someone else's release supersedes it.
 */
import type { ActionRunner } from '../actions/runner.js';
import { toPersisted } from '../actions/state.js';
import type { Approvals } from '../approval/approvals.js';
import type { HealerConfig } from '../config.js';
import type { FleetVerdict } from '../gate/fleet.js';
import type { ActionGate, GateRequest } from '../gate/types.js';
import type { HealerMetrics } from '../metrics.js';
import { afterAction, holdBack } from '../policy/decide.js';
import type { Decision } from '../policy/types.js';
import {
  actionReport,
  budgetDeniedReport,
  dryRunReport,
  heldReport,
  pageReport,
  recoveredReport,
  scaleReturnedReport,
  staleReport,
  supersededReport,
  type ReportView,
} from '../report/messages.js';
import type { Reporter } from '../report/reporter.js';
import { silencedReport } from '../silence/report.js';
import type { ShadowLedger } from './shadow.js';
import { subjectKind, turnView, type Turn } from './turn.js';

export interface ActorOptions {
  config: Pick<HealerConfig, 'links'>;
  gate: ActionGate;
  runner: ActionRunner;
  reporter: Reporter;
  metrics: HealerMetrics;
  /** Dry-run plans, judged later (`GET /api/shadow`, autonomy). */
  shadow: ShadowLedger;
  /** Approval gates per rung; none: every rung is `auto`. */
  approvals?: Approvals;
  /** The leader's term, written into the heal state. */
  term?: () => number | undefined;
  /** Throws `LostLeadershipError` unless this replica still leads (before every write). */
  guard: () => void;
}

export class Actor {
  constructor(private readonly o: ActorOptions) {}

  /** A rung of the ladder: asks the gate, then plans it (dry-run) or carries it out. */
  async act(t: Turn, d: Extract<Decision, { kind: 'act' }>, fleet: FleetVerdict): Promise<void> {
    const request: GateRequest = {
      namespace: t.namespace,
      name: t.name,
      action: d.action,
      ...(t.assessment.workload ? { workload: t.assessment.workload } : {}),
      ...(t.assessment.at !== undefined ? { assessedAt: t.assessment.at } : {}),
      ...(t.obj.metadata?.labels ? { labels: t.obj.metadata.labels } : {}),
      ...(t.obj.metadata?.annotations ? { annotations: t.obj.metadata.annotations } : {}),
    };
    const verdict = this.o.gate.check(request, { now: new Date(t.now), fleet });
    const count = (outcome: string): void =>
      this.o.metrics.actions.inc({ action: d.action, step: String(d.step), outcome });
    if (!verdict.allowed) {
      t.next = holdBack(t.memory, t.next, d.outcome !== undefined);
      const budget =
        !verdict.page && !verdict.grouped && !verdict.quiet && verdict.rule !== 'stale_assessment';
      t.row.actionStatus = budget ? 'budget_denied' : 'held';
      t.row.detail = `${d.reason}; held back: ${verdict.message}`;
      count(budget ? 'budget_denied' : `held_${verdict.rule}`);
      const v = this.view(t);
      if (verdict.grouped) return; // one grouped message and Event set for the fleet hold
      // A silence or the kill switch: an Event once per hold, no message.
      if (verdict.quiet)
        return void (await this.o.reporter.report(silencedReport(this.view(t), d, verdict)));
      if (verdict.page) await this.o.reporter.report(heldReport(v, d, verdict));
      else if (verdict.rule === 'stale_assessment')
        await this.o.reporter.report(staleReport(v, d, verdict));
      // A budget that holds for an hour is announced once, not once per cycle.
      else await this.o.reporter.report(budgetDeniedReport(v, d, verdict));
      return;
    }
    const riskBefore = t.scored?.risk ?? 0;
    if (t.rules.dryRun) {
      t.row.actionStatus = 'dry_run';
      count('dry_run');
      this.o.shadow.add(
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
      await this.o.reporter.report(dryRunReport(this.view(t), d, riskBefore));
      return;
    }
    if (this.o.approvals && !(await this.admitted(t, d, riskBefore))) return;
    this.o.guard();
    const term = this.o.term?.();
    // The heal state written with the change is the memory as it will be once the step is done.
    const planned = afterAction(t.next, { status: 'done', detail: '' }, t.rules, t.now).state;
    const result = await this.o.runner.run(d.action, t.ref, t.rules, {
      state: toPersisted(planned, { ...t.extras, ...(term !== undefined ? { term } : {}) }),
      fence: { expected: t.stored ?? null, ...(term !== undefined ? { term } : {}) },
      at: new Date(t.now),
      ...(t.next.badReleases ? { badReleases: t.next.badReleases } : {}),
    });
    t.row.actionStatus = result.status;
    count(result.alreadyTaken ? 'already_taken' : result.status);
    t.row.detail = `${d.reason}: ${result.detail}`;
    if (result.alreadyTaken) {
      // Another healer took this step (or the state changed under us): re-read next cycle.
      t.next = holdBack(t.memory, t.next);
      t.skipWrite = true;
      return;
    }
    const failed = result.status === 'failed' || result.status === 'refused';
    if (result.status !== 'skipped') this.o.gate.record(request, new Date(t.now), { failed });
    if (result.hpa) t.extras = { ...t.extras, hpa: t.extras.hpa ?? result.hpa };
    if (result.scaled)
      t.extras = {
        ...t.extras,
        scaled: { from: t.extras.scaled?.from ?? result.scaled.from, to: result.scaled.to },
      };
    if (result.written) t.stored = result.written;
    const after = afterAction(t.next, result, t.rules, t.now);
    t.next = after.state;
    await this.o.reporter.report(
      actionReport(this.view(t), d, result, riskBefore, {
        ...(after.state.pendingAction && after.state.retryAt !== undefined
          ? {
              retryInMs: after.state.retryAt - t.now,
              errors: after.state.actionErrors ?? 0,
              limit: t.rules.actionErrorLimit,
            }
          : {}),
        ...(after.page ? { paged: true } : {}),
      }),
    );
    if (after.page) {
      await this.o.reporter.report(
        pageReport(
          this.view(t),
          { kind: 'page', step: t.next.step, attempt: t.next.attempt, reason: after.page },
          riskBefore,
        ),
      );
    }
  }

  /** A gated rung: runs only once approved and re-checked (`src/approval/`). */
  private async admitted(
    t: Turn,
    d: Extract<Decision, { kind: 'act' }>,
    risk: number,
  ): Promise<boolean> {
    const a = await this.o.approvals!.admit({
      namespace: t.namespace,
      name: t.name,
      ...(t.obj.metadata?.uid ? { uid: t.obj.metadata.uid } : {}),
      ...subjectKind(t.kind),
      action: d.action,
      step: d.step,
      attempt: d.attempt,
      episodeStartedAt: t.next.episodeStartedAt ?? t.memory.episodeStartedAt ?? t.now,
      ...(t.assessment.workload?.release ? { release: t.assessment.workload.release } : {}),
      risk,
      high: t.rules.high,
      reason: d.reason,
      gates: t.gates,
      ...(t.scored ? { top: t.scored.explanation.slice(0, 3) } : {}),
      ...(t.obj.metadata?.annotations ? { annotations: t.obj.metadata.annotations } : {}),
    });
    if (a.go) return true;
    t.next = holdBack(t.memory, t.next, d.outcome !== undefined);
    t.row.actionStatus = 'awaiting_approval';
    t.row.detail = `${d.reason}; held back: ${a.message}`;
    this.o.metrics.actions.inc({
      action: d.action,
      step: String(d.step),
      outcome: `approval_${a.state}`,
    });
    return false;
  }

  /** M cycles below low: attempts reset, raised HPA minReplicas and added replicas given back. */
  async recover(t: Turn, d: Extract<Decision, { kind: 'recovered' }>): Promise<void> {
    const gaveBack = await this.giveBackScale(t);
    await this.o.reporter.report(recoveredReport(this.view(t), d));
    if (gaveBack.length > 0)
      await this.o.reporter.report(
        scaleReturnedReport(this.view(t), gaveBack, 'recovered: giving back what the healer added'),
      );
  }

  /** Someone else's release ended the episode: what the healer added goes back too. */
  async supersede(t: Turn, d: Extract<Decision, { kind: 'superseded' }>): Promise<void> {
    const gaveBack = await this.giveBackScale(t);
    await this.o.reporter.report(supersededReport(this.view(t), d, gaveBack));
  }

  /** Restores a raised HPA minReplicas and returns added replicas (dry-run changes nothing). */
  private async giveBackScale(t: Turn): Promise<string[]> {
    if (t.rules.dryRun) return [];
    const out: string[] = [];
    if (t.extras.hpa) {
      const r = await this.o.runner.restoreHpa(t.ref, t.extras.hpa);
      out.push(r.detail);
      if (r.status !== 'failed') t.extras = { ...t.extras, hpa: undefined };
    }
    if (t.extras.scaled) {
      const r = await this.o.runner.returnReplicas(t.ref, t.extras.scaled);
      out.push(r.detail);
      if (r.status !== 'failed') t.extras = { ...t.extras, scaled: undefined };
    }
    return out;
  }

  private view(t: Turn): ReportView {
    return turnView(t, this.o.config.links);
  }
}
