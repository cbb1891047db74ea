import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ROOT } from '../stack/index.js';
import { startControlPlane, type ControlPlane } from './controlPlane.js';
import { kubectl, kubectlOk } from './kubectl.js';

// The ValidatingAdmissionPolicy that bounds what the healer may change on a Deployment
// (k8s/cluster/healer-admission-policy.yaml), enforced by a real kube-apiserver. The cases are the
// ones platform/test/admission.test.ts evaluates offline with its own CEL interpreter; here each
// is sent as the named user (impersonated by the admin, so that user's RBAC applies) as a
// strategic-merge patch with --dry-run=server, and the real admission chain gives the verdict.

interface Case {
  name: string;
  user?: string;
  expect: 'allow' | 'deny';
  setup?: unknown;
  patch: unknown;
}

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const POLICY = 'aiops-healer-deployment-changes';
const NS = 'dev';
const NEEDED_KINDS = new Set(['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'Deployment']);

const cases = parse(
  readFileSync(
    join(ROOT, 'platform', 'test', 'fixtures', 'admission', 'healer-deployment-updates.yaml'),
    'utf8',
  ),
) as { healer: string; cases: Case[] };

/** A ServiceAccount user name's RBAC subject; anything else is a User. */
function subjectOf(user: string): { kind: string; name: string; namespace?: string } {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
  return sa
    ? { kind: 'ServiceAccount', namespace: sa[1]!, name: sa[2]! }
    : { kind: 'User', name: user };
}

describe('the healer admission policy on a real apiserver', () => {
  let plane: ControlPlane;
  let backend: Obj;

  /** A fresh copy of the dev overlay's backend Deployment, named for the case, after its setup. */
  async function deploymentFor(i: number, c: Case): Promise<string> {
    const name = `adm-${i}`;
    const { status: _status, ...rest } = backend as Obj & { status?: unknown };
    await kubectlOk(plane, ['apply', '--server-side', '--field-manager=aiops-ci', '-f', '-'], {
      input: stringify({ ...rest, metadata: { ...backend.metadata, name, namespace: NS } }),
    });
    if (c.setup)
      await kubectlOk(plane, [
        'patch',
        '-n',
        NS,
        `deployment/${name}`,
        '--type',
        'strategic',
        '-p',
        JSON.stringify(c.setup),
      ]);
    return name;
  }

  /** The patch as the case's user, dry-run on the server: the apiserver's answer. */
  async function send(name: string, c: Case) {
    return kubectl(plane, [
      'patch',
      '-n',
      NS,
      `deployment/${name}`,
      '--type',
      'strategic',
      '--dry-run=server',
      `--as=${c.user ?? cases.healer}`,
      '-p',
      JSON.stringify(c.patch),
    ]);
  }

  beforeAll(async () => {
    plane = await startControlPlane();
    // The dev overlay for real: namespace, the healer's ServiceAccount, Role and RoleBinding, and
    // the Deployments the cases patch.
    const yaml = await kubectlOk(plane, ['kustomize', join(ROOT, 'k8s', 'overlays', 'dev')]);
    // Only what the cases need, so no CRD (ServiceMonitor, …) has to be installed here.
    const objects = parseAllDocuments(yaml)
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => !!o && NEEDED_KINDS.has(o.kind));
    backend = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'aiops-backend')!;
    expect(backend).toBeDefined();
    await kubectlOk(plane, ['apply', '--server-side', '--field-manager=aiops-ci', '-f', '-'], {
      input: objects.map((o) => `---\n${stringify(o)}`).join(''),
    });
    // Other users in the cases may edit Deployments (the built-in `edit` role), so only the
    // policy can tell them apart from the healer.
    const others = [...new Set(cases.cases.map((c) => c.user).filter((u): u is string => !!u))];
    await kubectlOk(plane, ['apply', '--server-side', '--field-manager=aiops-ci', '-f', '-'], {
      input: stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'admission-case-editors', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: others.map((u) => ({
          ...subjectOf(u),
          ...(subjectOf(u).kind === 'User' ? { apiGroup: 'rbac.authorization.k8s.io' } : {}),
        })),
      }),
    });
    await kubectlOk(plane, [
      'apply',
      '--server-side',
      '--field-manager=aiops-ci',
      '-f',
      join(ROOT, 'k8s', 'cluster', 'healer-admission-policy.yaml'),
    ]);
    // A policy is enforced once the apiserver has compiled it: wait until a case it must deny is
    // denied by it (its type check also lands in the policy's status).
    const probe = cases.cases.find((c) => c.expect === 'deny' && !c.setup)!;
    const name = await deploymentFor(0, probe);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await send(name, probe);
      if (r.code !== 0 && r.stderr.includes(POLICY)) break;
      if (Date.now() > deadline)
        throw new Error(`the policy never took effect: ${r.code} ${r.stderr}${r.stdout}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  }, 240_000);

  afterAll(async () => {
    await plane?.stop();
  });

  it('compiles without type-check warnings', async () => {
    const p = JSON.parse(
      await kubectlOk(plane, ['get', 'validatingadmissionpolicy', POLICY, '-o', 'json']),
    ) as { status?: { typeChecking?: { expressionWarnings?: unknown[] } } };
    expect(p.status?.typeChecking?.expressionWarnings ?? []).toEqual([]);
  });

  it.each(cases.cases.map((c, i) => [c.expect, c.name, i + 1, c] as const))(
    '%s: %s',
    async (expected, _name, i, c) => {
      const name = await deploymentFor(i, c);
      const r = await send(name, c);
      if (expected === 'allow') {
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      } else {
        expect(r.code).not.toBe(0);
        // Denied by this policy, not by RBAC or validation.
        expect(r.stderr).toContain(`ValidatingAdmissionPolicy '${POLICY}'`);
      }
    },
  );
});
