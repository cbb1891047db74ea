import type { ResourceDef } from '../cluster/resources.js';
import type {
  Deployment,
  HorizontalPodAutoscaler,
  KubeObject,
  Pod,
  ReplicaSet,
} from '../cluster/types.js';

/** Whether the client asked for server-side printing (`Accept: ...;as=Table;...`), as kubectl does. */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '');
}

/** kubectl's short durations: `45s`, `3m12s`, `17m`, `5h3m`, `2d4h`. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return d < 8 ? `${d}d${h % 24 ? `${h % 24}h` : ''}` : `${d}d`;
}

type Col = {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  cell: (o: KubeObject, now: number) => string | number;
};

const age = (o: KubeObject, now: number): string =>
  humanDuration(now - Date.parse(o.metadata.creationTimestamp));
const NAME: Col = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name };
const AGE: Col = { name: 'Age', type: 'string', cell: age };

function podStatus(p: Pod): string {
  const cs = p.status?.containerStatuses?.[0];
  if (p.metadata.deletionTimestamp) return 'Terminating';
  if (cs?.state.waiting) return cs.state.waiting.reason;
  if (cs?.state.terminated) return cs.state.terminated.reason;
  if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'Unknown'))
    return 'Unknown';
  return p.status?.phase ?? 'Pending';
}

function restarts(p: Pod, now: number): string {
  const cs = p.status?.containerStatuses?.[0];
  const n = cs?.restartCount ?? 0;
  const at = cs?.lastState.terminated?.finishedAt;
  return n > 0 && at ? `${n} (${humanDuration(now - Date.parse(at))} ago)` : String(n);
}

const COLUMNS: Record<string, Col[]> = {
  Deployment: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) =>
        `${(o as Deployment).status?.readyReplicas ?? 0}/${(o as Deployment).spec.replicas ?? 0}`,
    },
    {
      name: 'Up-to-date',
      type: 'integer',
      cell: (o) => (o as Deployment).status?.updatedReplicas ?? 0,
    },
    {
      name: 'Available',
      type: 'integer',
      cell: (o) => (o as Deployment).status?.availableReplicas ?? 0,
    },
    AGE,
    {
      name: 'Containers',
      type: 'string',
      priority: 1,
      cell: (o) => (o as Deployment).spec.template.spec.containers.map((c) => c.name).join(','),
    },
    {
      name: 'Images',
      type: 'string',
      priority: 1,
      cell: (o) => (o as Deployment).spec.template.spec.containers.map((c) => c.image).join(','),
    },
  ],
  ReplicaSet: [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => (o as ReplicaSet).spec.replicas ?? 0 },
    { name: 'Current', type: 'integer', cell: (o) => (o as ReplicaSet).status?.replicas ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o) => (o as ReplicaSet).status?.readyReplicas ?? 0 },
    AGE,
    {
      name: 'Images',
      type: 'string',
      priority: 1,
      cell: (o) => (o as ReplicaSet).spec.template.spec.containers.map((c) => c.image).join(','),
    },
  ],
  Pod: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) =>
        `${(o as Pod).status?.containerStatuses?.filter((c) => c.ready).length ?? 0}/${(o as Pod).spec.containers.length}`,
    },
    { name: 'Status', type: 'string', cell: (o) => podStatus(o as Pod) },
    { name: 'Restarts', type: 'string', cell: (o, now) => restarts(o as Pod, now) },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => (o as Pod).status?.podIP ?? '<none>' },
    {
      name: 'Node',
      type: 'string',
      priority: 1,
      cell: (o) => (o as Pod).spec.nodeName ?? '<none>',
    },
  ],
  Event: [
    {
      name: 'Last Seen',
      type: 'string',
      cell: (o, now) =>
        humanDuration(
          now - Date.parse(String(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp)),
        ),
    },
    { name: 'Type', type: 'string', cell: (o) => String(o.type ?? '') },
    { name: 'Reason', type: 'string', cell: (o) => String(o.reason ?? '') },
    {
      name: 'Object',
      type: 'string',
      cell: (o) => {
        const io = (o.involvedObject ?? o.regarding ?? {}) as { kind?: string; name?: string };
        return `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`;
      },
    },
    { name: 'Message', type: 'string', cell: (o) => String(o.message ?? o.note ?? '') },
  ],
  Namespace: [
    NAME,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => String((o.status as { phase?: string })?.phase ?? 'Active'),
    },
    AGE,
  ],
  Node: [
    NAME,
    {
      name: 'Status',
      type: 'string',
      cell: (o) =>
        (o.status as { conditions?: { type: string; status: string }[] })?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        )
          ? 'Ready'
          : 'NotReady',
    },
    { name: 'Roles', type: 'string', cell: () => 'worker' },
    AGE,
    { name: 'Version', type: 'string', cell: () => 'v1.32.4-sim' },
  ],
  HorizontalPodAutoscaler: [
    NAME,
    {
      name: 'Reference',
      type: 'string',
      cell: (o) =>
        `${(o as HorizontalPodAutoscaler).spec.scaleTargetRef.kind}/${(o as HorizontalPodAutoscaler).spec.scaleTargetRef.name}`,
    },
    {
      name: 'MinPods',
      type: 'integer',
      cell: (o) => (o as HorizontalPodAutoscaler).spec.minReplicas ?? 1,
    },
    {
      name: 'MaxPods',
      type: 'integer',
      cell: (o) => (o as HorizontalPodAutoscaler).spec.maxReplicas,
    },
    {
      name: 'Replicas',
      type: 'integer',
      cell: (o) => (o as HorizontalPodAutoscaler).status?.currentReplicas ?? 0,
    },
    AGE,
  ],
  Lease: [
    NAME,
    {
      name: 'Holder',
      type: 'string',
      cell: (o) => String((o.spec as { holderIdentity?: string })?.holderIdentity ?? ''),
    },
    AGE,
  ],
};

/** A `meta.k8s.io/v1` Table of objects, the server-side printing `kubectl get` asks for. */
export function toTable(
  def: ResourceDef,
  objects: KubeObject[],
  now: number,
  resourceVersion: string,
  includeObject: string | null,
): Record<string, unknown> {
  const cols = COLUMNS[def.kind] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({
      cells: cols.map((c) => c.cell(o, now)),
      object:
        includeObject === 'Object'
          ? o
          : includeObject === 'None'
            ? undefined
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
