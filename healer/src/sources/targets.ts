/**
 * The watched heal targets: every enabled kind opted in by the label, in the configured
 * namespaces (all when empty). One list call per kind per namespace per cycle, whatever the
 * number of targets. A kind the cluster does not serve (no Argo Rollouts CRD: 404) lists nothing
 * and says so, so `healer check` can tell "nothing labelled" from "no such API".
 */
import { isTransient, statusOf } from '../actions/kube.js';
import type { KindListing, ListedWorkload, WatchScope, WorkloadKinds } from '../kinds/types.js';
import { withRetry, type Sleep } from '../retry.js';

export type { WatchScope };

export interface TargetListing {
  targets: ListedWorkload[];
  kinds: KindListing[];
}

/** Lists every enabled kind (5xx/timeouts retried with backoff); a 404 is "not served". */
export async function listWatchedTargets(
  kinds: WorkloadKinds,
  scope: WatchScope,
  opts: { retries?: number; sleep?: Sleep } = {},
): Promise<TargetListing> {
  const retry = {
    retries: opts.retries ?? 3,
    retryable: isTransient,
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
  };
  const listings = await Promise.all(
    Object.values(kinds).map(async (k): Promise<KindListing> => {
      try {
        return { kind: k.kind, items: await withRetry(() => k.list(scope), retry) };
      } catch (err) {
        if (statusOf(err) === 404) return { kind: k.kind, items: [], notServed: true };
        throw err;
      }
    }),
  );
  return {
    targets: listings.flatMap((l) => l.items.map((object) => ({ kind: l.kind, object }))),
    kinds: listings,
  };
}
