import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DeploymentDetail, HealAction } from '@aiops/healer/api/types';
import { startStack, type RunningStack } from '../stack/index.js';
import {
  healerDetail,
  healerStatuses,
  injectFault,
  keyOf,
  realActions,
  rolledOut,
  type InjectedFault,
  type Target,
} from '../stack/cluster.js';
import { startRealCluster, type RealCluster } from './realCluster.js';

// The scenario matrix on a real control plane: kube-apiserver + kube-controller-manager built
// from source, the simulator as the node agent (same fault models as the fake API), a real
// Prometheus scraping the agent's kube-state-metrics/cAdvisor/app metrics, the backend, and the
// healer running as itself with its ServiceAccount token and the Role from k8s/base. Restarts,
// scale-ups, cache clears (pods/proxy through the apiserver) and rollbacks all go through the real
// authorizer and the real deployment controller.
//
// A scenario is one row; beside them, a paused deployment (`kubectl rollout pause`) in a crash
// loop is held: no action, one `AutoHealHeld`. An Argo Rollout target's restart, scale, rollback
// and pause are proved in rollout.cluster.test.ts (no Argo controller runs here, so that test
// plays its part and does not run the fault-driven matrix against a Rollout).

interface Scenario {
  name: string;
  target: Target;
  kind: string;
  params?: Record<string, number>;
  curedBy: Exclude<HealAction, 'page'>;
  /** Per-deployment settings (the healer's `aiops.io/*` annotations). */
  annotations?: Record<string, string>;
  /** What must hold in the real cluster once the healer reports the recovery. */
  check?: (
    c: RealCluster,
    before: DeploymentObject,
    after: DeploymentObject,
  ) => Promise<void> | void;
}

interface DeploymentObject {
  metadata: { annotations?: Record<string, string>; generation: number };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  status?: { availableReplicas?: number; observedGeneration?: number };
}

interface ReplicaSetList {
  items: {
    metadata: {
      name: string;
      annotations?: Record<string, string>;
      ownerReferences?: { name: string }[];
    };
    spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  }[];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'crash loop → restart',
    target: { namespace: 'dev', name: 'api' },
    kind: 'crash_loop',
    curedBy: 'restart_scale',
  },
  {
    name: 'bad release → rollback through the real deployment controller',
    target: { namespace: 'prod', name: 'payments' },
    kind: 'bad_release',
    curedBy: 'rollback',
    async check(c, before, after) {
      const image = (d: DeploymentObject) => d.spec.template.spec.containers[0]!.image;
      expect(image(after)).toBe(image(before));
      // The real controller revived the first release's ReplicaSet at a new revision.
      const rss = await c.plane.admin.request<ReplicaSetList>(
        'GET',
        '/apis/apps/v1/namespaces/prod/replicasets',
      );
      const mine = rss.items.filter((r) => r.metadata.ownerReferences?.[0]?.name === 'payments');
      const live = mine.filter((r) => r.spec.replicas > 0);
      expect(live.map((r) => r.spec.template.spec.containers[0]!.image)).toEqual([image(before)]);
      const revision = Number(live[0]!.metadata.annotations?.['deployment.kubernetes.io/revision']);
      expect(revision).toBeGreaterThan(2);
    },
  },
  {
    name: 'traffic spike → scale',
    target: { namespace: 'prod', name: 'checkout' },
    kind: 'traffic_spike',
    curedBy: 'restart_scale',
    annotations: { 'aiops.io/scale-step': '6' },
    async check(c, before, after) {
      // Scaled up by the step through the real scale subresource, and given back once it
      // recovered (#13): the deployment ends where it started.
      const events = await c.plane.admin.request<{
        items: { reason?: string; message?: string; involvedObject: { name?: string } }[];
      }>('GET', '/api/v1/namespaces/prod/events');
      const mine = events.items.filter((e) => e.involvedObject.name === 'checkout');
      const up = before.spec.replicas + 6;
      expect(
        mine.some(
          (e) =>
            e.reason === 'AutoHealRestart' &&
            e.message?.includes(`replicas ${before.spec.replicas} → ${up}`),
        ),
      ).toBe(true);
      expect(mine.map((e) => e.reason)).toContain('AutoHealScaleReturned');
      expect(after.spec.replicas).toBe(before.spec.replicas);
    },
  },
  {
    name: 'poisoned cache → cache clear through pods/proxy',
    target: { namespace: 'prod', name: 'cart' },
    kind: 'poisoned_cache',
    curedBy: 'cache_clear_restart',
  },
];

const POLL_MS = 500;
const DEADLINE_MS = 6 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Observed {
  fault: InjectedFault;
  before: DeploymentObject;
  after?: DeploymentObject;
  detail?: DeploymentDetail;
  error?: string;
}

/** Paused by a human before its crash loop starts: the healer must keep its hands off. */
const PAUSED: Target = { namespace: 'dev', name: 'web' };

