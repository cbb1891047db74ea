import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, startProcess, waitForHttp, type ManagedProcess } from '@aiops/simulator/testing';
import { KubeApiError } from '@aiops/simulator/agent/kubeClient';
import { ROOT } from '../stack/index.js';
import {
  HEALER,
  startRealCluster,
  UNBOUNDED_BUDGETS,
  type PolicyRule,
  type RealCluster,
} from './realCluster.js';

const run = promisify(execFile);

// The healer's Role from k8s/base, proved against the real RBAC authorizer: the healer, running as
// its own ServiceAccount, carries out every kind of action with it (enough), and taking any one
// verb out of it makes one of those runs fail (no more). Which verbs each action uses is in
// docs/security.md; this suite keeps that table honest.
//
// Probes: `healer check` (one cycle; it acts at once) on four deployments, each annotated to take
// one rung at risk threshold 0 — restart + scale by the Deployment's scale subresource, restart +
// scale through an HPA, cache clear through pods/proxy, rollback — and the healer service taking
// and renewing its leader Lease.
//
// The Role's argoproj.io rules (Argo Rollouts) are proved verb by verb in rollout.cluster.test.ts,
// which installs the Rollouts CRD and plays the Argo controller's part; here the CRD is absent,
// so the healer's Rollout list answers 404 (no Rollouts) and those rules are left in place.

const CLI = join(ROOT, 'healer', 'dist', 'src', 'cli.js');
const MAIN = join(ROOT, 'healer', 'dist', 'src', 'main.js');
const BACKEND = join(ROOT, 'backend', 'dist', 'src', 'main.js');

const TARGETS = [
  { namespace: 'prod', name: 'checkout', ladder: 'restart_scale', replicas: 3 },
  { namespace: 'prod', name: 'cart', ladder: 'restart_scale', hpaMin: 2 },
  { namespace: 'prod', name: 'payments', ladder: 'cache_clear_restart', replicas: 3 },
  { namespace: 'dev', name: 'api', ladder: 'rollback', replicas: 2 },
] as const;

interface CheckReport {
  rows: {
    namespace: string;
    name: string;
    decision: string;
    actionStatus?: string;
    detail: string;
  }[];
  errors: string[];
}

/** The healer's log lines at warn level or above (pino JSON: level ≥ 40), e.g. a refused call. */
function warnLines(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as { level?: number; msg?: string; err?: unknown };
      } catch {
        return {};
      }
    })
    .filter((e) => (e.level ?? 0) >= 40)
    .map((e) => `log: ${e.msg} ${JSON.stringify(e.err ?? '').slice(0, 300)}`);
}

interface ProbeResult {
  ok: boolean;
  why: string;
  /** What the healer reported, for a failure message. */
  seen?: string;
}

