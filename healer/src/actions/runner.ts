/**
 * Carries out one rung of the ladder on a heal target, through its kind's {@link TargetActions}.
 * The heal state goes into the same write as the change where the target allows it, so a step and
 * its record are one atomic write.
 */
import type { HealAction } from '../api/types.js';
import type { DeploymentRules } from '../policy/rules.js';
import type { PersistedHealState } from './state.js';
import type { ActionResult, HealTargetRef, RaisedHpa, TargetActions } from './types.js';

export interface RungResult extends ActionResult {
  /** An HPA whose minReplicas this rung raised. */
  hpa?: RaisedHpa;
  /** The rung wrote the heal state itself (in the same patch as its change). */
  stateWritten: boolean;
}

export class ActionRunner {
  constructor(private readonly targets: TargetActions<PersistedHealState>) {}

  async run(
    action: Exclude<HealAction, 'page'>,
    ref: HealTargetRef,
    rules: DeploymentRules,
    state: PersistedHealState,
    at: Date,
  ): Promise<RungResult> {
    const t = this.targets;
    if (action === 'rollback') {
      const r = await t.rollback(ref, { state });
      return { ...r, stateWritten: r.status === 'done' };
    }
    const parts: string[] = [];
    if (action === 'cache_clear_restart') {
      const c = await t.clearCache(ref, rules.cacheClear);
      parts.push(c.detail);
    }
    const r = await t.restart(ref, { at, state });
    parts.push(r.detail);
    if (r.status !== 'done' || action !== 'restart_scale') {
      return {
        status: r.status,
        detail: parts.join('; '),
        stateWritten: r.status === 'done',
      };
    }
    const s = await t.scaleUp(ref, { step: rules.scaleStep, maxReplicas: rules.maxReplicas });
    parts.push(s.detail);
    // The step counts as done when the restart was; a failed scale-up is reported in the detail.
    const out: RungResult = {
      status: r.status,
      detail: parts.join('; '),
      stateWritten: true,
      ...(s.hpa ? { hpa: s.hpa } : {}),
    };
    if (s.hpa && s.hpa.name !== state.hpa?.name) out.stateWritten = false; // record the HPA in a second write
    return out;
  }

  restoreHpa(ref: HealTargetRef, hpa: RaisedHpa): Promise<ActionResult> {
    return this.targets.restoreHpa(ref, hpa);
  }
}
