/**
 * Cache clear in every ready pod of a deployment: `exec` a command (as the original healer did),
 * or an HTTP POST to a path through the pod's proxy subresource (for distroless images without a
 * shell). Only the deployment's own pods: those owned (ownerReferences) by the ReplicaSets it
 * controls, never a label match that may be empty or shared with a sibling.
 */
import { Writable } from 'node:stream';
import type { V1Pod, V1Status } from '@kubernetes/client-node';
import type { CacheClearSpec } from '../policy/rules.js';
import { describeError, isLostLeadership, selectorString, type KubeClients } from './kube.js';
import { ownedReplicaSets } from './rollback.js';
import type { WorkloadClient } from '../kinds/types.js';
import type { ActionResult } from './types.js';

export interface CacheClearOptions {
  spec: CacheClearSpec;
  /** Per pod. */
  timeoutMs?: number;
  /** Checked right before each pod's exec or proxy call (leadership). */
  beforeWrite?: () => void;
  /** How to read the target (its kind's client); default: the Deployment of that name. */
  target?: Pick<WorkloadClient, 'read'>;
}

function isReady(p: V1Pod): boolean {
  return (
    p.metadata?.deletionTimestamp === undefined &&
    p.status?.phase === 'Running' &&
    (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function collect(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out = (out + chunk.toString()).slice(-2_000);
      cb();
    },
  });
  return { stream, text: () => out };
}

async function execIn(
  k: KubeClients,
  namespace: string,
  pod: V1Pod,
  spec: Extract<CacheClearSpec, { method: 'exec' }>,
  timeoutMs: number,
): Promise<void> {
  const name = pod.metadata?.name ?? '';
  const container = spec.container ?? pod.spec?.containers[0]?.name ?? '';
  const stdout = collect();
  const stderr = collect();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
    const done = (status: V1Status): void => {
      clearTimeout(timer);
      if (status.status === 'Success') resolve();
      else
        reject(
          new Error(
            `exit: ${status.message ?? status.reason ?? 'failure'} ${stderr.text()}`.trim(),
          ),
        );
    };
    k.exec
      .exec(
        namespace,
        name,
        container,
        spec.command,
        stdout.stream,
        stderr.stream,
        null,
        false,
        done,
      )
      .catch((err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
  });
}

async function proxyTo(
  k: KubeClients,
  namespace: string,
  pod: V1Pod,
  spec: Extract<CacheClearSpec, { method: 'proxy' }>,
): Promise<void> {
  const name = pod.metadata?.name ?? '';
  await k.core.connectPostNamespacedPodProxyWithPath({
    name: spec.port ? `${name}:${spec.port}` : name,
    namespace,
    path: spec.path.replace(/^\//, ''),
  });
}

/**
 * The deployment's own pods: owned by one of the ReplicaSets that this deployment controls (by
 * UID), listed with the deployment's selector (two list calls).
 */
export async function ownedPods(
  k: KubeClients,
  namespace: string,
  name: string,
  target?: Pick<WorkloadClient, 'read'>,
): Promise<V1Pod[]> {
  const dep = target
    ? await target.read(namespace, name)
    : await k.apps.readNamespacedDeployment({ name, namespace });
  const labelSelector = selectorString(dep.spec?.selector?.matchLabels);
  const sets = await ownedReplicaSets(k.apps, dep);
  const rsUids = new Set(sets.map((rs) => rs.metadata?.uid).filter((u): u is string => !!u));
  if (rsUids.size === 0) return [];
  const pods = (await k.core.listNamespacedPod({ namespace, labelSelector })).items;
  return pods.filter((p) => p.metadata?.ownerReferences?.some((o) => rsUids.has(o.uid)));
}

/** Runs the cache clear in each ready pod; done only when it succeeded in every one of them. */
export async function clearCache(
  k: KubeClients,
  namespace: string,
  name: string,
  opts: CacheClearOptions,
): Promise<ActionResult> {
  const spec = opts.spec;
  if (spec.method === 'none')
    return { status: 'refused', permanent: true, detail: 'no cache-clear method configured' };
  let pods: V1Pod[];
  try {
    pods = (await ownedPods(k, namespace, name, opts.target)).filter(isReady);
  } catch (err) {
    return { status: 'failed', detail: `listing pods failed: ${describeError(err)}` };
  }
  if (pods.length === 0)
    return {
      status: 'refused',
      detail: "no ready pods owned by the target's ReplicaSets to clear",
    };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const results = await Promise.allSettled(
    pods.map(async (p) => {
      opts.beforeWrite?.();
      return spec.method === 'exec'
        ? execIn(k, namespace, p, spec, timeoutMs)
        : proxyTo(k, namespace, p, spec);
    }),
  );
  const lost = results.find((r) => r.status === 'rejected' && isLostLeadership(r.reason));
  if (lost?.status === 'rejected') throw lost.reason;
  const failed = results
    .map((r, i) =>
      r.status === 'rejected'
        ? `${pods[i]?.metadata?.name}: ${describeError(r.reason)}`
        : undefined,
    )
    .filter((x): x is string => x !== undefined);
  const how = spec.method === 'exec' ? `exec ${JSON.stringify(spec.command)}` : `POST ${spec.path}`;
  if (failed.length > 0) {
    // A cache left half-cleared is not a cleared cache: the step failed (and is retried).
    return {
      status: 'failed',
      detail: `cache clear (${how}) failed in ${failed.length}/${pods.length} ready pods: ${failed.join('; ')}`,
    };
  }
  return {
    status: 'done',
    detail: `cache clear (${how}) in ${pods.length}/${pods.length} ready pods`,
  };
}