describe("the healer's Role against the real authorizer", () => {
  let cluster: RealCluster;
  let backend: ManagedProcess;
  let backendUrl: string;
  let dir: string;
  let configFile: string;
  /** Each healer Role's name and its full rules, as the manifests render them. */
  let fullRoles: { name: string; rules: PolicyRule[] }[];
  const admin = () => cluster.plane.admin;

  beforeAll(async () => {
    cluster = await startRealCluster();
    fullRoles = cluster.rbac.roles.map((r) => ({
      name: r.role.metadata.name,
      rules: r.role.rules!,
    }));
    dir = await mkdtemp(join(tmpdir(), 'aiops-rbac-'));
    configFile = join(dir, 'healer.json');
    await writeFile(
      configFile,
      JSON.stringify({
        budgets: UNBOUNDED_BUDGETS,
        leader: { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 },
        // Every target is made "at risk" at once (threshold 0) to call every action: that is
        // what the fleet guard holds back, so it is widened here (its own tests keep defaults).
        fleet: { maxAtRisk: 100, maxFraction: 1 },
      }),
    );
    const port = await freePort();
    backend = startProcess(process.execPath, [BACKEND], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    backendUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${backendUrl}/readyz`, 60_000);
    // A second release of dev/api, so a rollback always has an earlier one to go to.
    await admin().request(
      'PATCH',
      '/apis/apps/v1/namespaces/dev/deployments/api',
      {
        spec: {
          template: { spec: { containers: [{ name: 'api', image: 'registry.local/api:0.9.5' }] } },
        },
      },
      'application/strategic-merge-patch+json',
    );
    for (const t of TARGETS)
      await admin().request(
        'PATCH',
        `/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`,
        { metadata: { annotations: { 'aiops.io/ladder': t.ladder, 'aiops.io/threshold': '0' } } },
        'application/merge-patch+json',
      );
  }, 240_000);

  afterAll(async () => {
    await backend?.stop();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const env = async (extra: Record<string, string> = {}) => ({
    ...process.env,
    KUBECONFIG: await cluster.healerKubeconfig(),
    HEALER_CONFIG_FILE: configFile,
    HEALER_NAMESPACES: cluster.namespaces.join(','),
    HEALER_FEATURE_SOURCE: 'simulator',
    SIMULATOR_URL: cluster.agentUrl,
    BACKEND_URL: backendUrl,
    HEALER_CACHE_CLEAR_METHOD: 'proxy',
    HEALER_SCALE_STEP: '1',
    POD_NAMESPACE: cluster.home,
    POD_NAME: 'aiops-healer-rbac',
    LOG_LEVEL: 'info',
    ...extra,
  });

  /** Puts the targets back: no heal state, first replica counts, the HPA's own minimum. */
  async function reset(): Promise<void> {
    for (const t of TARGETS) {
      const path = `/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`;
      await admin().request(
        'PATCH',
        path,
        {
          metadata: {
            annotations: { 'aiops.io/heal-state': null, 'aiops.io/heal-attempt': null },
          },
          ...('replicas' in t ? { spec: { replicas: t.replicas } } : {}),
        },
        'application/merge-patch+json',
      );
      if ('hpaMin' in t)
        await admin().request(
          'PATCH',
          `/apis/autoscaling/v2/namespaces/${t.namespace}/horizontalpodautoscalers/${t.name}`,
          {
            metadata: { annotations: { 'aiops.io/original-min-replicas': null } },
            spec: { minReplicas: t.hpaMin },
          },
          'application/merge-patch+json',
        );
    }
  }

  /** One `healer check` cycle as the ServiceAccount: ok when every target's rung was done cleanly. */
  async function checkProbe(): Promise<ProbeResult> {
    await reset();
    const r = await run(process.execPath, [CLI, 'check', '--json'], {
      cwd: ROOT,
      env: await env(),
      maxBuffer: 16 << 20,
    }).catch((e: { code?: number; stdout?: string; stderr?: string }) => ({
      stdout: e.stdout ?? '',
      stderr: `${e.stderr ?? ''}\n(exit ${e.code})`,
    }));
    let report: CheckReport;
    try {
      report = JSON.parse(r.stdout) as CheckReport;
    } catch {
      return { ok: false, why: `no report: ${r.stderr.slice(-1500)}` };
    }
    const problems = [
      ...report.errors,
      ...TARGETS.flatMap((t) => {
        const row = report.rows.find((x) => x.namespace === t.namespace && x.name === t.name);
        // A rung is two calls (restart + scale, cache clear + restart): the row can say `done`
        // while one part was refused, so its detail is read too.
        return row?.actionStatus === 'done' &&
          row.decision === t.ladder &&
          !/HTTP 403|forbidden/i.test(row.detail)
          ? []
          : [
              `${t.namespace}/${t.name}: ${row ? `${row.decision} ${row.actionStatus} ${row.detail}` : 'no row'}`,
            ];
      }),
      ...warnLines(r.stderr),
    ];
    const seen = TARGETS.map((t) => {
      const row = report.rows.find((x) => x.namespace === t.namespace && x.name === t.name);
      return `${t.namespace}/${t.name}: ${row?.actionStatus} ${row?.detail}`;
    }).join(' | ');
    return { ok: problems.length === 0, why: problems.join('; '), seen };
  }

  /**
   * The healer service as the ServiceAccount: ok when it takes its Lease and renews it cleanly,
   * and a silence is stored (the ConfigMap created) and expired (replaced) through its API.
   */
  async function serviceProbe(): Promise<ProbeResult> {
    const gone = (err: unknown): void => {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    };
    await admin()
      .request('DELETE', `/apis/coordination.k8s.io/v1/namespaces/${cluster.home}/leases/${HEALER}`)
      .catch(gone);
    await admin()
      .request('DELETE', `/api/v1/namespaces/${cluster.home}/configmaps/${HEALER}-silences`)
      .catch(gone);
    const port = await freePort();
    const healer = startProcess(process.execPath, [MAIN], {
      cwd: ROOT,
      env: await env({
        PORT: String(port),
        HEALER_SCHEDULE: '0 0 1 1 *',
        HEALER_API_TOKEN: 'rbac-probe-token-0123456789',
        HEALER_LEADER_ELECTION: 'true',
      }),
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000);
      // Long enough for the first acquisition and a few renewals (retry period 1 s).
      await new Promise((r) => setTimeout(r, 6_000));
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const leader = /^aiops_healer_leader(?:\{[^}]*\})? (\d)/m.exec(metrics)?.[1];
      const api = async (method: string, path: string, body?: unknown): Promise<string> => {
        const r = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: {
            authorization: 'Bearer rbac-probe-token-0123456789',
            'content-type': 'application/json',
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const text = await r.text();
        return r.ok ? text : `${method} ${path}: ${r.status} ${text.slice(0, 300)}`;
      };
      const created = await api('POST', '/api/silences', {
        namespace: 'dev',
        name: 'api',
        reason: 'rbac probe',
        durationMs: 60_000,
      });
      const id =
        (/^\{/.test(created) ? (JSON.parse(created) as { id?: string }).id : undefined) ?? '';
      const expired = id ? await api('DELETE', `/api/silences/${id}`) : '';
      const problems = [
        ...(leader === '1' ? [] : [`aiops_healer_leader ${leader ?? 'missing'}`]),
        ...(id ? [] : [created]),
        ...(/^\{/.test(expired) ? [] : [expired]),
        ...warnLines(healer.output()),
      ];
      return { ok: problems.length === 0, why: problems.join('; ') };
    } finally {
      await healer.stop(8_000);
    }
  }

  // The kill switch's `get` is proved by either probe; the silences' verbs by the service's.
  const probeFor = (rule: PolicyRule) =>
    rule.apiGroups.includes('coordination.k8s.io') || rule.resources.includes('configmaps')
      ? serviceProbe
      : checkProbe;

  const restoreAll = async (): Promise<void> => {
    for (const r of fullRoles) await cluster.setRoleRules(r.name, r.rules);
  };

  it('with the Roles from k8s/base and the cache-clear component, every action and the leader election succeed', async () => {
    await restoreAll();
    expect(await checkProbe()).toMatchObject({ ok: true, why: '' });
    expect(await serviceProbe()).toEqual({ ok: true, why: '' });
  });

  it('without any single verb of those Roles, an action or the leader election fails', async () => {
    const unneeded: string[] = [];
    for (const role of fullRoles) {
      for (const [i, rule] of role.rules.entries())
        for (const verb of rule.apiGroups.includes('argoproj.io') ? [] : rule.verbs) {
          const rules = role.rules
            .map((r, j) => (j === i ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r))
            .filter((r) => r.verbs.length > 0);
          await cluster.setRoleRules(role.name, rules);
          const result = await probeFor(rule)();
          if (result.ok)
            unneeded.push(
              `${role.name}: ${rule.apiGroups.join(',') || 'core'} ${rule.resources.join(',')} ${verb} (healer: ${result.seen ?? 'leader'})`,
            );
        }
      await cluster.setRoleRules(role.name, role.rules);
    }
    expect(unneeded).toEqual([]);
  }, 600_000);
});
