/**
 * Scale up by a bounded step. When an HPA targets the deployment, its `minReplicas` is raised
 * instead (patching replicas would fight the autoscaler), and the original value is recorded on the
 * HPA (`aiops.io/original-min-replicas`) so it can be restored once the deployment recovered.
 */
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { ANNOTATIONS } from '../policy/rules.js';
import { withRetry, type Sleep } from '../retry.js';
import {
  describeError,
  isConflict,
  isLostLeadership,
  isTransient,
  MERGE_PATCH,
  statusOf,
  type KubeClients,
} from './kube.js';
import type { ActionResult, RaisedHpa, ScaleUpResult } from './types.js';
import type { WorkloadKind } from '../kinds/types.js';

export interface ScaleOptions {
  step: number;
  maxReplicas: number;
  retries?: number;
  sleep?: Sleep;
  /** Checked right before every write (leadership). */
  beforeWrite?: () => void;
}

export type ScaleResult = ScaleUpResult;

/** The HPA whose scaleTargetRef is this target, if any (404 on the list: no HPA API). */
export async function findHpa(
  k: KubeClients,
  namespace: string,
  name: string,
  kind = 'Deployment',
): Promise<V2HorizontalPodAutoscaler | undefined> {
  try {
    const list = await k.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace });
    return list.items.find(
      (h) => h.spec?.scaleTargetRef.kind === kind && h.spec.scaleTargetRef.name === name,
    );
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

export async function scaleUp(
  k: KubeClients,
  target: WorkloadKind,
  namespace: string,
  name: string,
  opts: ScaleOptions,
): Promise<ScaleResult> {
  const retry = {
    retries: opts.retries ?? 3,
    retryable: isTransient,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  };
  if (opts.step <= 0) return { status: 'skipped', detail: 'scale step is 0' };
  try {
    for (let i = 0; ; i++) {
      const hpa = await withRetry(() => findHpa(k, namespace, name, target.kind), retry);
      try {
        if (hpa) return await raiseHpaMin(k, namespace, hpa, opts, retry);
        return await patchScale(target, namespace, name, opts, retry);
      } catch (err) {
        if (isConflict(err) && i < 5) continue;
        throw err;
      }
    }
  } catch (err) {
    if (isLostLeadership(err)) throw err;
    return { status: 'failed', detail: `scale up failed: ${describeError(err)}` };
  }
}

async function raiseHpaMin(
  k: KubeClients,
  namespace: string,
  hpa: V2HorizontalPodAutoscaler,
  opts: ScaleOptions,
  retry: Parameters<typeof withRetry>[1],
): Promise<ScaleResult> {
  const hpaName = hpa.metadata?.name ?? '';
  const current = hpa.spec?.minReplicas ?? 1;
  const ceiling = Math.min(opts.maxReplicas, hpa.spec?.maxReplicas ?? opts.maxReplicas);
  const target = Math.min(current + opts.step, ceiling);
  const recorded = Number(hpa.metadata?.annotations?.[ANNOTATIONS.originalMinReplicas]);
  const original = Number.isInteger(recorded) && recorded > 0 ? recorded : current;
  if (target <= current) {
    return {
      status: 'skipped',
      detail: `HPA ${hpaName} minReplicas ${current} already at the ceiling ${ceiling} (max replicas ${opts.maxReplicas}, HPA max ${hpa.spec?.maxReplicas})`,
      hpa: { name: hpaName, originalMinReplicas: original },
    };
  }
  await withRetry(() => {
    opts.beforeWrite?.();
    return k.autoscaling.patchNamespacedHorizontalPodAutoscaler(
      {
        namespace,
        name: hpaName,
        body: {
          metadata: {
            resourceVersion: hpa.metadata?.resourceVersion,
            annotations: { [ANNOTATIONS.originalMinReplicas]: String(original) },
          },
          spec: { minReplicas: target },
        },
      },
      MERGE_PATCH,
    );
  }, retry);
  return {
    status: 'done',
    detail: `HPA ${hpaName} minReplicas ${current} → ${target} (ceiling ${ceiling})`,
    hpa: { name: hpaName, originalMinReplicas: original },
  };
}

async function patchScale(
  target: WorkloadKind,
  namespace: string,
  name: string,
  opts: ScaleOptions,
  retry: Parameters<typeof withRetry>[1],
): Promise<ScaleResult> {
  const scale = await withRetry(() => target.readScale(namespace, name), retry);
  const current = scale.spec?.replicas ?? 0;
  const wanted = Math.min(current + opts.step, opts.maxReplicas);
  if (wanted <= current) {
    return {
      status: 'skipped',
      detail: `replicas ${current} already at max replicas ${opts.maxReplicas}`,
    };
  }
  await writeReplicas(target, namespace, name, scale, wanted, retry, opts.beforeWrite);
  return {
    status: 'done',
    detail: `replicas ${current} → ${wanted} (max ${opts.maxReplicas})`,
    scaled: { from: current, to: wanted },
  };
}

/** Patches the scale subresource to `replicas`, guarded by the resourceVersion just read. */
async function writeReplicas(
  target: WorkloadKind,
  namespace: string,
  name: string,
  scale: { metadata?: { resourceVersion?: string } },
  replicas: number,
  retry: Parameters<typeof withRetry>[1],
  beforeWrite?: () => void,
): Promise<void> {
  await withRetry(() => {
    beforeWrite?.();
    return target.patchScale(namespace, name, {
      metadata: { resourceVersion: scale.metadata?.resourceVersion },
      spec: { replicas },
    });
  }, retry);
}

