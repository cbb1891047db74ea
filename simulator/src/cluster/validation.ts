import { invalid, type FieldCause } from './errors.js';
import { matchesSelector } from './labels.js';
import type { ResourceDef } from './resources.js';
import type { Deployment, HorizontalPodAutoscaler, KubeObject } from './types.js';

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Field validation as the apiserver does it for the fields we model; throws 422 Invalid. */
export function validate(def: ResourceDef, obj: KubeObject): void {
  const causes: FieldCause[] = [];
  const name = obj.metadata?.name ?? '';
  if (!name && !obj.metadata?.generateName)
    causes.push({
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
      reason: 'FieldValueRequired',
    });
  else if (name && (!DNS1123.test(name) || name.length > 253))
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  // A Rollout's spec is a Deployment's (the simulator needs its `template`, no `workloadRef`).
  if (def.kind === 'Deployment' || def.kind === 'Rollout')
    causes.push(...validateDeployment(obj as Deployment));
  if (def.kind === 'HorizontalPodAutoscaler')
    causes.push(...validateHpa(obj as HorizontalPodAutoscaler));
  if (def.kind === 'ReplicaSet') causes.push(...validateReplicaSet(obj));
  if (def.kind === 'Pod')
    causes.push(
      ...validateContainers((obj.spec as { containers?: unknown })?.containers, 'spec.containers'),
    );
  if (causes.length) throw invalid(def, name, causes);
}

function validateDeployment(d: Deployment): FieldCause[] {
  const out: FieldCause[] = [];
  const spec = d.spec;
  if (!spec || typeof spec !== 'object')
    return [{ field: 'spec', message: 'Required value', reason: 'FieldValueRequired' }];
  const r = spec.replicas;
  if (r !== undefined && (!Number.isInteger(r) || r < 0))
    out.push({
      field: 'spec.replicas',
      message: `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`,
    });
  if (!spec.selector || (!spec.selector.matchLabels && !spec.selector.matchExpressions))
    out.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
  else if (!matchesSelector(spec.template?.metadata?.labels, spec.selector))
    out.push({
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${JSON.stringify(spec.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``,
    });
  const containers = spec.template?.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0)
    out.push({
      field: 'spec.template.spec.containers',
      message: 'Required value',
      reason: 'FieldValueRequired',
    });
  else
    containers.forEach((c, i) => {
      if (!c.name)
        out.push({
          field: `spec.template.spec.containers[${i}].name`,
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
      if (!c.image)
        out.push({
          field: `spec.template.spec.containers[${i}].image`,
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
    });
  return out;
}

function validateHpa(h: HorizontalPodAutoscaler): FieldCause[] {
  const out: FieldCause[] = [];
  const s = h.spec;
  if (!s) return [{ field: 'spec', message: 'Required value', reason: 'FieldValueRequired' }];
  const min = s.minReplicas ?? 1;
  if (!Number.isInteger(min) || min < 1)
    out.push({
      field: 'spec.minReplicas',
      message: `Invalid value: ${JSON.stringify(s.minReplicas)}: must be greater than or equal to 1`,
    });
  if (!Number.isInteger(s.maxReplicas) || s.maxReplicas < 1)
    out.push({
      field: 'spec.maxReplicas',
      message: `Invalid value: ${JSON.stringify(s.maxReplicas)}: must be greater than or equal to 1`,
    });
  else if (s.maxReplicas < min)
    out.push({
      field: 'spec.maxReplicas',
      message: `Invalid value: ${s.maxReplicas}: must be greater than or equal to \`minReplicas\``,
    });
  if (!s.scaleTargetRef?.name || !s.scaleTargetRef.kind)
    out.push({
      field: 'spec.scaleTargetRef',
      message: 'Required value',
      reason: 'FieldValueRequired',
    });
  return out;
}

/** Containers need a name and an image: the kubelet and the metrics read both. */
function validateContainers(containers: unknown, field: string): FieldCause[] {
  if (!Array.isArray(containers) || containers.length === 0)
    return [{ field, message: 'Required value', reason: 'FieldValueRequired' }];
  const out: FieldCause[] = [];
  containers.forEach((c: { name?: unknown; image?: unknown } | null, i) => {
    if (typeof c?.name !== 'string' || !c.name)
      out.push({
        field: `${field}[${i}].name`,
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    if (typeof c?.image !== 'string' || !c.image)
      out.push({
        field: `${field}[${i}].image`,
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
  });
  return out;
}

function validateReplicaSet(rs: KubeObject): FieldCause[] {
  const spec = rs.spec as
    | { replicas?: unknown; selector?: unknown; template?: { spec?: { containers?: unknown } } }
    | undefined;
  if (!spec || typeof spec !== 'object')
    return [{ field: 'spec', message: 'Required value', reason: 'FieldValueRequired' }];
  const out: FieldCause[] = [];
  if (
    spec.replicas !== undefined &&
    (!Number.isInteger(spec.replicas) || (spec.replicas as number) < 0)
  )
    out.push({
      field: 'spec.replicas',
      message: `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`,
    });
  if (!spec.selector)
    out.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
  out.push(...validateContainers(spec.template?.spec?.containers, 'spec.template.spec.containers'));
  return out;
}
