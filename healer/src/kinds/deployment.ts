/**
 * `apps/v1` Deployments as heal targets: the calls `kubectl rollout restart`, `kubectl scale` and
 * `kubectl rollout undo` make, and what the Deployment's own status says.
 */
import type { AppsV1Api, V1Deployment, V1Scale } from '@kubernetes/client-node';
import { holdReason, MERGE_PATCH } from '../actions/kube.js';
import { deploymentView, RESTARTED_AT } from '../sources/workload.js';
import type { WorkloadView } from '../policy/types.js';
import { listPages, pageParams } from './pages.js';
import {
  listEach,
  type ListPage,
  type WatchScope,
  type WorkloadKind,
  type WorkloadObject,
} from './types.js';

export class DeploymentKind implements WorkloadKind {
  readonly kind = 'Deployment' as const;
  readonly apiVersion = 'apps/v1';

  constructor(private readonly apps: AppsV1Api) {}

  async list(scope: WatchScope): Promise<WorkloadObject[]> {
    return listEach(scope, (ns) => listPages(this, ns, scope.labelSelector, { keep: (o) => o }));
  }

  async listPage(
    namespace: string | undefined,
    labelSelector: string,
    page: { limit?: number; continue?: string },
  ): Promise<ListPage> {
    const params = {
      labelSelector,
      ...pageParams(page),
    };
    const list =
      namespace === undefined
        ? await this.apps.listDeploymentForAllNamespaces(params)
        : await this.apps.listNamespacedDeployment({ namespace, ...params });
    // Parsed as plain JSON (actions/kube.ts): the API's field name, not the typed `_continue`.
    const meta = list.metadata as { resourceVersion?: string; continue?: string } | undefined;
    return {
      items: list.items,
      resourceVersion: meta?.resourceVersion ?? '',
      continue: meta?.continue,
    };
  }

  path(namespace: string | undefined): string {
    return namespace === undefined
      ? '/apis/apps/v1/deployments'
      : `/apis/apps/v1/namespaces/${namespace}/deployments`;
  }

  read(namespace: string, name: string): Promise<WorkloadObject> {
    return this.apps.readNamespacedDeployment({ name, namespace });
  }

  patch(namespace: string, name: string, body: object): Promise<WorkloadObject> {
    return this.apps.patchNamespacedDeployment({ name, namespace, body }, MERGE_PATCH);
  }

  readScale(namespace: string, name: string): Promise<V1Scale> {
    return this.apps.readNamespacedDeploymentScale({ name, namespace });
  }

  patchScale(namespace: string, name: string, body: object): Promise<V1Scale> {
    return this.apps.patchNamespacedDeploymentScale({ name, namespace, body }, MERGE_PATCH);
  }

  view(o: WorkloadObject, opts: { release?: boolean } = {}): WorkloadView {
    return deploymentView(o as V1Deployment, opts);
  }

  holdReason(o: WorkloadObject): string | undefined {
    return holdReason(o);
  }

  /** As `kubectl rollout restart`: a new restartedAt annotation on the pod template. */
  restartPatch(at: Date): Record<string, unknown> {
    return {
      spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at.toISOString() } } } },
    };
  }
}
