/**
 * The kinds of heal target: `apps/v1` Deployments and Argo `Rollout`s (`argoproj.io/v1alpha1`).
 * Everything kind-specific sits behind {@link WorkloadKind}, one file per kind: the API calls
 * (list, read, patch, the scale subresource) and what the object itself says (rollout progress,
 * a human's hold, how a restart is written, which ReplicaSet is the stable one). The ladder, the
 * heal state and the rollback's release rules are the same for every kind.
 */
import type {
  V1ObjectMeta,
  V1PodTemplateSpec,
  V1ReplicaSet,
  V1Scale,
} from '@kubernetes/client-node';
import type { WorkloadView } from '../policy/types.js';

export const TARGET_KINDS = ['Deployment', 'Rollout'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** The namespaces and label selector a cycle watches. */
export interface WatchScope {
  /** Empty: every namespace. */
  namespaces: readonly string[];
  labelSelector: string;
}

/** A heal target as the API returns it: the fields every kind shares. */
export interface WorkloadObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: {
    replicas?: number;
    paused?: boolean;
    selector?: { matchLabels?: Record<string, string> };
    template?: V1PodTemplateSpec;
    revisionHistoryLimit?: number;
    progressDeadlineSeconds?: number;
  };
  status?: object;
}

/** A listed target with its kind (the loop's unit of work). */
export interface ListedWorkload {
  kind: TargetKind;
  object: WorkloadObject;
}

/** What a list of one kind found; `notServed` when the cluster has no such API (no CRD). */
export interface KindListing {
  kind: TargetKind;
  items: WorkloadObject[];
  notServed?: boolean;
}

/** One page of a list call. */
export interface ListPage {
  items: WorkloadObject[];
  /** The list's resourceVersion (a continued page's is its first page's: one snapshot). */
  resourceVersion: string;
  /** The token of the next page; undefined or empty: this is the last. */
  continue?: string;
}

/** The API calls of one kind: each is one request (retries are the caller's). */
export interface WorkloadClient {
  /** One list per namespace (one for all namespaces when the scope names none), in pages. */
  list(scope: WatchScope): Promise<WorkloadObject[]>;
  /**
   * One list call in a namespace (undefined: all): a page of at most `limit` objects (none: the
   * whole list) from `continue` (none: the first page). Pages are read by `listPages`.
   */
  listPage(
    namespace: string | undefined,
    labelSelector: string,
    page: { limit?: number; continue?: string },
  ): Promise<ListPage>;
  /** The API path of the collection (a watch's), in a namespace or across all. */
  path(namespace: string | undefined): string;
  read(namespace: string, name: string): Promise<WorkloadObject>;
  /** RFC 7386 merge patch of the object. */
  patch(namespace: string, name: string, body: object): Promise<WorkloadObject>;
  readScale(namespace: string, name: string): Promise<V1Scale>;
  /** RFC 7386 merge patch of the scale subresource. */
  patchScale(namespace: string, name: string, body: object): Promise<V1Scale>;
}

/** Everything the healer needs to know about one kind. */
export interface WorkloadKind extends WorkloadClient {
  readonly kind: TargetKind;
  /** `apps/v1`, `argoproj.io/v1alpha1`: for Events' involvedObject. */
  readonly apiVersion: string;
  /** Rollout progress, hold and release as plain data (pure). */
  view(o: WorkloadObject, opts?: { release?: boolean }): WorkloadView;
  /** Why nobody but a human may change it now (paused, being deleted), or undefined (pure). */
  holdReason(o: WorkloadObject): string | undefined;
  /** The merge patch that restarts its pods at `at`, as the kind's own tooling does (pure). */
  restartPatch(at: Date): Record<string, unknown>;
  /** Why a restart written now would not happen (the kind's controller would wait), or undefined. */
  restartRefusal?(o: WorkloadObject): string | undefined;
  /**
   * The ReplicaSet a rollback should go to before any older revision, if the kind names one
   * (a Rollout's `status.stableRS` while a newer release is rolling out). Pure.
   */
  preferredRollbackTarget?(
    o: WorkloadObject,
    sets: readonly V1ReplicaSet[],
  ): V1ReplicaSet | undefined;
  /** Why the healer cannot roll this object back at all (a Rollout with `workloadRef`). Pure. */
  rollbackUnsupported?(o: WorkloadObject): string | undefined;
}

/** The kinds the healer handles, by name. */
export type WorkloadKinds = Partial<Record<TargetKind, WorkloadKind>>;

/** One list per namespace of the scope (one across all when it names none), items together. */
export async function listEach(
  scope: WatchScope,
  listIn: (namespace: string | undefined) => Promise<{ items: WorkloadObject[] }>,
): Promise<WorkloadObject[]> {
  const namespaces = scope.namespaces.length === 0 ? [undefined] : [...new Set(scope.namespaces)];
  return (await Promise.all(namespaces.map(listIn))).flatMap((l) => l.items);
}