/** Puts an HPA's minReplicas back to what it was before the healer raised it. */
export async function restoreHpaMin(
  k: KubeClients,
  namespace: string,
  hpaName: string,
  originalMinReplicas: number,
  opts: { beforeWrite?: () => void } = {},
): Promise<ActionResult> {
  try {
    opts.beforeWrite?.();
    await k.autoscaling.patchNamespacedHorizontalPodAutoscaler(
      {
        namespace,
        name: hpaName,
        body: {
          metadata: { annotations: { [ANNOTATIONS.originalMinReplicas]: null } },
          spec: { minReplicas: originalMinReplicas },
        },
      },
      MERGE_PATCH,
    );
    return {
      status: 'done',
      detail: `HPA ${hpaName} minReplicas restored to ${originalMinReplicas}`,
    };
  } catch (err) {
    if (isLostLeadership(err)) throw err;
    if (statusOf(err) === 404) return { status: 'skipped', detail: `HPA ${hpaName} is gone` };
    return { status: 'failed', detail: `restoring HPA ${hpaName} failed: ${describeError(err)}` };
  }
}

/**
 * Returns the replicas the healer added (`scaled.from` → `scaled.to`) once the deployment
 * recovered, through the scale subresource — only when the replicas are still what the healer
 * set: a different count means someone else (a human, a GitOps sync) owns them now.
 */
export async function returnReplicas(
  target: WorkloadKind,
  namespace: string,
  name: string,
  scaled: { from: number; to: number },
  opts: { retries?: number; sleep?: Sleep; beforeWrite?: () => void } = {},
): Promise<ActionResult> {
  const retry = {
    retries: opts.retries ?? 3,
    retryable: isTransient,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  };
  try {
    const scale = await withRetry(() => target.readScale(namespace, name), retry);
    const current = scale.spec?.replicas ?? 0;
    if (current !== scaled.to) {
      return {
        status: 'skipped',
        detail: `replicas are ${current}, not the ${scaled.to} the healer set: changed by someone else, left as they are`,
      };
    }
    await writeReplicas(target, namespace, name, scale, scaled.from, retry, opts.beforeWrite);
    return {
      status: 'done',
      detail: `replicas ${scaled.to} → ${scaled.from}: returned the ${scaled.to - scaled.from} the healer added`,
    };
  } catch (err) {
    if (isLostLeadership(err)) throw err;
    if (statusOf(err) === 404)
      return { status: 'skipped', detail: `${target.kind} ${name} is gone` };
    return { status: 'failed', detail: `returning replicas failed: ${describeError(err)}` };
  }
}

/**
 * HPAs in `namespaces` (empty: all) that carry `aiops.io/original-min-replicas`: raised by the
 * healer and not yet restored. One list per namespace (or one cluster-wide), per cycle.
 */
export async function listRaisedHpas(
  k: KubeClients,
  namespaces: readonly string[],
): Promise<V2HorizontalPodAutoscaler[]> {
  const raised = (h: V2HorizontalPodAutoscaler): boolean =>
    h.metadata?.annotations?.[ANNOTATIONS.originalMinReplicas] !== undefined;
  try {
    if (namespaces.length === 0)
      return (await k.autoscaling.listHorizontalPodAutoscalerForAllNamespaces()).items.filter(
        raised,
      );
    const lists = await Promise.all(
      [...new Set(namespaces)].map((namespace) =>
        k.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
      ),
    );
    return lists.flatMap((l) => l.items).filter(raised);
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw err;
  }
}

/** A watched deployment as the orphan-HPA check sees it. */
export interface ScaleOwner {
  /** `namespace/name`. */
  key: string;
  /** Not in an episode and not in dry-run: nothing of the healer's should be raised. */
  idle: boolean;
  /** The HPA its heal state records as raised, if any. */
  recorded?: string;
}

/**
 * HPAs that carry `aiops.io/original-min-replicas` (raised by the healer) but whose deployment's
 * heal state no longer records them — the annotation was removed by someone, or a crash came
 * between the two writes — for deployments not in an episode. Pure.
 */
export function orphanHpas(
  raised: readonly V2HorizontalPodAutoscaler[],
  owners: readonly ScaleOwner[],
): { key: string; hpa: RaisedHpa }[] {
  const byKey = new Map(owners.map((o) => [o.key, o]));
  const out: { key: string; hpa: RaisedHpa }[] = [];
  for (const hpa of raised) {
    const ref = hpa.spec?.scaleTargetRef;
    const name = hpa.metadata?.name;
    if ((ref?.kind !== 'Deployment' && ref?.kind !== 'Rollout') || !name) continue;
    const key = `${hpa.metadata?.namespace}/${ref.name}`;
    const owner = byKey.get(key);
    if (!owner?.idle || owner.recorded === name) continue;
    const original = Number(hpa.metadata?.annotations?.[ANNOTATIONS.originalMinReplicas]);
    if (!Number.isInteger(original) || original < 1) continue;
    out.push({ key, hpa: { name, originalMinReplicas: original } });
  }
  return out;
}
