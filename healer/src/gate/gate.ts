/**
 * The gate the loop asks before every action, rule by rule; the first that holds is named:
 *
 * 1. `paused` / `deleting` — a human holds the workload (`kubectl rollout pause`, a delete): never
 *    acted on; paged once.
 * 2. `fleet` — the fleet guard holds this namespace or the cluster (blast radius, degraded
 *    dependency); reported grouped.
 * 3. `stale_assessment` — the assessment is older than `maxAssessmentAgeMs`.
 * 4. the budgets (`src/budget/`), including `ledger_unavailable` (fail closed).
 *
 * Per-rung approvals, silences and a kill switch are meant to be further rules here.
 */
import type { BudgetGate } from '../policy/types.js';
import { fleetHoldFor } from './fleet.js';
import type { ActionGate, GateContext, GateRequest, GateRule, GateVerdict } from './types.js';

export interface HealGateOptions {
  budget: BudgetGate;
  /** An assessment older than this is not acted on. */
  maxAssessmentAgeMs: number;
}

export class HealGate implements ActionGate {
  /** Last rule that held each deployment back, so a hold that lasts is announced once. */
  private readonly lastRule = new Map<string, GateRule>();

  constructor(private readonly opts: HealGateOptions) {}

  check(req: GateRequest, ctx: GateContext): GateVerdict {
    const key = `${req.namespace}/${req.name}`;
    const deny = (
      rule: GateRule,
      message: string,
      extra: { page?: boolean; grouped?: boolean } = {},
    ): GateVerdict => {
      const repeated = this.lastRule.get(key) === rule;
      this.lastRule.set(key, rule);
      return { allowed: false, rule, message, repeated, ...extra };
    };
    const w = req.workload;
    if (w?.paused)
      return deny(
        'paused',
        `paused: ${w.pausedBy ?? 'spec.paused=true (kubectl rollout pause): a human is working on it'}; no action until it is resumed`,
        { page: true },
      );
    if (w?.deleting)
      return deny('deleting', 'deleting: metadata.deletionTimestamp is set; no action', {
        page: true,
      });
    const fleet = fleetHoldFor(ctx.fleet, req.namespace);
    if (fleet) return deny('fleet', fleet, { grouped: true });
    if (req.assessedAt !== undefined) {
      const age = ctx.now.getTime() - req.assessedAt;
      if (age > this.opts.maxAssessmentAgeMs) {
        return deny(
          'stale_assessment',
          `stale_assessment: assessment ${Math.round(age / 1000)} s old > maxAssessmentAgeMs ${Math.round(this.opts.maxAssessmentAgeMs / 1000)} s; not acting on it`,
        );
      }
    }
    const budget = this.opts.budget.check(req, ctx.now);
    if (!budget.allowed) {
      this.lastRule.set(key, budget.rule as GateRule);
      return {
        allowed: false,
        rule: budget.rule as GateRule,
        message: budget.message,
        repeated: budget.repeated ?? false,
      };
    }
    this.lastRule.delete(key);
    return { allowed: true };
  }

  record(req: GateRequest, now: Date, outcome: { failed: boolean }): void {
    this.opts.budget.record(req, now, outcome);
  }

  async ready(): Promise<void> {
    await this.opts.budget.ready?.();
  }

  forget(namespace: string, name: string): void {
    this.lastRule.delete(`${namespace}/${name}`);
    this.opts.budget.forget?.(namespace, name);
  }
}
