import { ApiError, badRequest } from '../cluster/errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

/** Applies a PATCH body of the given content type (json, merge or strategic-merge). */
export function applyPatch(
  target: unknown,
  contentType: string | undefined,
  body: unknown,
): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (type === PATCH_TYPES.json) return jsonPatch(target, body);
  if (type === PATCH_TYPES.merge) return mergePatch(target, body);
  if (type === PATCH_TYPES.strategic) return strategicMergePatch(target, body);
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.strategic}`,
  );
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** List merge keys for the fields we serve, from the Kubernetes API's patchMergeKey tags. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  conditions: 'type',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
  tolerations: 'key',
};

/** Strategic merge patch: merge patch, except keyed lists merge by key and `$patch` directives. */
export function strategicMergePatch(target: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch)) return mergeList(target, patch, field);
  if (!isObj(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return strategicMergePatch({}, rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k.startsWith('$setElementOrder/') || k === '$retainKeys') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const name = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[name];
      if (Array.isArray(cur) && Array.isArray(v)) out[name] = cur.filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else {
      const merged = strategicMergePatch(out[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  return out;
}

function mergeList(target: unknown, patch: unknown[], field: string): unknown[] {
  const key = MERGE_KEYS[field];
  if (!key || !Array.isArray(target)) return structuredClone(patch);
  if (patch.some((p) => isObj(p) && p.$patch === 'replace'))
    return patch.filter((p) => !(isObj(p) && p.$patch === 'replace'));
  const out = target.map((x) => structuredClone(x) as unknown);
  for (const item of patch) {
    if (!isObj(item)) continue;
    const idx = out.findIndex((x) => isObj(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item);
    else out.push(strategicMergePatch({}, item));
  }
  return out;
}

/** RFC 6902 JSON patch. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch body must be an array of operations');
  let doc = structuredClone(target);
  ops.forEach((op, i) => {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string')
      throw badRequest(`json patch operation ${i}: needs string "op" and "path"`);
    const path = op.path;
    switch (op.op) {
      case 'add':
        doc = setAt(doc, path, structuredClone(op.value), 'add');
        break;
      case 'replace':
        getAt(doc, path, i);
        doc = setAt(doc, path, structuredClone(op.value), 'replace');
        break;
      case 'remove':
        getAt(doc, path, i);
        doc = removeAt(doc, path);
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string')
          throw badRequest(`json patch operation ${i}: "from" is required`);
        const v = structuredClone(getAt(doc, op.from, i));
        if (op.op === 'move') doc = removeAt(doc, op.from);
        doc = setAt(doc, path, v, 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, path, i)) !== JSON.stringify(op.value))
          throw new ApiError(422, 'Invalid', `testing value ${path} failed`);
        break;
      default:
        throw badRequest(`json patch operation ${i}: unknown op "${op.op}"`);
    }
  });
  return doc;
}

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`json patch path "${path}" must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function getAt(doc: unknown, path: string, i: number): unknown {
  let cur = doc;
  for (const t of tokens(path)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined)
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: json patch operation ${i}: doc is missing path: "${path}"`,
      );
  }
  return cur;
}

function setAt(doc: unknown, path: string, value: unknown, mode: 'add' | 'replace'): unknown {
  const ts = tokens(path);
  if (ts.length === 0) return value;
  const parent = getParent(doc, ts);
  const last = ts[ts.length - 1]!;
  if (Array.isArray(parent)) {
    const idx = last === '-' ? parent.length : Number(last);
    if (mode === 'add') parent.splice(idx, 0, value);
    else parent[idx] = value;
  } else (parent as Obj)[last] = value;
  return doc;
}

function removeAt(doc: unknown, path: string): unknown {
  const ts = tokens(path);
  const parent = getParent(doc, ts);
  const last = ts[ts.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete (parent as Obj)[last];
  return doc;
}

function getParent(doc: unknown, ts: string[]): unknown {
  let cur = doc;
  for (const t of ts.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObj(cur) ? cur[t] : undefined;
    if (cur === undefined || cur === null || typeof cur !== 'object')
      throw new ApiError(422, 'Invalid', `json patch: missing path "/${ts.join('/')}"`);
  }
  return cur;
}
