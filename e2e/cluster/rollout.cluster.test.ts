/**
 * An Argo `Rollout` as a heal target on a real control plane (the prod backend is one): the
 * Argo Rollouts CRD at its pinned version (crds.ts), the healer as its own ServiceAccount under the
 * Role from k8s/base and the admission policies of k8s/cluster. The real apiserver lists the
 * Rollout for the healer and accepts its restart (`spec.restartAt`), scale (`rollouts/scale`) and
 * rollback (`spec.template`) writes; the real authorizer refuses them without each verb of the
 * Role's argoproj.io rules; the Rollout admission policy gives the verdicts its offline test
 * expects (platform/test/fixtures/admission/healer-rollout-updates.yaml).
 *
 * NO ARGO ROLLOUTS CONTROLLER RUNS HERE. Where the Rollout must move (ReplicaSets, status,
 * promotion, pod restarts), THE TEST PLAYS THAT CONTROLLER, minimally, through `reconcileRollout`
 * / `settleRollout` (argoRollouts.ts says exactly what it does); each call below is marked. The
 * ReplicaSet controller, the garbage collector, RBAC and admission are the real ones.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { freePort, startProcess, waitForHttp, type ManagedProcess } from '@aiops/simulator/testing';
import { ROOT } from '../stack/index.js';
import {
  installRolloutsCrd,
  reconcileRollout,
  ROLLOUTS_API,
  settleRollout,
  type Rollout,
} from './argoRollouts.js';
import { kubectl, kubectlOk } from './kubectl.js';
import {
  startRealCluster,
  UNBOUNDED_BUDGETS,
  type PolicyRule,
  type RealCluster,
} from './realCluster.js';

const run = promisify(execFile);
const CLI = join(ROOT, 'healer', 'dist', 'src', 'cli.js');
const NS = 'prod';
const NAME = 'orders';
const ROLLOUT_POLICY = 'aiops-healer-rollout-changes';

interface Row {
  kind?: string;
  namespace: string;
  name: string;
  decision: string;
  actionStatus?: string;
  detail: string;
}
interface CheckReport {
  rows: Row[];
  errors: string[];
}
interface JsonOp {
  op: string;
  path: string;
  value?: unknown;
}
interface AdmissionCase {
  name: string;
  user?: string;
  expect: 'allow' | 'deny';
  setup?: JsonOp[];
  patch: JsonOp[];
}

const labels = { app: NAME };
const template = (image: string) => ({
  metadata: { labels },
  spec: {
    containers: [{ name: NAME, image, ports: [{ containerPort: 8080, name: 'http' }] }],
  },
});

describe('an Argo Rollout as a heal target on the real apiserver', () => {
  let cluster: RealCluster;
  let backend: ManagedProcess;
  let backendUrl: string;
  let dir: string;
  let configFile: string;
  let crdVersion: string;
  const admin = () => cluster.plane.admin;
  const path = `${ROLLOUTS_API}/namespaces/${NS}/rollouts/${NAME}`;
  const read = () => admin().request<Rollout>('GET', path);
  const mergePatch = (p: string, body: unknown) =>
    admin().request('PATCH', p, body, 'application/merge-patch+json');

  beforeAll(async () => {
    cluster = await startRealCluster({ namespaces: [NS] });
    crdVersion = await installRolloutsCrd(cluster.plane);
    await kubectlOk(cluster.plane, [
      'apply',
      '--server-side',
      '--field-manager=aiops-ci',
      '-f',
      join(ROOT, 'k8s', 'cluster', 'healer-admission-policy.yaml'),
    ]);
    await admin().request('POST', `${ROLLOUTS_API}/namespaces/${NS}/rollouts`, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: {
        name: NAME,
        labels: { ...labels, 'aiops.io/autoheal': 'enabled' },
        // Acts at any risk, on the rung the test names.
        annotations: { 'aiops.io/threshold': '0', 'aiops.io/ladder': 'restart_scale' },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: template('registry.local/orders:1.0.0'),
        strategy: { canary: {} },
      },
    });
    // THE TEST PLAYS THE ARGO CONTROLLER: the first release's ReplicaSet, promoted to stable.
    await settleRollout(
      cluster.plane,
      NS,
      NAME,
      (s) => s.availableReplicas === 2 && s.phase === 'Healthy',
    );
    dir = await mkdtemp(join(tmpdir(), 'aiops-rollout-'));
    configFile = join(dir, 'healer.json');
    await writeFile(
      configFile,
      JSON.stringify({
        budgets: UNBOUNDED_BUDGETS,
        // Under test here: the rollback's writes under the real authorizer and admission, not the
        // approval gate production namespaces put on it by default (healer/test/humans).
        approvals: { prodGates: { rollback: 'auto' } },
      }),
    );
    const port = await freePort();
    backend = startProcess(process.execPath, [join(ROOT, 'backend', 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    backendUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${backendUrl}/readyz`, 60_000);
  }, 300_000);

  afterAll(async () => {
    await backend?.stop();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  /** `healer check --json` as the healer's ServiceAccount, on the prod namespace. */
  async function check(
    extra: string[] = [],
  ): Promise<{ report: CheckReport; code: number; stderr: string }> {
    const r = await run(process.execPath, [CLI, 'check', '--json', ...extra], {
      cwd: ROOT,
      env: {
        ...process.env,
        KUBECONFIG: await cluster.healerKubeconfig(),
        HEALER_CONFIG_FILE: configFile,
        HEALER_NAMESPACES: NS,
        HEALER_FEATURE_SOURCE: 'simulator',
        SIMULATOR_URL: cluster.agentUrl,
        BACKEND_URL: backendUrl,
        HEALER_SCALE_STEP: '1',
        POD_NAMESPACE: cluster.home,
        POD_NAME: 'aiops-healer-rollout',
      },
      maxBuffer: 16 << 20,
    }).then(
      (x) => ({ ...x, code: 0 }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
        code: e.code ?? 2,
      }),
    );
    let report: CheckReport;
    try {
      report = JSON.parse(r.stdout) as CheckReport;
    } catch {
      throw new Error(`healer check printed no report (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    }
    return { report, code: r.code, stderr: r.stderr };
  }
  const row = (report: CheckReport): Row | undefined =>
    report.rows.find((x) => x.namespace === NS && x.name === NAME);

  /** No heal state, 2 replicas, the given rung, not paused. */
  async function reset(ladder: string): Promise<void> {
    await mergePatch(path, {
      metadata: {
        annotations: {
          'aiops.io/heal-state': null,
          'aiops.io/heal-attempt': null,
          'aiops.io/ladder': ladder,
        },
      },
      spec: { replicas: 2, paused: null },
    });
  }

  it(`lists the Rollout (CRD ${'argoproj.io/v1alpha1'}) and assesses it beside the Deployments`, async () => {
    expect(crdVersion).toMatch(/^v1\.\d+\.\d+$/);
    const { report } = await check(['--dry-run']);
    expect(report.errors).toEqual([]);
    expect(row(report)).toMatchObject({ kind: 'Rollout', actionStatus: 'dry_run' });
    // The prod sample Deployments are still watched.
    expect(report.rows.filter((x) => x.kind === 'Deployment').length).toBeGreaterThan(0);
  });

  it('restart (spec.restartAt) and scale (rollouts/scale) are accepted under its Role and the admission policy', async () => {
    await reset('restart_scale');
    const before = Date.now();
    const { report, code } = await check();
    expect(row(report)).toMatchObject({
      kind: 'Rollout',
      decision: 'restart_scale',
      actionStatus: 'done',
    });
    expect(row(report)?.detail).toMatch(/rollout restart at .*; replicas 2 → 3/);
    expect(code).toBe(1);
    const r = await read();
    expect(Date.parse(r.spec.restartAt!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(r.spec.replicas).toBe(3);
    expect(r.metadata.annotations?.['aiops.io/heal-attempt']).toBe('1');
    // THE TEST PLAYS THE ARGO CONTROLLER: pods older than restartAt replaced one at a time, the
    // third replica added; the real ReplicaSet controller recreates the deleted pods.
    const s = await settleRollout(
      cluster.plane,
      NS,
      NAME,
      (x) => x.restartedAt === r.spec.restartAt && x.availableReplicas === 3,
      150_000,
    );
    expect(s.phase).toBe('Healthy');
  }, 300_000);

  it('a paused Rollout: no action, nothing written', async () => {
    await reset('restart_scale');
    await mergePatch(path, { spec: { paused: true } });
    await reconcileRollout(cluster.plane, NS, NAME); // THE TEST PLAYS THE CONTROLLER: phase Paused
    const before = await read();
    const { report } = await check();
    expect(row(report)).toMatchObject({ decision: 'restart_scale', actionStatus: 'held' });
    expect(row(report)?.detail).toContain('spec.paused=true (kubectl argo rollouts pause)');
    const after = await read();
    expect(after.spec.restartAt).toBe(before.spec.restartAt);
    expect(after.spec.replicas).toBe(before.spec.replicas);
    await mergePatch(path, { spec: { paused: null } });
  }, 120_000);

  it('rolls a bad release back to the stable ReplicaSet while it rolls out', async () => {
    await reset('rollback');
    await settleRollout(
      cluster.plane,
      NS,
      NAME,
      (s) => s.availableReplicas === 2 && s.phase === 'Healthy',
    );
    const stable = (await read()).status!.stableRS!;
    await mergePatch(path, { spec: { template: template('registry.local/orders:2.0.0-bad') } });
    // THE TEST PLAYS THE CONTROLLER once: the new release's ReplicaSet exists, not promoted.
    const mid = await reconcileRollout(cluster.plane, NS, NAME);
    expect(mid.currentPodHash).not.toBe(stable);
    expect(mid.stableRS).toBe(stable);
    const { report } = await check();
    expect(row(report)).toMatchObject({ decision: 'rollback', detail: expect.any(String) });
    expect(`${row(report)?.actionStatus}: ${row(report)?.detail}`).toMatch(/^done: /);
    expect(row(report)?.detail).toMatch(/^.*rolled back to revision \d+ \(ReplicaSet orders-\w+\)/);
    const r = await read();
    // The stable ReplicaSet's template, as `kubectl argo rollouts undo` writes it: the first
    // release's image, with what the API server defaulted into the ReplicaSet.
    expect(r.spec.template.spec).toMatchObject(template('registry.local/orders:1.0.0').spec);
    // THE TEST PLAYS THE CONTROLLER: the template is the stable one again.
    const back = await settleRollout(
      cluster.plane,
      NS,
      NAME,
      (s) => s.phase === 'Healthy' && s.availableReplicas === 2,
    );
    expect(back.currentPodHash).toBe(stable);
  }, 240_000);

  describe('the Rollout admission policy on the real apiserver', () => {
    let base: { metadata: Record<string, unknown>; [k: string]: unknown };
    let cases: { healer: string; cases: AdmissionCase[] };

    beforeAll(async () => {
      cases = parse(
        await readFile(
          join(ROOT, 'platform', 'test', 'fixtures', 'admission', 'healer-rollout-updates.yaml'),
          'utf8',
        ),
      ) as typeof cases;
      const prod = parseAllDocuments(
        await kubectlOk(cluster.plane, ['kustomize', join(ROOT, 'k8s', 'overlays', 'prod')]),
      )
        .map((d) => d.toJS() as { kind: string; metadata: { name: string } })
        .find((o) => o.kind === 'Rollout' && o.metadata.name === 'aiops-backend')!;
      base = prod as unknown as typeof base;
      // Other users of the cases may patch Rollouts (no Argo aggregate ClusterRoles here).
      const others = [...new Set(cases.cases.map((c) => c.user).filter((u): u is string => !!u))];
      await kubectlOk(
        cluster.plane,
        ['apply', '--server-side', '--field-manager=aiops-ci', '-f', '-'],
        {
          input: [
            stringify({
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'Role',
              metadata: { name: 'rollout-case-editors', namespace: NS },
              rules: [
                { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get', 'patch'] },
              ],
            }),
            stringify({
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'RoleBinding',
              metadata: { name: 'rollout-case-editors', namespace: NS },
              roleRef: {
                apiGroup: 'rbac.authorization.k8s.io',
                kind: 'Role',
                name: 'rollout-case-editors',
              },
              subjects: others.map((u) => ({
                kind: 'User',
                name: u,
                apiGroup: 'rbac.authorization.k8s.io',
              })),
            }),
          ].join('---\n'),
        },
      );
    }, 120_000);

    // The copies are opted-in heal targets too: gone before the next suite's healer runs.
    afterAll(async () => {
      await kubectlOk(cluster.plane, [
        'delete',
        'rollouts.argoproj.io',
        '-n',
        NS,
        '-l',
        'app.kubernetes.io/name=aiops-backend',
        '--wait=false',
      ]);
    });

    /** A fresh copy of the prod overlay's backend Rollout, named for the case, after its setup. */
    async function rolloutFor(i: number, c: AdmissionCase): Promise<string> {
      const name = `adm-${i}`;
      await kubectlOk(
        cluster.plane,
        ['apply', '--server-side', '--field-manager=aiops-ci', '-f', '-'],
        {
          input: stringify({ ...base, metadata: { ...base.metadata, name, namespace: NS } }),
        },
      );
      if (c.setup) await kubectlOk(cluster.plane, jsonPatch(name, c.setup));
      return name;
    }
    /** The case's patch as its user, dry-run on the server: the apiserver's answer. */
    const send = (name: string, c: AdmissionCase) =>
      kubectl(
        cluster.plane,
        jsonPatch(name, c.patch, ['--dry-run=server', `--as=${c.user ?? cases.healer}`]),
      );
    /** `kubectl patch --type json` of the case's Rollout copy. */
    function jsonPatch(name: string, ops: JsonOp[], extra: string[] = []): string[] {
      const target = `rollout.argoproj.io/${name}`;
      return ['patch', '-n', NS, target, '--type', 'json', ...extra, '-p', JSON.stringify(ops)];
    }

    it('compiles without type-check warnings', async () => {
      const p = JSON.parse(
        await kubectlOk(cluster.plane, [
          'get',
          'validatingadmissionpolicy',
          ROLLOUT_POLICY,
          '-o',
          'json',
        ]),
      ) as { status?: { typeChecking?: { expressionWarnings?: unknown[] } } };
      expect(p.status?.typeChecking?.expressionWarnings ?? []).toEqual([]);
    });

    it('gives every fixture case its expected verdict', async () => {
      const wrong: string[] = [];
      for (const [i, c] of cases.cases.entries()) {
        const name = await rolloutFor(i, c);
        const r = await send(name, c);
        const denied =
          r.code !== 0 && r.stderr.includes(`ValidatingAdmissionPolicy '${ROLLOUT_POLICY}'`);
        const ok = c.expect === 'allow' ? r.code === 0 : denied;
        if (!ok) wrong.push(`${c.expect}: ${c.name} → exit ${r.code} ${r.stderr.trim()}`);
      }
      expect(wrong).toEqual([]);
    }, 180_000);
  });

  describe("each verb of the Role's argoproj.io rules is needed", () => {
    /** One check on the Rollout alone (restart + scale), ok when it went through cleanly. */
    async function probe(): Promise<{ ok: boolean; seen: string }> {
      await reset('restart_scale');
      // THE TEST PLAYS THE CONTROLLER: back to 2 replicas, all available (a Rollout restart is
      // refused while pods are unavailable, which would fail the probe for another reason).
      await settleRollout(
        cluster.plane,
        NS,
        NAME,
        (s) => s.availableReplicas === 2 && s.replicas === 2,
        120_000,
      );
      const { report, stderr } = await check();
      const r = row(report);
      const ok =
        report.errors.length === 0 &&
        r?.actionStatus === 'done' &&
        /replicas \d+ → \d+/.test(r.detail) &&
        !/HTTP 403|forbidden/i.test(`${r.detail} ${stderr}`);
      return { ok, seen: `${report.errors.join('; ')} ${r?.actionStatus} ${r?.detail}` };
    }

    it('with all of them the probe passes; without any one it fails', async () => {
      const role = cluster.rbac.roles.find((x) => x.role.metadata.name === 'aiops-healer')!;
      const rules = role.role.rules!;
      const argo = rules
        .map((r, i) => [r, i] as const)
        .filter(([r]) => r.apiGroups.includes('argoproj.io'));
      expect(argo.map(([r]) => `${r.resources.join(',')} ${r.verbs.join(',')}`)).toEqual([
        // watch: the target informer (kube.watchTargets, on by default); refused, it is logged
        // as an HTTP 403 and the healer lists every cycle, which the probe counts as a failure.
        'rollouts get,list,watch,patch',
        'rollouts/scale get,patch',
      ]);
      const all = await probe();
      expect(all.ok ? 'ok' : all.seen).toBe('ok');
      const unneeded: string[] = [];
      try {
        for (const [rule, i] of argo)
          for (const verb of rule.verbs) {
            const without: PolicyRule[] = rules
              .map((r, j) => (j === i ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r))
              .filter((r) => r.verbs.length > 0);
            await cluster.setRoleRules('aiops-healer', without);
            const p = await probe();
            if (p.ok) unneeded.push(`${rule.resources.join(',')} ${verb}: ${p.seen}`);
          }
      } finally {
        await cluster.setRoleRules('aiops-healer', rules);
      }
      expect(unneeded).toEqual([]);
    }, 400_000);
  });
});
