/**
 * Argo Rollouts on the test plane: the CRD at the pinned version (from the project's Go module,
 * see crds.ts), and the part of the Argo Rollouts controller the tests need, PLAYED BY THE TEST.
 * No Argo controller runs here (building and running it is out of scope); `reconcileRollout` is
 * one admin-run pass of what it does, written from Argo's documented behaviour, and every call
 * site says when it plays it:
 *
 * - one ReplicaSet per pod template (label `rollouts-pod-template-hash` — our own hash of the
 *   template, not Argo's — annotation `rollout.argoproj.io/revision`, owned by the Rollout);
 *   going back to an older template makes its ReplicaSet the newest revision;
 * - the current ReplicaSet scaled to `spec.replicas`; once all of it is available it becomes
 *   `status.stableRS` and the others go to 0 (a canary without steps; no traffic routing);
 * - `spec.paused`: nothing moves; `spec.restartAt` in the past: one pod created before it deleted
 *   per pass, only while every ReplicaSet is fully available, then `status.restartedAt`;
 * - the status through the status subresource (`observedGeneration` as a string, as Argo writes).
 *
 * The real kube-controller-manager's ReplicaSet controller makes the pods; the node agent runs them.
 */
import { createHash } from 'node:crypto';
import { rolloutReplicaCounts } from '@aiops/simulator/controller/rollouts';
import type { ControlPlane } from './controlPlane.js';
import { crdFiles } from './crds.js';
import { kubectlOk, waitCrdsEstablished } from './kubectl.js';

export const ROLLOUTS_API = '/apis/argoproj.io/v1alpha1';
const HASH = 'rollouts-pod-template-hash';
const REVISION = 'rollout.argoproj.io/revision';

interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: { uid: string; controller?: boolean }[];
}
interface Template {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}
export interface Rollout {
  metadata: Meta;
  spec: {
    replicas?: number;
    paused?: boolean;
    restartAt?: string;
    selector: { matchLabels: Record<string, string> };
    template: Template;
  };
  status?: {
    stableRS?: string;
    currentPodHash?: string;
    restartedAt?: string;
    replicas?: number;
    availableReplicas?: number;
    observedGeneration?: string;
    phase?: string;
  };
}
interface ReplicaSet {
  metadata: Meta;
  spec: { replicas?: number; template: Template };
  status?: { replicas?: number; availableReplicas?: number; readyReplicas?: number };
}

/** Installs the Argo Rollouts CRDs at the pinned version and waits until they are served. */
export async function installRolloutsCrd(plane: ControlPlane): Promise<string> {
  const src = (await crdFiles()).find((s) => s.source.project === 'Argo Rollouts')!;
  await kubectlOk(plane, ['apply', '--server-side', ...src.files.flatMap((f) => ['-f', f])]);
  await waitCrdsEstablished(plane, ['crd', '--all'], 60);
  return src.source.version;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}

function templateHash(t: Template): string {
  const copy = structuredClone(t);
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH];
  return createHash('sha256').update(canonical(copy)).digest('hex').slice(0, 10);
}

/**
 * Whether the Rollout's template is this ReplicaSet's: every field it sets is the same there (the
 * API server defaulted the ReplicaSet's template, not the Rollout's), as Argo matches them.
 */
function sameRelease(rollout: unknown, rs: unknown): boolean {
  if (rollout === undefined || rollout === null) return true;
  if (typeof rollout !== 'object') return rollout === rs;
  if (rs === null || typeof rs !== 'object') return Object.keys(rollout).length === 0;
  if (Array.isArray(rollout))
    return (
      Array.isArray(rs) &&
      rs.length === rollout.length &&
      rollout.every((x, i) => sameRelease(x, rs[i]))
    );
  const other = rs as Record<string, unknown>;
  return Object.keys(rollout).every((k) =>
    k === HASH ? true : sameRelease((rollout as Record<string, unknown>)[k], other[k]),
  );
}

const revisionOf = (rs: ReplicaSet): number => Number(rs.metadata.annotations?.[REVISION] ?? 0);

