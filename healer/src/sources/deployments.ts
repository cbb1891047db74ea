/** The watched deployments: opted in by label, in the configured namespaces (all when empty). */
import type { AppsV1Api, V1Deployment } from '@kubernetes/client-node';
import { withRetry, type Sleep } from '../retry.js';
import { isTransient } from '../actions/kube.js';

export interface WatchScope {
  /** Empty: every namespace. */
  namespaces: readonly string[];
  labelSelector: string;
}

/** Lists the opted-in deployments (5xx/timeouts retried with backoff). */
export async function listWatchedDeployments(
  apps: Pick<AppsV1Api, 'listNamespacedDeployment' | 'listDeploymentForAllNamespaces'>,
  scope: WatchScope,
  opts: { retries?: number; sleep?: Sleep } = {},
): Promise<V1Deployment[]> {
  const retry = {
    retries: opts.retries ?? 3,
    retryable: isTransient,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  };
  const { labelSelector } = scope;
  if (scope.namespaces.length === 0) {
    return (await withRetry(() => apps.listDeploymentForAllNamespaces({ labelSelector }), retry))
      .items;
  }
  const lists = await Promise.all(
    [...new Set(scope.namespaces)].map((namespace) =>
      withRetry(() => apps.listNamespacedDeployment({ namespace, labelSelector }), retry),
    ),
  );
  return lists.flatMap((l) => l.items);
}
