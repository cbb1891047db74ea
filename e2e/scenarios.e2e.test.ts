import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeploymentDetail, HealAction } from '@aiops/healer/api/types';
import {
  ROOT,
  firstActionTargetMs,
  isAlive,
  isListening,
  startStack,
  type RunningStack,
} from './stack/index.js';
import { diurnalFactor } from '@aiops/simulator';
import { approve, createSilence, optIn, pendingApprovals } from './stack/humans.js';
import {
  annotateDeployment,
  blockTexts,
  createWatchedDeployment,
  deleteFault,
  deploymentEvents,
  describeTarget,
  getDeployment,
  getHpa,
  healerDetail,
  healerStatuses,
  injectFault,
  keyOf,
  realActions,
  rolledOut,
  simulatorPods,
  slackFor,
  type InjectedFault,
  type Target,
} from './stack/cluster.js';

// The whole loop with real processes: simulator (no demo faults) → real Prometheus (1 s scrape) →
// healer (every 2 s, 30 s window, N = 2) → backend /predict → actions on the simulator → Events,
// Slack (the receiver), status API. One fault per deployment, all injected at once; each scenario
// is followed on its own deployment until it is cured (or pages a human), then asserted.

const POLL_MS = 500;
/** From the fault to the end of its scenario (cure + recovery, or "needs attention"). */
const SCENARIO_DEADLINE_MS = 5 * 60_000;
/** Cycles watched after "needs attention" to check that nothing more happens. */
const QUIET_CYCLES = 6;

interface Scenario {
  name: string;
  target: Target;
  kind: string;
  params?: Record<string, number>;
  /** The rung that cures it; undefined: the ladder runs out and a human is paged. */
  curedBy?: Exclude<HealAction, 'page'>;
  /** Remove the fault once the first action has rolled out every pod (see the memory leak). */
  endsAfterRestart?: boolean;
  /** Per-deployment overrides (the healer's documented `aiops.io/*` annotations). */
  annotations?: Record<string, string>;
  /** The rungs taken, when not the ladder up to the cure (the change-aware ladder). */
  steps?: Exclude<HealAction, 'page'>[];
  /** A gated rung: approved through the healer's API (the dashboard's button) once requested. */
  approve?: boolean;
}

const LADDER: Exclude<HealAction, 'page'>[] = ['restart_scale', 'cache_clear_restart', 'rollback'];
const EVENT_REASON: Record<HealAction, string> = {
  restart_scale: 'AutoHealRestart',
  cache_clear_restart: 'AutoHealCacheClear',
  rollback: 'AutoHealRollback',
  page: 'AutoHealNeedsAttention',
};

const SCENARIOS: Scenario[] = [
  // checkout runs 3 replicas; a 4× spike needs ≳ 12 pods' worth of CPU, so its scale step is 6
  // (per-deployment annotation) and one scale-up is enough: 9 pods at ~55 % CPU each. The spike is
  // 4× the traffic of a mean hour whatever the hour the run starts (see BUSY_LOAD): at 17–18 UTC
  // the simulator's diurnal trough (0.75) made a plain 4× only 3× the mean, 5xx at 9 %, and risk
  // sat at 0.78–0.80 below the 0.8 entry for the whole run.
  {
    name: 'traffic spike',
    target: { namespace: 'prod', name: 'checkout' },
    kind: 'traffic_spike',
    params: { factor: Number((4 / diurnalFactor(Date.now())).toFixed(3)) },
    curedBy: 'restart_scale',
    annotations: { 'aiops.io/scale-step': '6' },
  },
  // The simulator's leak persists by design: fresh containers leak at the same rate, and the
  // growth feature (a deriv over the 30 s window) sees it again 15–30 s after they start, which
  // races the healer's 15 s judgement. A real leak takes hours to come back after a restart; to
  // model that, the fault is removed once the healer's restart has replaced every pod (never
  // before, so only the restart can have cleared the leaking containers).
  {
    name: 'memory leak',
    target: { namespace: 'dev', name: 'web' },
    kind: 'memory_leak',
    curedBy: 'restart_scale',
    endsAfterRestart: true,
  },
  {
    name: 'crash loop',
    target: { namespace: 'dev', name: 'api' },
    kind: 'crash_loop',
    curedBy: 'restart_scale',
  },
  {
    name: 'poisoned cache',
    target: { namespace: 'prod', name: 'cart' },
    kind: 'poisoned_cache',
    curedBy: 'cache_clear_restart',
  },
  // Right after its rollout: the change-aware ladder rolls back first (no restart that would hide
  // it), and in prod the rollback waits for a human's approval (given through the API).
  {
    name: 'bad release (approved rollback)',
    target: { namespace: 'prod', name: 'payments' },
    kind: 'bad_release',
    curedBy: 'rollback',
    steps: ['rollback'],
    approve: true,
  },
  { name: 'incurable', target: { namespace: 'dev', name: 'inventory' }, kind: 'incurable' },
];

