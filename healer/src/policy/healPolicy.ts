/**
 * `HealPolicy` (aiops.io/v1alpha1, namespaced): the healing policy of the deployments it selects in
 * its namespace, set by whoever RBAC lets create HealPolicies there — not by whoever may annotate a
 * Deployment. Its spec is a part of the healer's own config schema (one source of truth: the same
 * zod fields), and the CRD's OpenAPI schema is generated from it (`crdManifest`). A policy
 * replaces the config's values for what it sets; annotations may then only tighten.
 */
import { z } from 'zod';
import type { HealAction } from '../api/types.js';
import { CONFIG_SCHEMA, issueFields } from '../config.js';
import { GATES_SCHEMA, type GateTable } from '../humans/schema.js';
import type { DeploymentRules } from './rules.js';

export const POLICY_GROUP = 'aiops.io';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_PLURAL = 'healpolicies';

const config = CONFIG_SCHEMA.in.shape;

/** The spec: the config's own field schemas, every one optional. */
export const HEAL_POLICY_SPEC = z
  .object({
    /** Deployments of the policy's namespace it applies to (all, without one). */
    selector: z
      .object({ matchLabels: z.record(z.string(), z.string()).optional() })
      .strict()
      .optional(),
    thresholds: config.thresholds.optional(),
    enterCycles: config.enterCycles.optional(),
    exitCycles: config.exitCycles.optional(),
    stabilisationMs: config.stabilisationMs.optional(),
    ladder: config.ladder.optional(),
    /** Per-rung gates for this policy's deployments (over the config's). */
    gates: GATES_SCHEMA.optional(),
    scale: config.scale.optional(),
    cacheClear: z
      .object({
        method: z.enum(['exec', 'proxy', 'none']),
        command: z.array(z.string().min(1)).min(1).optional(),
        container: z.string().min(1).optional(),
        path: z.string().startsWith('/').optional(),
        port: z.number().int().min(1).max(65535).optional(),
      })
      .strict()
      .optional(),
    dryRun: config.dryRun.optional(),
  })
  .strict();

export type HealPolicySpec = z.output<typeof HEAL_POLICY_SPEC>;

export interface HealPolicyObject {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string | Date };
  spec?: unknown;
}

export interface ParsedPolicy {
  name: string;
  namespace: string;
  createdAt: number;
  spec: HealPolicySpec;
}

/** Parses listed objects; a bad one is reported (naming the field and rule) and ignored. */
export function parsePolicies(items: readonly HealPolicyObject[]): {
  policies: ParsedPolicy[];
  problems: string[];
} {
  const policies: ParsedPolicy[] = [];
  const problems: string[] = [];
  for (const o of items) {
    const name = o.metadata?.name ?? '';
    const namespace = o.metadata?.namespace ?? '';
    const r = HEAL_POLICY_SPEC.safeParse(o.spec ?? {});
    if (!r.success) {
      problems.push(
        `HealPolicy ${namespace}/${name}: ${r.error.issues
          .flatMap(issueFields)
          .map(([path, rule]) => `${path ? `spec.${path}` : 'spec'}: ${rule}`)
          .join('; ')}; ignored`,
      );
      continue;
    }
    const c = o.metadata?.creationTimestamp;
    policies.push({ name, namespace, createdAt: c ? new Date(c).getTime() : 0, spec: r.data });
  }
  return { policies, problems };
}

/** The policy of a deployment: the oldest matching one in its namespace (then by name). */
export function policyFor(
  policies: readonly ParsedPolicy[],
  namespace: string,
  labels: Readonly<Record<string, string>> | undefined,
): ParsedPolicy | undefined {
  const l = labels ?? {};
  return policies
    .filter(
      (p) =>
        p.namespace === namespace &&
        Object.entries(p.spec.selector?.matchLabels ?? {}).every(([k, v]) => l[k] === v),
    )
    .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))[0];
}

/** The config's rules with the policy's values (pure). A global dry-run stays on. */
export function applyPolicy(base: DeploymentRules, p: HealPolicySpec): DeploymentRules {
  const r: DeploymentRules = { ...base, ladder: [...base.ladder] };
  if (p.thresholds) {
    r.high = p.thresholds.high;
    r.low = Math.min(p.thresholds.low, p.thresholds.high);
  }
  if (p.enterCycles !== undefined) r.enterCycles = p.enterCycles;
  if (p.exitCycles !== undefined) r.exitCycles = p.exitCycles;
  if (p.stabilisationMs !== undefined) r.stabilisationMs = p.stabilisationMs;
  if (p.ladder) r.ladder = [...p.ladder] as HealAction[];
  if (p.scale) {
    r.scaleStep = p.scale.step;
    r.maxReplicas = p.scale.maxReplicas;
  }
  if (p.cacheClear) {
    const c = p.cacheClear;
    r.cacheClear =
      c.method === 'none'
        ? { method: 'none' }
        : c.method === 'exec'
          ? {
              method: 'exec',
              command:
                c.command ??
                (base.cacheClear.method === 'exec'
                  ? base.cacheClear.command
                  : ['sh', '-c', 'rm -rf /tmp/cache/*']),
              ...(c.container ? { container: c.container } : {}),
            }
          : {
              method: 'proxy',
              path: c.path ?? '/cache/clear',
              ...(c.port ? { port: c.port } : {}),
            };
    if (c.method === 'none') r.ladder = r.ladder.filter((a) => a !== 'cache_clear_restart');
  }
  if (p.dryRun !== undefined) r.dryRun = base.dryRun || p.dryRun;
  return r;
}

/** The gates of a deployment under a policy: the policy's over the config's. */
export function policyGates(base: GateTable, p: HealPolicySpec | undefined): GateTable {
  return { ...base, ...(p?.gates ?? {}) };
}

/** The HealPolicy CRD, its OpenAPI v3 schema generated from {@link HEAL_POLICY_SPEC}. */
export function crdManifest(): Record<string, unknown> {
  const spec = structural(
    z.toJSONSchema(HEAL_POLICY_SPEC, { target: 'openapi-3.0', io: 'input' }) as Schema,
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${POLICY_PLURAL}.${POLICY_GROUP}` },
    spec: {
      group: POLICY_GROUP,
      scope: 'Namespaced',
      names: {
        kind: 'HealPolicy',
        listKind: 'HealPolicyList',
        plural: POLICY_PLURAL,
        singular: 'healpolicy',
        shortNames: ['hp'],
      },
      versions: [
        {
          name: POLICY_VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'The healing policy of the deployments it selects in its namespace (aiops-autoheal). Annotations on a Deployment may only tighten it.',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: spec,
              },
              required: ['spec'],
            },
          },
        },
      ],
    },
  };
}

type Schema = Record<string, unknown>;

/**
 * A Kubernetes structural schema: every node typed, `additionalProperties` only where there are
 * no `properties` (a map), no `$schema`; defaults dropped (the config's defaults apply when a
 * policy leaves a field out, not the API server's).
 */
function structural(s: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$schema' || k === 'default') continue;
    if (k === 'additionalProperties' && s.properties) continue;
    if (k === 'properties' && v && typeof v === 'object')
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, Schema>).map(([p, sub]) => [p, structural(sub)]),
      );
    else if ((k === 'items' || k === 'additionalProperties') && v && typeof v === 'object')
      out[k] = structural(v as Schema);
    else out[k] = v;
  }
  // zod's own formats (`starts_with`) are not OpenAPI's: the pattern says the same.
  if (out.format === 'starts_with') delete out.format;
  return out;
}
