/**
 * {@link TargetActions} for `apps/v1` Deployments, through client-node: the same calls `kubectl
 * rollout restart`, `kubectl rollout undo` and `kubectl scale` make.
 */
import { clearCache } from './cacheClear.js';
import type { KubeClients } from './kube.js';
import { restartDeployment } from './restart.js';
import { rollbackDeployment } from './rollback.js';
import { restoreHpaMin, scaleUp } from './scale.js';
import type { PersistedHealState } from './state.js';
import type { Sleep } from '../retry.js';
import type { CacheClearSpec } from '../policy/rules.js';
import type {
  ActionResult,
  HealTargetRef,
  RaisedHpa,
  ScaleUpResult,
  TargetActions,
} from './types.js';

export interface DeploymentActionsOptions {
  /** Retries for 5xx/timeouts on each call. */
  retries: number;
  sleep?: Sleep;
}

export class DeploymentActions implements TargetActions<PersistedHealState> {
  constructor(
    private readonly kube: KubeClients,
    private readonly opts: DeploymentActionsOptions,
  ) {}

  private common(): { retries: number; sleep?: Sleep } {
    return { retries: this.opts.retries, ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}) };
  }

  restart(
    ref: HealTargetRef,
    opts: { at: Date; state?: PersistedHealState },
  ): Promise<ActionResult> {
    return restartDeployment(this.kube, ref.namespace, ref.name, { ...this.common(), ...opts });
  }

  rollback(ref: HealTargetRef, opts: { state?: PersistedHealState }): Promise<ActionResult> {
    return rollbackDeployment(this.kube, ref.namespace, ref.name, { ...this.common(), ...opts });
  }

  scaleUp(ref: HealTargetRef, opts: { step: number; maxReplicas: number }): Promise<ScaleUpResult> {
    return scaleUp(this.kube, ref.namespace, ref.name, { ...this.common(), ...opts });
  }

  restoreHpa(ref: HealTargetRef, hpa: RaisedHpa): Promise<ActionResult> {
    return restoreHpaMin(this.kube, ref.namespace, hpa.name, hpa.originalMinReplicas);
  }

  clearCache(ref: HealTargetRef, spec: CacheClearSpec): Promise<ActionResult> {
    return clearCache(this.kube, ref.namespace, ref.name, { spec });
  }
}