/**
 * Silenced before its crash loop: scored and shown at risk, never acted on. The sample's batch job,
 * opted in by label (no new pods: the seeded signals of the others stay as they were).
 */
const QUIET: Target = { namespace: 'dev', name: 'batch-report' };

/**
 * Busy but healthy for the whole run: its load raised 5 % above the sample's ~75 % CPU, to ~80 %.
 * (At +15 % the noise took pods past their CPU limit, where the simulator sheds up to 3 % 5xx:
 * overloaded, not healthy — the model rightly called that at risk.)
 */
const BUSY: Target = { namespace: 'prod', name: 'search' };
/**
 * The simulator's traffic swings ±25 % over the day (its clock is the wall clock), so a fixed load
 * factor is ~80 % CPU at one hour and over the limit at another: the factor is 1.05 at the hour it
 * was tuned (diurnal factor 1.23, 04:18 UTC) and scaled by the hour the run starts, keeping the
 * same absolute load whenever CI runs.
 */
const BUSY_LOAD = { factor: Number(((1.05 * 1.23) / diurnalFactor(Date.now())).toFixed(3)) };

interface Observed {
  fault: InjectedFault;
  firstActionAt?: number;
  /** Poll time at which the status API showed it healthy again after its heal. */
  recoveredAt?: number;
  needsAttentionAt?: number;
  /** When the test removed an `endsAfterRestart` fault. */
  faultRemovedAt?: number;
  /** A gated rung: when its approval was requested and when the test approved it. */
  approvalRequestedAt?: number;
  approvedAt?: number;
  /** The heal state read once the healer reported the recovery (undefined: none left). */
  healStateAfter?: { phase: string; attempt: number; badReleases?: string[] };
  /** `spec.replicas` (or, with an HPA, its minReplicas) before the fault and after recovery. */
  scaleBefore?: number;
  /** The highest scale seen while healing. */
  scalePeak?: number;
  scaleAfter?: number;
  detail?: DeploymentDetail;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const healState = (a: Record<string, string> = {}): Observed['healStateAfter'] => {
  const raw = a['aiops.io/heal-state'];
  return raw ? (JSON.parse(raw) as Observed['healStateAfter']) : undefined;
};
/** The episode is over: no heal state, or one that only remembers bad releases. */
const episodeClosed = (h: Observed['healStateAfter']): boolean =>
  !h || (h.phase === 'healthy' && h.attempt === 0);
/** What a scale-up changes: the HPA's minReplicas when one targets it, else spec.replicas. */
async function scaleOf(stack: RunningStack, t: Target): Promise<number> {
  const hpa = await getHpa(stack, t);
  return hpa ? hpa.spec.minReplicas : (await getDeployment(stack, t)).spec.replicas;
}

/**
 * Follows one scenario from its fault: records the first action, then waits for the recovery
 * (state healthy after an action) — reading the heal annotations and removing the fault right
 * then, so a fault that persists by design (a memory leak grows back) cannot start a second
 * episode — or, for the incurable one, for "needs attention".
 */
async function follow(stack: RunningStack, s: Scenario, fault: InjectedFault): Promise<Observed> {
  const o: Observed = { fault, scaleBefore: await scaleOf(stack, s.target) };
  const deadline = fault.at + SCENARIO_DEADLINE_MS;
  try {
    for (;;) {
      // the cheap list every poll (six followers at once); the detail only at the end
      const d = (await healerStatuses(stack)).find(
        (x) => x.namespace === s.target.namespace && x.name === s.target.name,
      );
      const now = Date.now();
      const acted = d?.lastAction !== undefined && !d.lastAction.dryRun;
      if (s.approve && !o.approvedAt) {
        const pending = (await pendingApprovals(stack)).find(
          (a) => a.namespace === s.target.namespace && a.name === s.target.name,
        );
        if (pending) {
          o.approvalRequestedAt = Date.parse(pending.requestedAt);
          await approve(stack, pending.id);
          o.approvedAt = Date.now();
        }
      }
      if (acted && s.curedBy)
        o.scalePeak = Math.max(o.scalePeak ?? 0, await scaleOf(stack, s.target));
      if (s.endsAfterRestart && acted && !o.faultRemovedAt && (await rolledOut(stack, s.target))) {
        await deleteFault(stack, fault.id);
        o.faultRemovedAt = Date.now();
      }
      if (d && s.curedBy && acted && d.state === 'healthy') {
        o.recoveredAt = now;
        const until = now + 15_000;
        do {
          o.healStateAfter = healState((await getDeployment(stack, s.target)).metadata.annotations);
          if (episodeClosed(o.healStateAfter)) break;
          await sleep(POLL_MS);
        } while (Date.now() < until);
        o.scaleAfter = await scaleOf(stack, s.target);
        if (!o.faultRemovedAt) await deleteFault(stack, fault.id);
        break;
      }
      if (d && !s.curedBy && d.state === 'needs_attention') {
        o.needsAttentionAt = now;
        break;
      }
      if (now > deadline) {
        o.error = `${keyOf(s.target)}: no ${s.curedBy ? 'recovery' : '"needs attention"'} within ${SCENARIO_DEADLINE_MS / 1000} s of the ${s.kind} fault (state ${d?.state}, step ${d?.step}, risk ${d?.risk})`;
        break;
      }
      await sleep(POLL_MS);
    }
    o.detail = await healerDetail(stack, s.target);
    const first = realActions(o.detail)[0];
    if (first) o.firstActionAt = Date.parse(first.at);
    return o;
  } catch (err) {
    o.error = `${keyOf(s.target)}: ${String(err)}`;
    return o;
  }
}

/** Every scenario's record, written to e2e/results.json once both stacks are done. */
const results: Record<string, unknown>[] = [];
let resultSettings: Record<string, unknown> | undefined;
let leftListening = false;
let busyRecord: Record<string, unknown> | undefined;

afterAll(async () => {
  await writeFile(
    join(ROOT, 'e2e', 'results.json'),
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        settings: resultSettings,
        scenarios: results,
        busyButHealthy: busyRecord,
        leftListening,
      },
      null,
      2,
    )}\n`,
  );
});

describe('end-to-end scenarios: real simulator, Prometheus, backend, healer, Slack receiver', () => {
  let stack: RunningStack;
  const observed = new Map<string, Promise<Observed>>();
  let busyCpu: number[] = [];
  let injectedAt = 0;
  let quietSilence: { id: string } | undefined;
  let quietFaultAt = 0;

  beforeAll(async () => {
    stack = await startStack({
      healerConfig: {
        // Six faults at once on one stack is what the fleet guard exists to hold back; here each
        // scenario is a deployment's own fault, so the guard is widened (the fleet-wide stack
        // below runs it with its defaults).
        fleet: { maxAtRisk: 10, maxFraction: 1 },
        // 2 s cycles on a shared 2-core box: an assessment may be a few seconds old when acted on
        maxAssessmentAgeMs: 10_000,
        budgets: {
          // six heals at once, three steps each, seconds apart: the production budgets would
          // (rightly) hold most of this back
          perDeployment: { maxActionsPerHour: 20, cooldownSeconds: 5 },
          global: { maxConcurrentHeals: 10, maxRollbacksPerHour: 5, maxScaleUpsPerHour: 30 },
        },
      },
    });
    await createWatchedDeployment(stack, { namespace: 'dev', name: 'inventory' });
    await optIn(stack, QUIET);
    quietSilence = await createSilence(stack, QUIET, 'e2e: a maintenance window', 3_600_000);
    for (const sc of SCENARIOS)
      if (sc.annotations) await annotateDeployment(stack, sc.target, sc.annotations);
    await injectFault(stack, BUSY, 'traffic_spike', BUSY_LOAD);

    // every watched deployment (the busy one already under its load) scored, conclusive and low
    // for three cycles in a row before any fault
    const watched = [...SCENARIOS.map((s) => keyOf(s.target)), keyOf(BUSY)];
    let calm = 0;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const statuses = await healerStatuses(stack).catch(() => []);
      const ok = watched.every((k) => {
        const d = statuses.find((x) => `${x.namespace}/${x.name}` === k);
        return d && d.risk !== null && d.risk < 0.5 && d.state === 'healthy';
      });
      calm = ok ? calm + 1 : 0;
      if (calm >= 3) break;
      if (Date.now() > deadline)
        throw new Error(
          `the cluster never looked healthy to the healer:\n${JSON.stringify(
            statuses.map((d) => [
              `${d.namespace}/${d.name}`,
              d.state,
              d.risk,
              d.inconclusiveReason,
            ]),
          )}\n${stack.processes
            .find((p) => p.name === 'healer')
            ?.output()
            .slice(-3000)}`,
        );
      await sleep(2_000);
    }

    injectedAt = Date.now();
    quietFaultAt = (await injectFault(stack, QUIET, 'crash_loop')).at;
    for (const s of SCENARIOS) {
      const fault = await injectFault(stack, s.target, s.kind, s.params);
      observed.set(s.name, follow(stack, s, fault));
    }
  }, 240_000);

  afterAll(async () => {
    const ports = stack?.ports ?? [];
    await stack?.stop();
    const settings = stack?.settings;
    resultSettings = settings && {
      ...settings,
      prometheusScrape: '1s',
      targetFaultToFirstActionMs: firstActionTargetMs(settings),
      target: 'feature window + (N + 1) healer cycles',
    };
    busyRecord = { deployment: keyOf(BUSY), load: BUSY_LOAD, cpuCoresPerPod: busyCpu };
    leftListening = leftListening || (await Promise.all(ports.map(isListening))).some(Boolean);
  }, 60_000);

  const targetMs = () => firstActionTargetMs(stack.settings);

  describe.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    it(
      s.curedBy
        ? `is cured by ${s.curedBy} (step ${LADDER.indexOf(s.curedBy) + 1}), announced, recorded and reset`
        : 'ends at "needs attention" and takes no further action',
      async () => {
        const o = await observed.get(s.name)!;
        const dump = async () => `${o.error ?? ''}\n${await describeTarget(stack, s.target)}`;
        const record: Record<string, unknown> = {
          scenario: s.name,
          fault: s.kind,
          deployment: keyOf(s.target),
          expectedStep: s.curedBy ? LADDER.indexOf(s.curedBy) + 1 : 'needs attention',
          faultToFirstActionMs: o.firstActionAt ? o.firstActionAt - o.fault.at : null,
          faultToRecoveryMs: o.recoveredAt ? o.recoveredAt - o.fault.at : null,
          faultToNeedsAttentionMs: o.needsAttentionAt ? o.needsAttentionAt - o.fault.at : null,
          ...(o.faultRemovedAt && { faultRemovedByTestAfterMs: o.faultRemovedAt - o.fault.at }),
          ...(s.approve && {
            faultToApprovalRequestMs: o.approvalRequestedAt
              ? o.approvalRequestedAt - o.fault.at
              : null,
            approvedAfterMs: o.approvedAt ? o.approvedAt - o.fault.at : null,
          }),
          scaleBefore: o.scaleBefore,
          scaleAfterRecovery: o.scaleAfter ?? null,
          targetFaultToFirstActionMs: targetMs(),
          passed: false,
        };
        record.metTarget =
          typeof record.faultToFirstActionMs === 'number' &&
          record.faultToFirstActionMs <= targetMs();
        results.push(record);
        if (o.error) throw new Error(await dump());

        const d = o.detail!;
        const acted = realActions(d);
        const events = await deploymentEvents(stack, s.target);
        const reasons = events
          .filter((e) => e.source?.component === 'aiops-healer')
          .map((e) => e.reason);
        const slack = slackFor(stack, s.target);
        try {
          const steps =
            s.steps ?? (s.curedBy ? LADDER.slice(0, LADDER.indexOf(s.curedBy) + 1) : LADDER);
          // the ladder climbed exactly to the curing rung, one attempt per rung
          expect(acted.map((a) => a.action)).toEqual(s.curedBy ? steps : [...steps, 'page']);
          record.actions = acted.map((a) => `${a.step}:${a.action}:${a.outcome}`);
          if (s.curedBy) {
            expect(acted.at(-1)).toMatchObject({ action: s.curedBy, outcome: 'cured' });
            for (const a of acted.slice(0, -1)) expect(a.outcome).toBe('not_cured');
            // Kubernetes Events: one per step taken, its judgement, and the recovery
            for (const a of steps)
              expect(reasons.filter((r) => r === EVENT_REASON[a])).toHaveLength(1);
            expect(reasons).toContain('AutoHealStepCured');
            expect(reasons).toContain('AutoHealRecovered');
            expect(reasons).not.toContain('AutoHealActionFailed');
            // the episode is closed after recovery (a rollback leaves only the bad release)
            expect(episodeClosed(o.healStateAfter)).toBe(true);
            if (s.curedBy === 'rollback') expect(o.healStateAfter?.badReleases).toHaveLength(1);
            else expect(o.healStateAfter).toBeUndefined();
            // what the scale-up added was given back
            expect({ scaleAfter: o.scaleAfter }).toEqual({ scaleAfter: o.scaleBefore });
            expect(d).toMatchObject({ state: 'healthy', step: 0 });
            // Slack: an action message per step (Block Kit: header, step field), then recovered
            for (const a of steps) {
              const i = LADDER.indexOf(a);
              const m = slack.find(
                (x) =>
                  /^:(hammer_and_wrench|arrow_double_up):/.test(x.text ?? '') &&
                  blockTexts(x).includes(`*Step*\n${i + 1} – `),
              );
              expect({ step: i + 1, action: a, found: Boolean(m) }).toEqual({
                step: i + 1,
                action: a,
                found: true,
              });
              expect(m!.blocks?.[0]).toMatchObject({ type: 'header' });
              expect(blockTexts(m!)).toContain(`*Deployment*\n${s.target.name}`);
              expect(blockTexts(m!)).toContain(`*Namespace*\n${s.target.namespace}`);
            }
            if (s.approve) {
              // asked with its evidence, approved, audited; the reason names the release change
              expect(reasons.slice(0, 2)).toEqual([
                'AutoHealApprovalRequested',
                'AutoHealApprovalGranted',
              ]);
              expect(slack.some((m) => m.text?.startsWith(':raising_hand:'))).toBe(true);
              expect(events.find((e) => e.reason === 'AutoHealRollback')?.message).toMatch(
                /image \S+: \S+ → \S+.*rollback first/,
              );
            }
            expect(slack.some((m) => m.text?.startsWith(':white_check_mark:'))).toBe(true);
            expect(slack.some((m) => m.text?.startsWith(':large_green_circle:'))).toBe(true);
            // the status API row: healthy again, its last action the cure
            const row = (await healerStatuses(stack)).find(
              (x) => x.namespace === s.target.namespace && x.name === s.target.name,
            );
            expect(row).toMatchObject({
              state: 'healthy',
              step: 0,
              lastAction: { action: s.curedBy, outcome: 'cured' },
            });
          } else {
            expect(acted.at(-1)?.action).toBe('page');
            expect(reasons).toContain('AutoHealNeedsAttention');
            // a deployment with a single release has nothing to roll back to: refused, saying why
            expect(
              events.find((e) => e.reason === 'AutoHealActionFailed' && /rollback/.test(e.message))
                ?.message,
            ).toMatch(/no previous release/);
            const row = (await healerStatuses(stack)).find(
              (x) => x.namespace === s.target.namespace && x.name === s.target.name,
            );
            expect(row).toMatchObject({ state: 'needs_attention', lastAction: { action: 'page' } });
            expect(d.state).toBe('needs_attention');
            const attention = slack.filter((m) => m.text?.startsWith(':rotating_light:'));
            expect(attention).toHaveLength(1);
            expect(blockTexts(attention[0]!)).toContain(`*Deployment*\n${s.target.name}`);
            // nothing more for a while: no action, no Event, no message
            const before = { actions: acted.length, events: reasons.length, slack: slack.length };
            await sleep(QUIET_CYCLES * stack.settings.cycleSeconds * 1_000);
            const after = await healerDetail(stack, s.target);
            const eventsAfter = (await deploymentEvents(stack, s.target)).filter(
              (e) => e.source?.component === 'aiops-healer',
            );
            expect({
              actions: realActions(after).length,
              events: eventsAfter.length,
              slack: slackFor(stack, s.target).length,
            }).toEqual(before);
            expect(after.state).toBe('needs_attention');
            // the healer's Events carry the step reasons in order
            expect(reasons.filter((r) => Object.values(EVENT_REASON).includes(r))).toEqual([
              ...LADDER.map((a) => EVENT_REASON[a]).filter((r) => reasons.includes(r)),
              'AutoHealNeedsAttention',
            ]);
          }
        } catch (err) {
          throw new Error(`${(err as Error).message}\n${await dump()}`, { cause: err });
        }
        record.passed = true;
      },
      SCENARIO_DEADLINE_MS + 60_000,
    );
  });

  it(
    'a silenced deployment in a crash loop is scored and shown at risk, never acted on',
    async () => {
      // Twice the time a first action takes: an unsilenced crash loop has been restarted by now.
      const until = quietFaultAt + 2 * targetMs();
      let maxRisk = 0;
      while (Date.now() < until) {
        const row = (await healerStatuses(stack)).find((x) => keyOf(x) === keyOf(QUIET));
        maxRisk = Math.max(maxRisk, row?.risk ?? 0);
        await sleep(POLL_MS);
      }
      const d = await healerDetail(stack, QUIET);
      // The other scenarios may have taken longer than the window: the trend covers it.
      maxRisk = Math.max(maxRisk, ...d.trend.map((p) => p.risk));
      const reasons = (await deploymentEvents(stack, QUIET))
        .filter((e) => e.source?.component === 'aiops-healer')
        .map((e) => e.reason);
      const silences = (await (await fetch(`${stack.healerUrl}/api/silences`)).json()) as Array<{
        id: string;
        holding: string[];
      }>;
      const metrics = await (await fetch(`${stack.healerUrl}/metrics`)).text();
      const record = {
        scenario: 'silenced crash loop',
        fault: 'crash_loop',
        deployment: keyOf(QUIET),
        watchedMs: Date.now() - quietFaultAt,
        maxRisk,
        actions: realActions(d).length,
        events: reasons,
        passed: false,
      };
      results.push(record);
      const dump = await describeTarget(stack, QUIET);
      expect({ maxRisk: maxRisk >= d.thresholds.high, dump }).toEqual({ maxRisk: true, dump });
      expect(realActions(d)).toEqual([]);
      expect(reasons).toEqual(['AutoHealSilenced']);
      expect(slackFor(stack, QUIET)).toEqual([]);
      expect(silences.find((x) => x.id === quietSilence?.id)?.holding).toEqual([keyOf(QUIET)]);
      expect(metrics).toMatch(/^aiops_healer_silences_active\{scope="deployment"\} 1$/m);
      record.passed = true;
    },
    SCENARIO_DEADLINE_MS,
  );

  it(
    'leaves the busy-but-healthy deployment alone for the whole run',
    async () => {
      await Promise.all(observed.values());
      const pods = (await simulatorPods(stack)).filter(
        (p) => p.namespace === BUSY.namespace && p.deployment === BUSY.name,
      );
      busyCpu = pods.map((p) => Math.round(p.signals.cpuUsageCores * 100) / 100);
      const d = await healerDetail(stack, BUSY);
      const events = (await deploymentEvents(stack, BUSY)).filter(
        (e) => e.source?.component === 'aiops-healer',
      );
      const record = {
        scenario: 'busy but healthy',
        deployment: keyOf(BUSY),
        runMs: Date.now() - injectedAt,
        cpuCoresPerPod: busyCpu,
        maxRisk: Math.max(...d.trend.map((p) => p.risk)),
        actions: d.actions.length,
        passed: false,
      };
      results.push(record);
      const dump = await describeTarget(stack, BUSY);
      // heavy: the pods average above 70 % of their 1-core CPU limit
      const meanCpu = busyCpu.reduce((a, c) => a + c, 0) / busyCpu.length;
      expect({ busy: meanCpu >= 0.7, dump }).toEqual({ busy: true, dump });
      expect({ actions: d.actions, events: events.map((e) => e.reason), dump }).toEqual({
        actions: [],
        events: [],
        dump,
      });
      expect(slackFor(stack, BUSY)).toEqual([]);
      expect(record.maxRisk).toBeLessThan(d.thresholds.high);
      expect(d.state).toBe('healthy');
      record.passed = true;
    },
    SCENARIO_DEADLINE_MS + 60_000,
  );

  it(
    'scale down: what restart + scale up added is given back after recovery',
    async () => {
      const done = await Promise.all(
        SCENARIOS.filter((s) => s.curedBy && (s.steps ?? LADDER).includes('restart_scale')).map(
          async (s) => [s, await observed.get(s.name)!] as const,
        ),
      );
      const record = {
        scenario: 'scale down after recovery',
        deployments: Object.fromEntries(
          done.map(([s, o]) => [
            keyOf(s.target),
            { before: o.scaleBefore, peak: o.scalePeak, afterRecovery: o.scaleAfter },
          ]),
        ),
        passed: false,
      };
      results.push(record);
      for (const [s, o] of done) {
        if (o.error) continue; // failed in its own test
        // every cured scenario climbed through restart + scale up: it added one (or its step)…
        expect({ d: keyOf(s.target), raised: (o.scalePeak ?? 0) > (o.scaleBefore ?? 0) }).toEqual({
          d: keyOf(s.target),
          raised: true,
        });
        // …and gave it back once recovered
        expect({ d: keyOf(s.target), after: o.scaleAfter }).toEqual({
          d: keyOf(s.target),
          after: o.scaleBefore,
        });
      }
      record.passed = true;
    },
    SCENARIO_DEADLINE_MS + 60_000,
  );

  it('stops every process it started and leaves nothing listening', async () => {
    await Promise.all(observed.values());
    const ports = stack.ports;
    const pids = stack.processes.map((p) => p.pid);
    await stack.stop();
    const listening = await Promise.all(ports.map(async (p) => [p, await isListening(p)] as const));
    expect(listening.filter(([, l]) => l)).toEqual([]);
    const alive = pids.filter(isAlive);
    expect(alive).toEqual([]);
  }, 60_000);
});

/**
 * The fleet guard with its defaults on a stack of its own: four of the six watched deployments
 * crash-loop at once. It is not them (a shared node pool, a bad base image): no action on any of
 * them, one grouped Slack message, one Event per deployment.
 */
describe('fleet-wide: a crash loop in 4 deployments at once', () => {
  let stack: RunningStack;
  const CRASHING: Target[] = [
    { namespace: 'dev', name: 'web' },
    { namespace: 'dev', name: 'api' },
    { namespace: 'prod', name: 'checkout' },
    { namespace: 'prod', name: 'payments' },
  ];
  const WATCHED: Target[] = [
    ...CRASHING,
    { namespace: 'prod', name: 'cart' },
    { namespace: 'prod', name: 'search' },
  ];

  beforeAll(async () => {
    // N = 4 cycles (8 s): the four crash loops cross the threshold within a few seconds of one
    // another; a deployment that reached N before the fourth went high would act first.
    stack = await startStack({ healer: { enterCycles: 4 } });
    const deadline = Date.now() + 120_000;
    let calm = 0;
    while (calm < 3) {
      const statuses = await healerStatuses(stack).catch(() => []);
      const ok = WATCHED.every((t) => {
        const d = statuses.find((x) => x.namespace === t.namespace && x.name === t.name);
        return d && d.risk !== null && d.risk < 0.5;
      });
      calm = ok ? calm + 1 : 0;
      if (Date.now() > deadline) throw new Error('the fleet stack never looked healthy');
      await sleep(2_000);
    }
  }, 240_000);

  afterAll(async () => {
    const ports = stack?.ports ?? [];
    await stack?.stop();
    leftListening = leftListening || (await Promise.all(ports.map(isListening))).some(Boolean);
  }, 60_000);

  it('takes zero actions and sends one grouped message, with one Event per deployment', async () => {
    const injectedAt = Date.now();
    for (const t of CRASHING) await injectFault(stack, t, 'crash_loop');
    const record: Record<string, unknown> = {
      scenario: 'fleet-wide crash loop',
      fault: 'crash_loop',
      deployments: CRASHING.map(keyOf),
      watched: WATCHED.length,
      passed: false,
    };
    results.push(record);
    const fleet = () =>
      stack.slack.messages().filter((m) => m.text?.startsWith(':octagonal_sign:'));
    const deadline = injectedAt + 120_000;
    while (fleet().length === 0 && Date.now() < deadline) await sleep(POLL_MS);
    record.faultToFleetHoldMs = fleet().length > 0 ? Date.now() - injectedAt : null;
    // held for another 30 s (15 cycles): still nothing done, nothing more said
    await sleep(30_000);
    const statuses = await healerStatuses(stack);
    const acted: string[] = [];
    const holds: Record<string, number> = {};
    for (const t of WATCHED) {
      const d = await healerDetail(stack, t);
      acted.push(...realActions(d).map((a) => `${keyOf(t)}:${a.action}`));
      holds[keyOf(t)] = (await deploymentEvents(stack, t)).filter(
        (e) => e.reason === 'AutoHealFleetHold',
      ).length;
    }
    const texts = stack.slack.messages().map((m) => m.text ?? '');
    Object.assign(record, {
      actions: acted,
      slackMessages: texts.length,
      fleetHoldEvents: holds,
      atRiskWhenChecked: statuses.filter((d) => d.risk !== null && d.risk >= 0.8).length,
    });
    const dump = `${texts.join('\n')}\n${stack.processes
      .find((p) => p.name === 'healer')
      ?.output()
      .slice(-3000)}`;
    expect({ acted, dump }).toEqual({ acted: [], dump });
    expect({ texts: texts.length, dump }).toEqual({ texts: 1, dump });
    expect(texts[0]).toMatch(
      /^:octagonal_sign: Fleet guard: \d deployments at risk together; no actions/,
    );
    expect(texts[0]).toMatch(/\d of 6 at risk .*cluster-wide: holding every action/);
    for (const t of CRASHING)
      expect({ d: keyOf(t), holds: holds[keyOf(t)] }).toEqual({ d: keyOf(t), holds: 1 });
    for (const t of WATCHED.filter((x) => !CRASHING.includes(x)))
      expect({ d: keyOf(t), holds: holds[keyOf(t)] }).toEqual({ d: keyOf(t), holds: 0 });
    record.passed = true;
  }, 240_000);
});
