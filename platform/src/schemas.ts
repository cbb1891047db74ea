/**
 * Validates rendered objects against the Kubernetes OpenAPI schemas, CRDs included, with the
 * schemas compiled into `kubernetes-models` and its `@kubernetes-models/*` CRD packages. Velero has
 * no such package: its Schedule is checked against a JSON schema written from the Velero CRD.
 *
 * These schemas check types, required fields, enums and formats. Unknown fields are not rejected
 * (the generated schemas allow them); the deploy job's `kubectl apply --dry-run=server
 * --validate=strict` catches those against the live API server.
 */
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { Finding } from './errors.js';
import { objectId, type KubeObject } from './kube.js';

const require = createRequire(import.meta.url);

interface ValidatingModel {
  validate(): void;
}
type ModelClass = new (data: unknown) => ValidatingModel;

/** API group → npm package holding its models (the core groups are in `kubernetes-models`). */
const CRD_PACKAGES: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'cert-manager.io': '@kubernetes-models/cert-manager',
  'external-secrets.io': '@kubernetes-models/external-secrets',
};
/** argoproj.io is split between two projects; pick by kind. */
const ARGO_PACKAGES: Record<string, string> = {
  Rollout: '@kubernetes-models/argo-rollouts',
  AnalysisTemplate: '@kubernetes-models/argo-rollouts',
  ClusterAnalysisTemplate: '@kubernetes-models/argo-rollouts',
  Application: '@kubernetes-models/argo-cd',
  AppProject: '@kubernetes-models/argo-cd',
  ApplicationSet: '@kubernetes-models/argo-cd',
};

/** Velero `Schedule` (velero.io/v1), the fields we use, from the Velero CRD. */
const VELERO_SCHEDULE_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    spec: {
      type: 'object',
      required: ['schedule', 'template'],
      additionalProperties: false,
      properties: {
        schedule: { type: 'string', pattern: '^(@every \\S+|\\S+( \\S+){4})$' },
        useOwnerReferencesInBackup: { type: 'boolean' },
        paused: { type: 'boolean' },
        template: {
          type: 'object',
          additionalProperties: false,
          properties: {
            includedNamespaces: { type: 'array', items: { type: 'string' } },
            excludedNamespaces: { type: 'array', items: { type: 'string' } },
            includedResources: { type: 'array', items: { type: 'string' } },
            excludedResources: { type: 'array', items: { type: 'string' } },
            includeClusterResources: { type: ['boolean', 'null'] },
            labelSelector: { type: 'object' },
            snapshotVolumes: { type: ['boolean', 'null'] },
            defaultVolumesToFsBackup: { type: 'boolean' },
            ttl: { type: 'string', pattern: '^(\\d+h)?(\\d+m)?(\\d+s)?$' },
            storageLocation: { type: 'string' },
            volumeSnapshotLocations: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true });
const validateVeleroSchedule = ajv.compile(VELERO_SCHEDULE_SCHEMA);

/**
 * Versions served by a newer CRD than the model packages know, validated with the schema they
 * were promoted from unchanged: External Secrets 0.17 promoted v1beta1 to v1 as is (the
 * @kubernetes-models package with v1 needs Node 22; the dev machines run 20).
 */
const SAME_SCHEMA_AS: Record<string, string> = {
  'external-secrets.io/v1': 'v1beta1',
};

/** The object as its model package knows it (see SAME_SCHEMA_AS). */
function asModelled(o: KubeObject): KubeObject {
  const version = SAME_SCHEMA_AS[o.apiVersion];
  if (!version) return o;
  return { ...o, apiVersion: `${o.apiVersion.split('/')[0] as string}/${version}` };
}

function modulePath(o: KubeObject): string | undefined {
  const [groupOrVersion, maybeVersion] = o.apiVersion.split('/');
  const group = maybeVersion === undefined ? '' : (groupOrVersion as string);
  const version = maybeVersion ?? (groupOrVersion as string);
  if (group === '') return `kubernetes-models/${version}/${o.kind}`;
  const pkg = group === 'argoproj.io' ? ARGO_PACKAGES[o.kind] : CRD_PACKAGES[group];
  if (pkg) return `${pkg}/${group}/${version}/${o.kind}`;
  if (!group.includes('.') || group.endsWith('.k8s.io')) {
    return `kubernetes-models/${group}/${version}/${o.kind}`;
  }
  return undefined;
}

function loadModel(path: string, kind: string): ModelClass | undefined {
  try {
    const mod = require(path) as Record<string, ModelClass | undefined>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
}

function describe(errors: readonly AjvLikeError[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/** Schema findings for one object; an object whose kind has no known schema is a finding too. */
export function validateObject(o: KubeObject): Finding[] {
  const id = objectId(o);
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    return [{ object: id, rule: 'schema', message: 'apiVersion and kind must be strings' }];
  }
  if (o.apiVersion === 'velero.io/v1' && o.kind === 'Schedule') {
    return validateVeleroSchedule(o)
      ? []
      : describe(validateVeleroSchedule.errors).map((m) => ({
          object: id,
          rule: 'schema',
          message: m,
        }));
  }
  const modelled = asModelled(o);
  const path = modulePath(modelled);
  const Model = path ? loadModel(path, o.kind) : undefined;
  if (!Model) {
    return [
      { object: id, rule: 'schema', message: `no schema known for ${o.apiVersion} ${o.kind}` },
    ];
  }
  try {
    new Model(modelled).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: AjvLikeError[] }).errors;
    const messages = errors ? describe(errors) : [(err as Error).message];
    return messages.map((m) => ({ object: id, rule: 'schema', message: m }));
  }
}

/** Schema findings for every object. */
export function validateObjects(objects: readonly KubeObject[]): Finding[] {
  return objects.flatMap(validateObject);
}
