/**
 * Evaluates a ValidatingAdmissionPolicy's CEL offline, as the API server would for one request:
 * match conditions, then the variables in order, then every validation. The CEL evaluator is
 * `@marcbachmann/cel-js` (optional fields, the strings extension), so the policy's own
 * expressions are run, not a re-implementation of them. The API server stays the authority: it
 * type-checks against the OpenAPI schema and accepts less than this evaluator does (it refuses
 * `cel.bind` in admission policies), so e2e/cluster/admission.cluster.test.ts replays the same
 * cases on a real kube-apiserver; this tier catches a wrong rule before that.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { KubeObject } from './kube.js';

/** The parts of an AdmissionReview request the policies here read. */
export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  userInfo: { username: string };
  object: unknown;
  oldObject: unknown;
}

export interface AdmissionVerdict {
  /** False when the request is outside matchConstraints or a matchCondition is false. */
  matched: boolean;
  /** The message of every failed validation (empty: allowed). */
  denials: string[];
}

interface ResourceRule {
  apiGroups?: string[];
  resources?: string[];
  operations?: string[];
}
interface PolicySpec {
  matchConstraints?: { resourceRules?: ResourceRule[] };
  matchConditions?: { name: string; expression: string }[];
  variables?: { name: string; expression: string }[];
  validations?: { expression: string; message?: string }[];
}

/**
 * JSON → CEL values: integral numbers become `int` (bigint), as Kubernetes types them. Lists and
 * maps are rebuilt in this realm: the evaluator tells lists by their constructor, and a
 * structuredClone'd object (or one from a test sandbox) has another realm's Array.
 */
function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return Array.from(v as unknown[], toCel);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  }
  return v;
}

const env = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true });

/** Whether `rule` matches a request on `group/resource` with `operation`. */
function ruleMatches(
  rule: ResourceRule,
  group: string,
  resource: string,
  operation: string,
): boolean {
  const has = (list: string[] | undefined, v: string): boolean =>
    (list ?? []).some((x) => x === '*' || x === v);
  return (
    has(rule.apiGroups, group) && has(rule.resources, resource) && has(rule.operations, operation)
  );
}

/**
 * The verdict of `policy` on `request` for `group/resource`. A CEL error in a validation counts
 * as a denial naming the error (failurePolicy Fail), so a broken expression cannot pass silently.
 */
export function evaluateAdmission(
  policy: KubeObject,
  group: string,
  resource: string,
  request: AdmissionRequest,
): AdmissionVerdict {
  const spec = policy.spec as PolicySpec;
  const rules = spec.matchConstraints?.resourceRules ?? [];
  if (!rules.some((r) => ruleMatches(r, group, resource, request.operation))) {
    return { matched: false, denials: [] };
  }
  const context: Record<string, unknown> = {
    object: toCel(request.object),
    oldObject: toCel(request.oldObject),
    request: toCel({ operation: request.operation, userInfo: request.userInfo }),
  };
  for (const c of spec.matchConditions ?? []) {
    if (env.evaluate(c.expression, context) !== true) return { matched: false, denials: [] };
  }
  const variables: Record<string, unknown> = {};
  context.variables = variables;
  for (const v of spec.variables ?? []) {
    variables[v.name] = env.evaluate(v.expression, context);
  }
  const denials: string[] = [];
  for (const [i, v] of (spec.validations ?? []).entries()) {
    let ok: unknown;
    try {
      ok = env.evaluate(v.expression, context);
    } catch (err) {
      denials.push(`validations[${i}]: CEL error: ${(err as Error).message}`);
      continue;
    }
    if (ok !== true) denials.push(v.message ?? `validations[${i}] failed`);
  }
  return { matched: true, denials };
}

/**
 * A strategic merge patch as the API server applies it to a Deployment, for the fields the
 * fixtures use: maps merge, null deletes, lists of objects with a `name` (containers, env,
 * volumes) merge by name, other lists are replaced.
 */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (patch === null) return undefined;
  if (Array.isArray(patch)) {
    const byName = (x: unknown): string | undefined =>
      x !== null && typeof x === 'object' && 'name' in x ? String(x.name) : undefined;
    if (!Array.isArray(target) || !patch.every((p) => byName(p) !== undefined)) return patch;
    const out = [...target];
    for (const p of patch) {
      const i = out.findIndex((t) => byName(t) === byName(p));
      if (i >= 0) out[i] = strategicMerge(out[i], p);
      else out.push(p);
    }
    return out;
  }
  if (typeof patch !== 'object') return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    const merged = strategicMerge(base[k], v);
    if (merged === undefined) delete base[k];
    else base[k] = merged;
  }
  return base;
}

/** One RFC 6902 operation of the kinds the fixtures use. */
export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/**
 * An RFC 6902 JSON patch (`add`, `replace`, `remove`), as the API server applies it to a custom
 * resource (which takes no strategic merge patch). Returns a copy; throws naming the operation
 * when a path does not resolve, as the API server refuses such a patch.
 */
export function applyJsonPatch(target: unknown, ops: readonly JsonPatchOp[]): unknown {
  const doc = structuredClone(target);
  for (const [i, op] of ops.entries()) {
    const keys = op.path
      .split('/')
      .slice(1)
      .map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop();
    let parent: unknown = doc;
    for (const k of keys) parent = (parent as Record<string, unknown> | undefined)?.[k];
    if (last === undefined || parent === null || typeof parent !== 'object')
      throw new Error(`json patch [${i}] ${op.op} ${op.path}: no such parent`);
    const p = parent as Record<string, unknown>;
    if (Array.isArray(p)) {
      const idx = last === '-' ? p.length : Number(last);
      if (op.op === 'add') p.splice(idx, 0, op.value);
      else if (idx >= p.length)
        throw new Error(`json patch [${i}] ${op.op} ${op.path}: no such index`);
      else if (op.op === 'replace') p[idx] = op.value;
      else p.splice(idx, 1);
      continue;
    }
    if (op.op !== 'add' && !(last in p))
      throw new Error(`json patch [${i}] ${op.op} ${op.path}: no such member`);
    if (op.op === 'remove') delete p[last];
    else p[last] = op.value;
  }
  return doc;
}
