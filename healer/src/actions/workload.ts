/**
 * {@link TargetActions} for every kind of heal target (a Deployment, an Argo Rollout), through
 * client-node: each call goes to the kind's own client (`kinds/`), the ladder's rules are the
 * same. Every write first runs `beforeWrite` (the leadership check), so a replica that lost the
 * Lease changes nothing.
 */
import { kindOf } from '../kinds/index.js';
import type { WorkloadKind, WorkloadKinds } from '../kinds/types.js';
import { clearCache } from './cacheClear.js';
import type { KubeClients } from './kube.js';
import { restartWorkload } from './restart.js';
import { rollbackWorkload } from './rollback.js';
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

export interface WorkloadActionsOptions {
  /** Retries for 5xx/timeouts on each call. */
  retries: number;
  sleep?: Sleep;
  /** Run right before every write; throws `LostLeadershipError` when this replica lost the Lease. */
  beforeWrite?: () => void;
}

export class WorkloadActions implements TargetActions<PersistedHealState, WriteFence> {
  constructor(
    private readonly kube: KubeClients,
    private readonly kinds: WorkloadKinds,
    private readonly opts: WorkloadActionsOptions,
  ) {}

  private kind(ref: HealTargetRef): WorkloadKind {
    return kindOf(this.kinds, ref.kind);
  }

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
    const r = await restartWorkload(this.kind(ref), ref.namespace, ref.name, {
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
    return rollbackWorkload(this.kind(ref), this.kube.apps, ref.namespace, ref.name, {
      ...this.common(),
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.badReleases ? { badReleases: opts.badReleases } : {}),
      ...this.fence(opts.fence),
    });
  }

  scaleUp(ref: HealTargetRef, opts: { step: number; maxReplicas: number }): Promise<ScaleUpResult> {
    return scaleUp(this.kube, this.kind(ref), ref.namespace, ref.name, {
      ...this.common(),
      ...opts,
    });
  }

  returnReplicas(ref: HealTargetRef, scaled: { from: number; to: number }): Promise<ActionResult> {
    return returnReplicas(this.kind(ref), ref.namespace, ref.name, scaled, this.common());
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
      target: this.kind(ref),
      ...(this.opts.beforeWrite ? { beforeWrite: this.opts.beforeWrite } : {}),
    });
  }
}
