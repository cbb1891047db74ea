/**
 * What a cycle does across all its turns rather than per deployment: the fleet hold's one grouped
 * message (and an Event per newly held deployment), the grouped inconclusive alert, and the HPAs
 * the healer raised that no heal state records any more.
 */
import type { Logger } from 'pino';
import { describeError, type KubeClients } from '../actions/kube.js';
import type { ActionRunner } from '../actions/runner.js';
import { listRaisedHpas, orphanHpas } from '../actions/scale.js';
import type { HealerConfig } from '../config.js';
import type { FleetStep } from '../gate/fleetEpisode.js';
import { ANNOTATIONS } from '../policy/rules.js';
import {
  fleetHoldMessage,
  fleetHoldReport,
  groupedInconclusiveMessage,
  linksOf,
  scaleReturnedReport,
} from '../report/messages.js';
import type { Reporter } from '../report/reporter.js';
import type { WatchScope } from '../kinds/types.js';
import { turnView, type Turn } from './turn.js';

export interface FleetWideOptions {
  config: Pick<HealerConfig, 'links'>;
  kube: KubeClients;
  runner: ActionRunner;
  reporter: Reporter;
  logger: Logger;
  now: () => number;
  /** Throws unless this replica still leads; asked before every write and message. */
  guard: () => void;
}

export class FleetWide {
  constructor(private readonly o: FleetWideOptions) {}

  /** A fleet hold: one grouped message when it starts, one Event per newly held deployment. */
  async fleetHold(step: FleetStep, startedAt: number | undefined, turns: readonly Turn[]) {
    if (step.released) this.o.logger.info('fleet guard released: actions resume');
    const { verdict } = step;
    if (!step.started && step.newlyHeld.length === 0) return;
    this.o.guard();
    const links = linksOf(this.o.config.links);
    if (step.started)
      await this.o.reporter.warning(
        fleetHoldMessage(verdict.reason, verdict.atRisk, startedAt ?? this.o.now(), links),
      );
    const byKey = new Map(turns.map((t) => [t.key, t]));
    await Promise.all(
      step.newlyHeld.map(async (k) => {
        const t = byKey.get(k);
        if (t) await this.o.reporter.report(fleetHoldReport(this.view(t), verdict.reason));
      }),
    );
  }

  /**
   * Inconclusive alerts of several deployments in one cycle become one grouped message; each
   * turn is marked so its own report keeps the Event but sends no message.
   */
  async groupedInconclusive(turns: readonly Turn[]): Promise<void> {
    const alerting = turns.filter(
      (t) => t.decision.kind === 'inconclusive' && t.decision.alert && !t.rules.dryRun,
    );
    if (alerting.length < 2) return;
    this.o.guard();
    for (const t of alerting) t.groupedAlert = true;
    await this.o.reporter.warning(
      groupedInconclusiveMessage(
        alerting.map((t) => ({ key: t.key, reason: t.decision.reason })),
        this.o.now(),
        linksOf(this.o.config.links),
      ),
    );
  }

  /**
   * HPAs the healer raised whose record is gone (someone removed the heal-state annotations, or
   * a crash between the two writes): their minReplicas is restored once the deployment is not
   * in an episode. One HPA list per cycle, not per deployment.
   */
  async orphanHpas(scope: WatchScope, turns: readonly Turn[]): Promise<void> {
    let raised;
    try {
      raised = await listRaisedHpas(this.o.kube, scope.namespaces);
    } catch (err) {
      this.o.logger.warn({ err: describeError(err) }, 'listing HPAs failed');
      return;
    }
    const byKey = new Map(turns.map((t) => [t.key, t]));
    const orphans = orphanHpas(
      raised,
      turns.map((t) => ({
        key: t.key,
        idle: !t.rules.dryRun && t.next.phase === 'healthy',
        ...(t.extras.hpa ? { recorded: t.extras.hpa.name } : {}),
      })),
    );
    for (const o of orphans) {
      const t = byKey.get(o.key)!;
      this.o.guard();
      const r = await this.o.runner.restoreHpa(t.ref, o.hpa);
      await this.o.reporter.report(
        scaleReturnedReport(
          this.view(t),
          [r.detail],
          `HPA ${o.hpa.name} carries ${ANNOTATIONS.originalMinReplicas}=${o.hpa.originalMinReplicas} but no heal state records it`,
        ),
      );
    }
  }

  private view(t: Turn) {
    return turnView(t, this.o.config.links);
  }
}