describe('scenario matrix on a real control plane (healer as its ServiceAccount)', () => {
  let cluster: RealCluster;
  let stack: RunningStack;
  const observed = new Map<string, Promise<Observed>>();
  let pausedBefore: DeploymentObject;

  const getDeployment = (t: Target) =>
    cluster.plane.admin.request<DeploymentObject>(
      'GET',
      `/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`,
    );

  async function follow(
    s: Scenario,
    fault: InjectedFault,
    before: DeploymentObject,
  ): Promise<Observed> {
    const o: Observed = { fault, before };
    try {
      for (;;) {
        const d = (await healerStatuses(stack)).find(
          (x) => x.namespace === s.target.namespace && x.name === s.target.name,
        );
        if (
          d?.lastAction &&
          !d.lastAction.dryRun &&
          d.state === 'healthy' &&
          (await rolledOut(stack, s.target))
        )
          break;
        if (Date.now() > fault.at + DEADLINE_MS) {
          o.error = `${keyOf(s.target)}: not recovered within ${DEADLINE_MS / 1000} s of ${s.kind} (state ${d?.state}, step ${d?.step}, risk ${d?.risk})`;
          break;
        }
        await sleep(POLL_MS);
      }
      o.detail = await healerDetail(stack, s.target);
      o.after = await getDeployment(s.target);
    } catch (err) {
      o.error = `${keyOf(s.target)}: ${String(err)}`;
    }
    return o;
  }

  beforeAll(async () => {
    cluster = await startRealCluster();
    stack = await startStack({
      cluster: {
        kubeconfig: await cluster.healerKubeconfig(),
        simulatorUrl: cluster.agentUrl,
        podNamespace: cluster.home,
        namespaces: cluster.namespaces,
      },
      healerConfig: {
        // The matrix injects its faults at once, one per deployment: that is what the fleet
        // guard holds back, so it is widened here (e2e's fleet-wide stack runs its defaults).
        fleet: { maxAtRisk: 10, maxFraction: 1 },
        // 2 s cycles on a shared 2-core box: an assessment may be a few seconds old when acted on.
        maxAssessmentAgeMs: 10_000,
        // The rollback row is about the real deployment controller's revisions; the approval
        // gate production namespaces put on rollback by default is tested in healer/test/humans.
        approvals: { prodGates: { rollback: 'auto' } },
        budgets: {
          perDeployment: { maxActionsPerHour: 20, cooldownSeconds: 5 },
          global: { maxConcurrentHeals: 10, maxRollbacksPerHour: 5, maxScaleUpsPerHour: 30 },
        },
      },
    });
    // Prometheus needs the feature window's worth of scrapes before the rates mean anything.
    await sleep(35_000);
    for (const s of SCENARIOS) {
      if (s.annotations)
        await cluster.plane.admin.request(
          'PATCH',
          `/apis/apps/v1/namespaces/${s.target.namespace}/deployments/${s.target.name}`,
          { metadata: { annotations: s.annotations } },
          'application/merge-patch+json',
        );
      const before = await getDeployment(s.target);
      const fault = await injectFault(stack, s.target, s.kind, s.params);
      observed.set(s.name, follow(s, fault, before));
    }
    await cluster.plane.admin.request(
      'PATCH',
      `/apis/apps/v1/namespaces/${PAUSED.namespace}/deployments/${PAUSED.name}`,
      { spec: { paused: true } },
      'application/merge-patch+json',
    );
    pausedBefore = await getDeployment(PAUSED);
    await injectFault(stack, PAUSED, 'crash_loop');
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await cluster?.stop();
  }, 60_000);

  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    '%s',
    async (_name, s) => {
      const o = await observed.get(s.name)!;
      const healer = stack.processes
        .find((p) => p.name === 'healer')
        ?.output()
        .slice(-3000);
      expect({ error: o.error, healer: o.error ? healer : undefined }).toEqual({
        error: undefined,
        healer: undefined,
      });
      const actions = realActions(o.detail!);
      expect(actions.map((a) => a.action)).toContain(s.curedBy);
      // Nothing the healer did was refused by the apiserver (a missing verb fails here).
      expect(actions.filter((a) => /HTTP 403|forbidden/i.test(a.message))).toEqual([]);
      await s.check?.(cluster, o.before, o.after!);
    },
    DEADLINE_MS + 60_000,
  );

  it('a paused deployment in a crash loop: held with one AutoHealHeld, nothing written', async () => {
    const reasons = async (): Promise<string[]> =>
      (
        await cluster.plane.admin.request<{
          items: { reason?: string; message?: string; involvedObject: { name?: string } }[];
        }>('GET', `/api/v1/namespaces/${PAUSED.namespace}/events`)
      ).items
        .filter((e) => e.involvedObject.name === PAUSED.name && e.reason?.startsWith('AutoHeal'))
        .map((e) => `${e.reason}: ${e.message ?? ''}`);
    // Every other row has run its course: the healer saw this one at risk all that time.
    await Promise.all(observed.values());
    const deadline = Date.now() + 120_000;
    while (!(await reasons()).some((r) => r.startsWith('AutoHealHeld')) && Date.now() < deadline)
      await sleep(POLL_MS);
    const seen = await reasons();
    expect(seen.filter((r) => r.startsWith('AutoHealHeld'))).toEqual([
      expect.stringMatching(/spec\.paused=true.*a human is working on it/),
    ]);
    expect(seen.filter((r) => /^AutoHeal(Restart|CacheClear|Rollback)/.test(r))).toEqual([]);
    const after = await getDeployment(PAUSED);
    expect(after.spec).toEqual(pausedBefore.spec);
    expect(after.metadata.generation).toBe(pausedBefore.metadata.generation);
  });

  it('the busy deployment and the unwatched one were left alone', async () => {
    await Promise.all(observed.values());
    for (const t of [
      { namespace: 'prod', name: 'search' },
      { namespace: 'dev', name: 'batch-report' },
    ]) {
      const d = await getDeployment(t);
      expect(d.metadata.annotations?.['aiops.io/heal-state']).toBeUndefined();
      expect(d.metadata.generation).toBe(1);
    }
  });
});