/** One pass of the Argo controller's part (see the header); returns the Rollout's new status. */
export async function reconcileRollout(
  plane: ControlPlane,
  namespace: string,
  name: string,
): Promise<NonNullable<Rollout['status']>> {
  const api = plane.admin;
  const path = `${ROLLOUTS_API}/namespaces/${namespace}/rollouts/${name}`;
  const r = await api.request<Rollout>('GET', path);
  const rsPath = `/apis/apps/v1/namespaces/${namespace}/replicasets`;
  const selector = Object.entries(r.spec.selector.matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const owned = async (): Promise<ReplicaSet[]> =>
    (
      await api.request<{ items: ReplicaSet[] }>(
        'GET',
        `${rsPath}?labelSelector=${encodeURIComponent(selector)}`,
      )
    ).items.filter((rs) =>
      rs.metadata.ownerReferences?.some((o) => o.uid === r.metadata.uid && o.controller),
    );
  const R = r.spec.replicas ?? 1;
  let sets = await owned();
  const maxRev = Math.max(0, ...sets.map(revisionOf));
  const matching = (all: ReplicaSet[]) =>
    all.find((rs) => sameRelease(r.spec.template, rs.spec.template));
  let current = matching(sets);
  const hash = current?.metadata.labels?.[HASH] ?? templateHash(r.spec.template);
  const scale = (rs: ReplicaSet, replicas: number) =>
    rs.spec.replicas === replicas
      ? Promise.resolve()
      : api.request(
          'PATCH',
          `${rsPath}/${rs.metadata.name}`,
          { spec: { replicas } },
          'application/merge-patch+json',
        );

  if (!r.spec.paused) {
    // The revision the current ReplicaSet has after this pass.
    let newest = current ? revisionOf(current) : maxRev + 1;
    if (!current) {
      const labels = { ...(r.spec.template.metadata?.labels ?? {}), [HASH]: hash };
      current = await api.request<ReplicaSet>('POST', rsPath, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          labels,
          annotations: { [REVISION]: String(maxRev + 1) },
          ownerReferences: [
            {
              apiVersion: 'argoproj.io/v1alpha1',
              kind: 'Rollout',
              name,
              uid: r.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          replicas: R,
          selector: { matchLabels: { ...r.spec.selector.matchLabels, [HASH]: hash } },
          template: { ...r.spec.template, metadata: { ...r.spec.template.metadata, labels } },
        },
      });
    } else if (revisionOf(current) < maxRev) {
      newest = maxRev + 1;
      await api.request(
        'PATCH',
        `${rsPath}/${current.metadata.name}`,
        { metadata: { annotations: { [REVISION]: String(maxRev + 1) } } },
        'application/merge-patch+json',
      );
    }
    await scale(current, R);
    const rev = String(newest);
    if (r.metadata.annotations?.[REVISION] !== rev)
      await api.request(
        'PATCH',
        path,
        { metadata: { annotations: { [REVISION]: rev } } },
        'application/merge-patch+json',
      );
    sets = await owned();
    current = sets.find((rs) => rs.metadata.labels?.[HASH] === hash)!;
  }
  const promoted = !r.spec.paused && (current?.status?.availableReplicas ?? 0) >= R;
  if (promoted) for (const rs of sets) if (rs !== current) await scale(rs, 0);

  let restartedAt = r.status?.restartedAt;
  const at = Date.parse(r.spec.restartAt ?? '');
  if (
    !r.spec.paused &&
    Number.isFinite(at) &&
    at <= Date.now() &&
    !(Date.parse(restartedAt ?? '') >= at)
  ) {
    const live = sets.filter((rs) => (rs.spec.replicas ?? 0) > 0);
    const uids = new Set(live.map((rs) => rs.metadata.uid));
    const pods = (
      await api.request<{ items: { metadata: Meta }[] }>(
        'GET',
        `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
      )
    ).items.filter((p) => p.metadata.ownerReferences?.some((o) => uids.has(o.uid)));
    const old = pods.filter((p) => Date.parse(p.metadata.creationTimestamp ?? '') < at);
    const settled =
      pods.every((p) => !p.metadata.deletionTimestamp) &&
      live.every((rs) => (rs.status?.availableReplicas ?? 0) >= (rs.spec.replicas ?? 0));
    if (old.length === 0) restartedAt = r.spec.restartAt;
    else if (settled)
      await api.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${old[0]!.metadata.name}`);
  }
  const stableRS = promoted ? hash : (r.status?.stableRS ?? hash);
  const status = {
    observedGeneration: String(r.metadata.generation ?? 1),
    ...rolloutReplicaCounts(sets, hash),
    currentPodHash: hash,
    stableRS,
    selector,
    phase: r.spec.paused ? 'Paused' : promoted && stableRS === hash ? 'Healthy' : 'Progressing',
    ...(restartedAt ? { restartedAt } : {}),
    ...(r.spec.paused
      ? {
          pauseConditions: [
            { reason: 'PausedByUser', startTime: new Date().toISOString().slice(0, 19) + 'Z' },
          ],
        }
      : { pauseConditions: null }),
  };
  await api.request('PATCH', `${path}/status`, { status }, 'application/merge-patch+json');
  return status as NonNullable<Rollout['status']>;
}

/** Plays the controller every 500 ms until `done(status)` or `ms` pass (then throws with it). */
export async function settleRollout(
  plane: ControlPlane,
  namespace: string,
  name: string,
  done: (s: NonNullable<Rollout['status']>) => boolean,
  ms = 90_000,
): Promise<NonNullable<Rollout['status']>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await reconcileRollout(plane, namespace, name);
    if (done(s)) return s;
    if (Date.now() > deadline)
      throw new Error(
        `Rollout ${namespace}/${name} did not settle in ${ms / 1000} s: ${JSON.stringify(s)}`,
      );
    await new Promise((res) => setTimeout(res, 500));
  }
}
