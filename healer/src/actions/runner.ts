/**
 * Carries out one rung of the ladder on a heal target, through its kind's {@link TargetActions}.
 * The heal state goes into the same write as the change where the target allows it, so a step and
 * its record are one atomic write; the write is fenced (the state read, the leader's term).
 */
import type { HealAction } from '../api/types.js';
import type { DeploymentRules } from '../policy/rules.js';
import type { PersistedHealState, WriteFence } from './state.js';
import type { ActionResult, HealTargetRef, RaisedHpa, TargetActions } from './types.js';

export interface RungResult extends ActionResult {
  /** An HPA whose minReplicas this rung raised. */
  hpa?: RaisedHpa;
  /** Replicas this rung raised directly. */
  scaled?: { from: number; to: number };
  /** The heal state written in the same patch as the change, exactly as written. */
  written?: PersistedHealState;
}

export interface RungInput {
  /** The heal state to write with the change (the memory after a successful step). */
  state: PersistedHealState;
  fence: WriteFence;
  at: Date;
  badReleases?: readonly string[];
}

export class ActionRunner {
  constructor(private readonly targets: TargetActions<PersistedHealState, WriteFence>) {}

  async run(
    action: Exclude<HealAction, 'page'>,
    ref: HealTargetRef,
    rules: DeploymentRules,
    input: RungInput,
  ): Promise<RungResult> {
    const t = this.targets;
    const { state, fence, at } = input;
    if (action === 'rollback') {
      const r = await t.rollback(ref, {
        state,
        fence,
        ...(input.badReleases ? { badReleases: input.badReleases } : {}),
      });
      const { state: written, ...rest } = r;
      return { ...rest, ...(written ? { written } : {}) };
    }
    const parts: string[] = [];
    if (action === 'cache_clear_restart') {
      const c = await t.clearCache(ref, rules.cacheClear);
      // No restart after a cache clear that did not happen: the rung failed as a whole.
      if (c.status !== 'done') return c;
      parts.push(c.detail);
    }
    const r = await t.restart(ref, { at, state, fence });
    parts.push(r.detail);
    const base: RungResult = {
      status: r.status,
      detail: parts.join('; '),
      ...(r.alreadyTaken ? { alreadyTaken: true } : {}),
      ...(r.release ? { release: r.release } : {}),
      ...(r.state ? { written: r.state } : {}),
    };
    if (r.status !== 'done' || action !== 'restart_scale') return base;
    const s = await t.scaleUp(ref, { step: rules.scaleStep, maxReplicas: rules.maxReplicas });
    // One rung, two halves: a failed scale-up fails the step (it is retried like any action
    // error), though the restart half went through; nothing to add (at max) is not a failure.
    return {
      ...base,
      ...(s.status === 'failed' || s.status === 'refused' ? { status: s.status } : {}),
      detail: `${base.detail}; ${s.detail}`,
      ...(s.hpa ? { hpa: s.hpa } : {}),
      ...(s.scaled ? { scaled: s.scaled } : {}),
    };
  }

  restoreHpa(ref: HealTargetRef, hpa: RaisedHpa): Promise<ActionResult> {
    return this.targets.restoreHpa(ref, hpa);
  }

  returnReplicas(ref: HealTargetRef, scaled: { from: number; to: number }): Promise<ActionResult> {
    return this.targets.returnReplicas(ref, scaled);
  }
}
