/**
 * Least privilege, checked both ways: the permissions the healer's code needs (from the
 * @kubernetes/client-node calls in its source) must equal the permissions its Role grants. A
 * missing rule breaks a heal step in production; an extra one is privilege nobody uses.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** `group/resource verb`, e.g. `apps/deployments/scale patch` (core group: `/pods list`). */
export type Permission = string;

/**
 * What only the cache-clear rung uses: granted by the opt-in Role of k8s/components/cache-clear
 * (and the chart's `cacheClear.namespaces`), never by the base Role. The Role test checks that
 * base ∪ component equals what healer/src calls, and that these are all still called.
 */
export const CACHE_CLEAR_PERMISSIONS: readonly Permission[] = [
  '/pods list',
  '/pods/exec create',
  '/pods/proxy create',
];

/** client-node object names → API group and resource. */
const RESOURCES: Record<string, [group: string, resource: string]> = {
  Deployment: ['apps', 'deployments'],
  DeploymentScale: ['apps', 'deployments/scale'],
  ReplicaSet: ['apps', 'replicasets'],
  HorizontalPodAutoscaler: ['autoscaling', 'horizontalpodautoscalers'],
  Pod: ['', 'pods'],
  Event: ['', 'events'],
  Lease: ['coordination.k8s.io', 'leases'],
  ConfigMap: ['', 'configmaps'],
  /** The only custom resources the healer reads: its HealPolicies. */
  CustomObject: ['aiops.io', 'healpolicies'],
};
const VERBS: Record<string, string> = {
  read: 'get',
  get: 'get',
  list: 'list',
  create: 'create',
  patch: 'patch',
  replace: 'update',
  delete: 'delete',
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Permissions implied by the client-node calls in a source text. A call on an object kind this
 * module does not know is returned in `unknown`, so a new kind of call cannot slip through. */
export function permissionsUsed(source: string): { used: Set<Permission>; unknown: string[] } {
  const used = new Set<Permission>();
  const unknown: string[] = [];
  const calls = [
    // `…WithHttpInfo` is the same request (a response processor's hook, or the call with headers).
    ...source.matchAll(
      /\.(read|list|create|patch|replace|delete)Namespaced(\w+?)(?:WithHttpInfo)?\(/g,
    ),
    ...source.matchAll(/\.(list)(\w+?)ForAllNamespaces(?:WithHttpInfo)?\(/g),
  ];
  for (const m of calls) {
    if (m[2]?.startsWith('CustomObject')) continue; // see customObjectPermissions
    const res = RESOURCES[m[2] as string];
    if (res) used.add(`${res[0]}/${res[1]} ${VERBS[m[1] as string]}`);
    else unknown.push(m[0]);
  }
  customObjectPermissions(source, used, unknown);
  watchPermissions(source, used, unknown);
  if (/\.connectPostNamespacedPodProxy\w*\(/.test(source)) used.add('/pods/proxy create');
  if (/\bnew Exec\(/.test(source)) used.add('/pods/exec create');
  return { used, unknown };
}

/**
 * client-node's custom-object calls (`getNamespacedCustomObject`, `listClusterCustomObject`,
 * `patchNamespacedCustomObjectScale`, …) name their resource in arguments, not in the method:
 * a file making them must declare that resource once as a `{ group, version, plural }` literal
 * (as `healer/src/kinds/rollout.ts` does). A file with such calls and no literal, or several, is
 * reported as unknown rather than guessed.
 */
function customObjectPermissions(source: string, used: Set<Permission>, unknown: string[]): void {
  const calls = [
    ...source.matchAll(
      /\.(get|list|patch|create|replace|delete)(Namespaced|Cluster)CustomObject(Scale|Status)?\(/g,
    ),
  ];
  if (calls.length === 0) return;
  const defs = [
    ...source.matchAll(
      /\{\s*group:\s*'([^']*)',\s*version:\s*'[^']+',\s*plural:\s*'([^']+)',?\s*\}/g,
    ),
  ];
  if (defs.length !== 1) {
    unknown.push(
      ...calls.map(
        (m) =>
          `${m[0]} (a file with custom-object calls declares exactly one { group, version, plural } literal; found ${defs.length})`,
      ),
    );
    return;
  }
  const [, group, plural] = defs[0]!;
  for (const m of calls) {
    const sub = m[3] ? `/${m[3].toLowerCase()}` : '';
    used.add(`${group}/${plural}${sub} ${VERBS[m[1] as string]}`);
  }
}

/**
 * The informers (`kube.watchTargets`) WATCH each heal kind's collection at the path its
 * `path(namespace)` returns (healer/src/kinds/listWatch.ts): a file that declares one needs
 * `watch` on that resource — a literal `/apis/<group>/<version>/…<plural>`, or for a custom
 * resource the file's one `{ group, version, plural }` literal. A `path(namespace)` naming
 * neither is reported as unknown.
 */
function watchPermissions(source: string, used: Set<Permission>, unknown: string[]): void {
  // the method's definition (`path(namespace: …): string {`), not a call or a declaration
  if (!/\bpath\(namespace\b[^)]*\)\s*(?::[^{;]*)?\{/.test(source)) return;
  const found = new Set<Permission>();
  for (const m of source.matchAll(
    /['`]\/(?:api|apis\/([a-z0-9.-]+))\/v\d\w*\/(?:namespaces\/\$\{\w+\}\/)?([a-z]+)['`]/g,
  ))
    found.add(`${m[1] ?? ''}/${m[2]} watch`);
  if (/`\/apis\/\$\{group\}\/\$\{version\}\//.test(source)) {
    const defs = [
      ...source.matchAll(
        /\{\s*group:\s*'([^']*)',\s*version:\s*'[^']+',\s*plural:\s*'([^']+)',?\s*\}/g,
      ),
    ];
    if (defs.length === 1) found.add(`${defs[0]![1]}/${defs[0]![2]} watch`);
  }
  if (found.size === 0)
    unknown.push('path(namespace) (a watched kind names its collection /apis/<group>/<version>/…)');
  for (const p of found) used.add(p);
}

/** Permissions used by every source file under `dir`. */
export function permissionsUsedIn(dir: string): { used: Set<Permission>; unknown: string[] } {
  const used = new Set<Permission>();
  const unknown: string[] = [];
  for (const f of tsFiles(dir)) {
    const r = permissionsUsed(readFileSync(f, 'utf8'));
    r.used.forEach((p) => used.add(p));
    unknown.push(...r.unknown.map((u) => `${f}: ${u}`));
  }
  return { used, unknown };
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

/** Permissions a Role's rules grant (resourceNames narrowing ignored). */
export function permissionsGranted(rules: readonly PolicyRule[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const r of rules) {
    for (const g of r.apiGroups ?? []) {
      for (const res of r.resources ?? [])
        for (const v of r.verbs ?? []) out.add(`${g}/${res} ${v}`);
    }
  }
  return out;
}
