/**
 * {@link TargetActions} for `apps/v1` Deployments, through client-node: the same calls `kubectl
 * rollout restart`, `kubectl rollout undo` and `kubectl scale` make. Every write first runs
 * `beforeWrite` (the leadership check), so a replica that lost the Lease changes nothing.
 */
import { clearCache } from './cacheClear.js';
import type { KubeClients } from './kube.js';
import { restartDeployment } from './restart.js';
import { rollbackDeployment } from './rollback.js';
import { restoreHpaMin, returnReplicas, scaleUp } from './scale.js';
import type { PersistedHealState, WriteFence } from './state.js';
import type { Sleep } from '../retry.js';
import type { CacheClearSpec } from '../policy/rules.js';
import type {
  ActionResult,
  HealTargetRef,
  RaisedHpa,
  ScaleUpResult,
  TargetActions,
  WrittenResult,
} from './types.js';

export interface DeploymentActionsOptions {
  /** Retries for 5xx/timeouts on each call. */
  retries: number;
  sleep?: Sleep;
  /** Run right before every write; throws `LostLeadershipError` when this replica lost the Lease. */
  beforeWrite?: () => void;
}

export class DeploymentActions implements TargetActions<PersistedHealState, WriteFence> {
  constructor(
    private readonly kube: KubeClients,
    private readonly opts: DeploymentActionsOptions,
  ) {}

  private common(): { retries: number; sleep?: Sleep; beforeWrite?: () => void } {
    return {
      retries: this.opts.retries,
      ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
      ...(this.opts.beforeWrite ? { beforeWrite: this.opts.beforeWrite } : {}),
    };
  }

  private fence(f: WriteFence | undefined): { fence: WriteFence } {
    return {
      fence: { ...f, ...(this.opts.beforeWrite ? { beforeWrite: this.opts.beforeWrite } : {}) },
    };
  }

  async restart(
    ref: HealTargetRef,
    opts: { at: Date; state?: PersistedHealState; fence?: WriteFence },
  ): Promise<WrittenResult<PersistedHealState>> {
    const r = await restartDeployment(this.kube, ref.namespace, ref.name, {
      ...this.common(),
      at: opts.at,
      ...(opts.state ? { state: opts.state } : {}),
      ...this.fence(opts.fence),
    });
    return r.status === 'done' && opts.state ? { ...r, state: opts.state } : r;
  }

  rollback(
    ref: HealTargetRef,
    opts: { state?: PersistedHealState; fence?: WriteFence; badReleases?: readonly string[] },
  ): Promise<WrittenResult<PersistedHealState>> {
    return rollbackDeployment(this.kube, ref.namespace, ref.name, {
      ...this.common(),
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.badReleases ? { badReleases: opts.badReleases } : {}),
      ...this.fence(opts.fence),
    });
  }

  scaleUp(ref: HealTargetRef, opts: { step: number; maxReplicas: number }): Promise<ScaleUpResult> {
    return scaleUp(this.kube, ref.namespace, ref.name, { ...this.common(), ...opts });
  }

  returnReplicas(ref: HealTargetRef, scaled: { from: number; to: number }): Promise<ActionResult> {
    return returnReplicas(this.kube, ref.namespace, ref.name, scaled, this.common());
  }

  restoreHpa(ref: HealTargetRef, hpa: RaisedHpa): Promise<ActionResult> {
    return restoreHpaMin(
      this.kube,
      ref.namespace,
      hpa.name,
      hpa.originalMinReplicas,
      this.common(),
    );
  }

  clearCache(ref: HealTargetRef, spec: CacheClearSpec): Promise<ActionResult> {
    return clearCache(this.kube, ref.namespace, ref.name, {
      spec,
      ...(this.opts.beforeWrite ? { beforeWrite: this.opts.beforeWrite } : {}),
    });
  }
}
