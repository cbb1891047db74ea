/**
 * Cache clear in every ready pod of a deployment: `exec` a command (as the original healer did),
 * or an HTTP POST to a path through the pod's proxy subresource (for distroless images without a
 * shell).
 */
import { Writable } from 'node:stream';
import type { V1Pod, V1Status } from '@kubernetes/client-node';
import type { CacheClearSpec } from '../policy/rules.js';
import { describeError, selectorString, type KubeClients } from './kube.js';
import type { ActionResult } from './types.js';

export interface CacheClearOptions {
  spec: CacheClearSpec;
  /** Per pod. */
  timeoutMs?: number;
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

/** Runs the cache clear in each ready pod; done when every ready pod succeeded. */
export async function clearCache(
  k: KubeClients,
  namespace: string,
  name: string,
  opts: CacheClearOptions,
): Promise<ActionResult> {
  const spec = opts.spec;
  if (spec.method === 'none')
    return { status: 'refused', detail: 'no cache-clear method configured' };
  let pods: V1Pod[];
  try {
    const dep = await k.apps.readNamespacedDeployment({ name, namespace });
    const labelSelector = selectorString(dep.spec?.selector.matchLabels);
    pods = (await k.core.listNamespacedPod({ namespace, labelSelector })).items.filter(isReady);
  } catch (err) {
    return { status: 'failed', detail: `listing pods failed: ${describeError(err)}` };
  }
  if (pods.length === 0) return { status: 'refused', detail: 'no ready pods to clear' };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const results = await Promise.allSettled(
    pods.map((p) =>
      spec.method === 'exec'
        ? execIn(k, namespace, p, spec, timeoutMs)
        : proxyTo(k, namespace, p, spec),
    ),
  );
  const failed = results
    .map((r, i) =>
      r.status === 'rejected'
        ? `${pods[i]?.metadata?.name}: ${describeError(r.reason)}`
        : undefined,
    )
    .filter((x): x is string => x !== undefined);
  const how = spec.method === 'exec' ? `exec ${JSON.stringify(spec.command)}` : `POST ${spec.path}`;
  if (failed.length === pods.length) {
    return {
      status: 'failed',
      detail: `cache clear (${how}) failed in every pod: ${failed.join('; ')}`,
    };
  }
  const partial = failed.length > 0 ? `; failed in ${failed.length}: ${failed.join('; ')}` : '';
  return {
    status: 'done',
    detail: `cache clear (${how}) in ${pods.length - failed.length}/${pods.length} ready pods${partial}`,
  };
}
