import { describe, expect, it } from '@jest/globals';
import { workload } from './fixtures.js';
import { afterAction, decide, holdBack, topFeatures, type ActionOutcome } from './decide.js';
import {
  INITIAL_MEMORY,
  type Assessment,
  type HealMemory,
  type HealRules,
  type WorkloadView,
} from './types.js';

const RULES: HealRules = {
  high: 0.8,
  low: 0.5,
  enterCycles: 3,
  exitCycles: 2,
  stabilisationMs: 120_000,
  inconclusiveAlertMs: 600_000,
  ladder: ['restart_scale', 'cache_clear_restart', 'rollback', 'page'],
  dryRun: false,
  minSampleIntervalMs: 15_000,
  actionErrorLimit: 3,
  actionRetryBaseMs: 30_000,
  actionRetryMaxMs: 300_000,
  recoveryTimeoutMs: 1_800_000,
};
const T0 = 1_700_000_000_000;

const done = workload;
const scored = (risk: number, workload?: WorkloadView): Assessment => ({
  kind: 'scored',
  risk,
  level: 'critical',
  explanation: [{ feature: 'http_5xx_error_rate', value: 0.31, contribution: 0.42 }],
  features: {},
  imputed: [],
  ...(workload ? { workload } : {}),
});
const inconclusive = (
  reason = 'missing series for http_5xx_error_rate',
  workload?: WorkloadView,
): Assessment => ({
  kind: 'inconclusive',
  reason,
  ...(workload ? { workload } : {}),
});
/** The source's warm-up after a start: part of the deployment's own normal not read yet. */
const warming = (workload?: WorkloadView): Assessment => ({
  kind: 'inconclusive',
  reason: 'warming up: own-normal context not read yet',
  warming: true,
  ...(workload ? { workload } : {}),
});
const mem = (m: Partial<HealMemory>): HealMemory => ({ ...INITIAL_MEMORY, ...m });
/** A step taken; its rollout complete and settled for `rolloutDoneAt`. */
const stabilising = (m: Partial<HealMemory> = {}): HealMemory =>
  mem({
    phase: 'stabilising',
    step: 1,
    attempt: 1,
    stepStartedAt: T0 - 300_000,
    riskBefore: 0.93,
    episodeStartedAt: T0 - 600_000,
    ...m,
  });
const settled = (m: Partial<HealMemory> = {}): HealMemory =>
  stabilising({ rolloutDoneAt: T0 - 120_000, ...m });

type Row = [string, HealMemory, Assessment, Record<string, unknown>, Partial<HealMemory>];

describe('decide', () => {
  it.each<Row>([
    // healthy: hysteresis on entry
    ['healthy, low risk', mem({}), scored(0.1), { kind: 'none' }, { highStreak: 0, lowStreak: 1 }],
    ['healthy, 1st high cycle', mem({}), scored(0.93), { kind: 'none' }, { highStreak: 1 }],
    [
      'healthy, 2nd high cycle',
      mem({ highStreak: 1 }),
      scored(0.93),
      { kind: 'none' },
      { highStreak: 2 },
    ],
    [
      'healthy, Nth high cycle acts and binds the episode to the release',
      mem({ highStreak: 2 }),
      scored(0.93, done()),
      { kind: 'act', action: 'restart_scale', step: 1, attempt: 1, escalated: false },
      {
        phase: 'stabilising',
        step: 1,
        attempt: 1,
        stepStartedAt: T0,
        riskBefore: 0.93,
        episodeStartedAt: T0,
        release: 'r1',
      },
    ],
    [
      'boundary: risk == high counts',
      mem({ highStreak: 2 }),
      scored(0.8),
      { kind: 'act', step: 1 },
      {},
    ],
    [
      'boundary: just below high resets the streak',
      mem({ highStreak: 2 }),
      scored(0.7999),
      { kind: 'none' },
      { highStreak: 0 },
    ],
    [
      'boundary: risk == low is not "below low"',
      mem({}),
      scored(0.5),
      { kind: 'none' },
      { lowStreak: 0 },
    ],
    ['boundary: risk 1', mem({ highStreak: 2 }), scored(1), { kind: 'act' }, {}],
    ['boundary: risk 0', mem({}), scored(0), { kind: 'none' }, { lowStreak: 1 }],
    // hysteresis counts time, not calls
    [
      'a sample closer than minSampleIntervalMs does not extend the streak',
      mem({ highStreak: 2, lastSampleAt: T0 - 14_999 }),
      scored(0.93),
      { kind: 'none' },
      { highStreak: 2, lastSampleAt: T0 - 14_999 },
    ],
    [
      'boundary: a sample exactly minSampleIntervalMs later counts',
      mem({ highStreak: 2, lastSampleAt: T0 - 15_000 }),
      scored(0.93),
      { kind: 'act', step: 1 },
      { highStreak: 3, lastSampleAt: T0 },
    ],
    [
      'a quick contradicting sample still breaks the streak',
      mem({ highStreak: 2, lastSampleAt: T0 - 1_000 }),
      scored(0.1),
      { kind: 'none' },
      { highStreak: 0 },
    ],
    // inconclusive: never acts, never counts as healthy, breaks both streaks
    [
      'inconclusive holds',
      mem({ highStreak: 2 }),
      inconclusive(),
      { kind: 'inconclusive', alert: false },
      { highStreak: 0, inconclusiveSince: T0 },
    ],
    [
      'NaN risk is inconclusive',
      mem({ highStreak: 2 }),
      scored(Number.NaN),
      { kind: 'inconclusive', reason: 'risk is NaN' },
      { highStreak: 0, phase: 'healthy' },
    ],
    [
      'Infinity risk is inconclusive',
      mem({}),
      scored(Number.POSITIVE_INFINITY),
      { kind: 'inconclusive' },
      {},
    ],
    [
      'risk outside [0,1] is inconclusive',
      mem({ highStreak: 2 }),
      scored(1.5),
      { kind: 'inconclusive', reason: 'risk 1.5 outside [0, 1]' },
      {},
    ],
    [
      'stale data is inconclusive',
      mem({ highStreak: 2 }),
      inconclusive('stale sample for cpu_usage_pct (300 s old)'),
      { kind: 'inconclusive', reason: 'stale sample for cpu_usage_pct (300 s old)' },
      {},
    ],
    [
      'empty data is inconclusive',
      mem({ lowStreak: 1, phase: 'recovering', step: 1, attempt: 1 }),
      inconclusive('no series'),
      { kind: 'inconclusive' },
      { lowStreak: 0, phase: 'recovering' },
    ],
    [
      'inconclusive for long alerts once',
      mem({ inconclusiveSince: T0 - 600_000 }),
      inconclusive(),
      { kind: 'inconclusive', alert: true, sinceMs: 600_000 },
      { inconclusiveNotified: true },
    ],
    [
      'inconclusive alert not repeated',
      mem({ inconclusiveSince: T0 - 900_000, inconclusiveNotified: true }),
      inconclusive(),
      { kind: 'inconclusive', alert: false },
      {},
    ],
    [
      'inconclusive during stabilisation does not escalate, resets the judging',
      settled({ judgeHigh: 2 }),
      inconclusive(),
      { kind: 'inconclusive' },
      { phase: 'stabilising', step: 1, judgeHigh: undefined },
    ],
    [
      "inconclusive during a rollout still sees it complete (the cluster's own status)",
      stabilising(),
      inconclusive('no series', done()),
      { kind: 'inconclusive' },
      { rolloutDoneAt: T0 },
    ],
    // warming up (the source's bounded warm-up after a start): held, no streak, no alert
    [
      'warming up holds and breaks both streaks (a high streak from before the restart too)',
      mem({ highStreak: 2, lowStreak: 0 }),
      warming(),
      { kind: 'inconclusive', warming: true, alert: false, sinceMs: 0 },
      { highStreak: 0, lowStreak: 0, phase: 'healthy', step: 0, inconclusiveSince: undefined },
    ],
    [
      'warming up does not start the inconclusive clock',
      mem({}),
      warming(),
      { kind: 'inconclusive', warming: true },
      { inconclusiveSince: undefined, inconclusiveNotified: undefined },
    ],
    [
      'warming up past inconclusiveAlertMs of an earlier outage: no alert, the clock kept as it was',
      mem({ inconclusiveSince: T0 - 900_000 }),
      warming(),
      { kind: 'inconclusive', warming: true, alert: false },
      { inconclusiveSince: T0 - 900_000, inconclusiveNotified: undefined },
    ],
    [
      'warming up during stabilisation does not judge the step, still follows the rollout',
      stabilising({ judgeHigh: 2 }),
      warming(done()),
      { kind: 'inconclusive', warming: true },
      { phase: 'stabilising', step: 1, attempt: 1, judgeHigh: undefined, rolloutDoneAt: T0 },
    ],
    [
      'warming up in needs_attention: stays paged, no recovery counted',
      mem({ phase: 'needs_attention', step: 4, attempt: 3, lowStreak: 1 }),
      warming(),
      { kind: 'inconclusive', warming: true },
      { phase: 'needs_attention', lowStreak: 0 },
    ],
    [
      'conclusive again clears the inconclusive streak',
      mem({ inconclusiveSince: T0 - 1000, inconclusiveNotified: true }),
      scored(0.1),
      { kind: 'none' },
      { inconclusiveSince: undefined, inconclusiveNotified: undefined },
    ],
    // judged only after the step's rollout is done
    [
      'rolling out: waits while old pods remain, whatever the risk',
      stabilising(),
      scored(0.99, done({ updated: 5, available: 3, total: 22 })),
      {
        kind: 'wait',
        reason: expect.stringContaining('5/20 updated, 3/20 available, 17 old pods'),
      },
      { phase: 'stabilising', step: 1, rolloutDoneAt: undefined },
    ],
    [
      'rolling out: the controller has not observed the new generation',
      stabilising(),
      scored(0.99, done({ observedGeneration: 4 })),
      { kind: 'wait', reason: expect.stringContaining('not observed generation 5') },
      {},
    ],
    [
      'boundary: every pod updated but one not available yet',
      stabilising(),
      scored(0.99, done({ available: 19 })),
      { kind: 'wait', reason: expect.stringContaining('19/20 available') },
      {},
    ],
    [
      'rollout complete: the settle time starts now',
      stabilising(),
      scored(0.95, done()),
      { kind: 'wait', remainingMs: 120_000 },
      { rolloutDoneAt: T0 },
    ],
    [
      'boundary: settle time - 1 ms still waits',
      stabilising({ rolloutDoneAt: T0 - 119_999 }),
      scored(0.95, done()),
      { kind: 'wait', remainingMs: 1 },
      {},
    ],
    [
      'settled: the first judging cycle counts 1/N',
      settled(),
      scored(0.95, done()),
      { kind: 'wait', reason: expect.stringContaining('for 1/3 cycles') },
      { judgeHigh: 1, judgeLow: 0 },
    ],
    [
      'judged on N consecutive cycles: N/N high → escalate to cache clear',
      settled({ judgeHigh: 2 }),
      scored(0.9, done()),
      {
        kind: 'act',
        action: 'cache_clear_restart',
        step: 2,
        attempt: 2,
        escalated: true,
        outcome: {
          step: 1,
          action: 'restart_scale',
          attempt: 1,
          riskBefore: 0.93,
          riskAfter: 0.9,
          cured: false,
        },
      },
      {
        step: 2,
        attempt: 2,
        phase: 'stabilising',
        stepStartedAt: T0,
        riskBefore: 0.9,
        judgeHigh: undefined,
      },
    ],
    [
      'N/N below high → cured, recovering, the curing step remembered',
      settled({ judgeLow: 2 }),
      scored(0.4, done()),
      { kind: 'none', outcome: { step: 1, riskBefore: 0.93, riskAfter: 0.4, cured: true } },
      { phase: 'recovering', curedBy: 'restart_scale', curedStep: 1, recoveringSince: T0 },
    ],
    [
      'a mixed judgement starts counting again',
      settled({ judgeHigh: 2 }),
      scored(0.4, done()),
      { kind: 'wait' },
      { judgeHigh: 0, judgeLow: 1 },
    ],
    [
      'a quick sample does not count for the judgement',
      settled({ judgeHigh: 2, lastSampleAt: T0 - 1_000 }),
      scored(0.9, done()),
      { kind: 'wait' },
      { judgeHigh: 2, step: 1 },
    ],
    [
      'boundary: risk == high is judged high',
      settled({ judgeHigh: 2 }),
      scored(0.8),
      { kind: 'act', step: 2 },
      {},
    ],
    [
      'step 2 not cured → rollback',
      settled({ step: 2, attempt: 2, judgeHigh: 2 }),
      scored(0.9),
      { kind: 'act', action: 'rollback', step: 3, attempt: 3 },
      { step: 3 },
    ],
    [
      'step 3 not cured → page',
      settled({ step: 3, attempt: 3, judgeHigh: 2 }),
      scored(0.9),
      { kind: 'page', step: 4, attempt: 3, outcome: { action: 'rollback', cured: false } },
      { phase: 'needs_attention', step: 4, attempt: 3 },
    ],
    [
      'a rollout past its progress deadline is a failed step: judged not cured, climbs',
      stabilising(),
      scored(0.5, done({ updated: 10, available: 8, total: 25, deadlineExceeded: true })),
      {
        kind: 'act',
        action: 'cache_clear_restart',
        step: 2,
        outcome: { cured: false, failure: expect.stringContaining('progress deadline (600 s)') },
      },
      { step: 2 },
    ],
    [
      'held-back escalation: the outcome is not reported again',
      settled({ stepJudged: true, judgeHigh: 3 }),
      scored(0.9),
      { kind: 'act', action: 'cache_clear_restart', outcome: undefined },
      { stepJudged: undefined, step: 2 },
    ],
    [
      'held-back step, risk gone by itself: not credited as a cure',
      settled({ stepJudged: true, judgeLow: 2 }),
      scored(0.3),
      { kind: 'none', reason: 'risk 0.30 < 0.80 without step 1 (restart + scale up) curing it' },
      { phase: 'recovering', curedBy: undefined },
    ],
    // a failed action is retried on the same rung, never a reason to climb
    [
      'retry not due yet: waits, naming the error',
      stabilising({
        pendingAction: true,
        actionErrors: 1,
        retryAt: T0 + 10_000,
        lastError: 'HTTP 500',
      }),
      scored(0.9),
      {
        kind: 'wait',
        remainingMs: 10_000,
        reason: expect.stringContaining('action error 1/3: HTTP 500'),
      },
      { pendingAction: true, step: 1 },
    ],
    [
      'retry due and still high: the same rung again, same attempt',
      stabilising({ pendingAction: true, actionErrors: 2, retryAt: T0, lastError: 'HTTP 500' }),
      scored(0.9),
      { kind: 'act', action: 'restart_scale', step: 1, attempt: 1, retry: 2 },
      { step: 1, attempt: 1, pendingAction: true },
    ],
    [
      'retry due but risk gone: not retried, recovering without a cure',
      stabilising({ pendingAction: true, actionErrors: 1, retryAt: T0 - 1 }),
      scored(0.3),
      {
        kind: 'none',
        reason: expect.stringContaining('before step 1 (restart + scale up) could run'),
      },
      {
        phase: 'recovering',
        pendingAction: undefined,
        actionErrors: undefined,
        curedBy: undefined,
      },
    ],
    [
      'retry due but inconclusive: no action',
      stabilising({ pendingAction: true, actionErrors: 1, retryAt: T0 - 1 }),
      inconclusive(),
      { kind: 'inconclusive' },
      { pendingAction: true },
    ],
    // release-scoped episodes
    [
      'a new release rolled out by someone else ends the episode; bad releases are kept',
      settled({ release: 'r1', badReleases: ['r0'], attempt: 2, step: 2 }),
      scored(0.9, done({ release: 'r2', revision: 4 })),
      {
        kind: 'superseded',
        step: 2,
        attempt: 2,
        reason: expect.stringContaining('template r2, revision 4'),
      },
      {
        phase: 'healthy',
        attempt: 0,
        step: 0,
        badReleases: ['r0'],
        release: undefined,
        highStreak: 0,
      },
    ],
    [
      'the same release restarted: the episode goes on',
      stabilising({ release: 'r1' }),
      scored(0.9, done({ release: 'r1' })),
      { kind: 'wait' },
      { phase: 'stabilising' },
    ],
    [
      'healthy: a release change has no episode to end',
      mem({ release: 'r1' }),
      scored(0.1, done({ release: 'r2' })),
      { kind: 'none' },
      {},
    ],
    [
      'release not computed this cycle: no judgement on it',
      settled({ release: 'r1', judgeLow: 2 }),
      scored(0.3, done({ release: undefined })),
      { kind: 'none' },
      { phase: 'recovering' },
    ],
    // recovery and reset
    [
      'recovering: 1/M low cycles',
      mem({
        phase: 'recovering',
        step: 1,
        attempt: 1,
        curedBy: 'restart_scale',
        recoveringSince: T0,
      }),
      scored(0.3),
      { kind: 'none' },
      { phase: 'recovering', lowStreak: 1 },
    ],
    [
      'recovering: M low cycles reset attempts, keep bad releases',
      mem({
        phase: 'recovering',
        step: 3,
        attempt: 3,
        lowStreak: 1,
        curedBy: 'rollback',
        curedStep: 3,
        episodeStartedAt: T0 - 300_000,
        badReleases: ['r2'],
        release: 'r1',
      }),
      scored(0.3),
      { kind: 'recovered', curedBy: 'rollback', curedStep: 3, durationMs: 300_000, attempts: 3 },
      {
        phase: 'healthy',
        step: 0,
        attempt: 0,
        curedBy: undefined,
        episodeStartedAt: undefined,
        badReleases: ['r2'],
        release: undefined,
      },
    ],
    [
      'recovering between low and high does not reset',
      mem({ phase: 'recovering', step: 1, attempt: 1, lowStreak: 1 }),
      scored(0.6),
      { kind: 'none' },
      { phase: 'recovering', lowStreak: 0, recoveringSince: T0 },
    ],
    [
      'recovering past its time limit closes the episode',
      mem({ phase: 'recovering', step: 1, attempt: 1, recoveringSince: T0 - 1_800_000 }),
      scored(0.6),
      { kind: 'recovered', reason: expect.stringContaining('≥ recovery time limit 1800 s') },
      { phase: 'healthy', attempt: 0 },
    ],
    [
      'boundary: 1 ms before the time limit keeps recovering',
      mem({ phase: 'recovering', step: 1, attempt: 1, recoveringSince: T0 - 1_799_999 }),
      scored(0.6),
      { kind: 'none' },
      { phase: 'recovering' },
    ],
    [
      'recovering: cure did not hold → next step',
      mem({ phase: 'recovering', step: 1, attempt: 1, highStreak: 2 }),
      scored(0.9),
      { kind: 'act', action: 'cache_clear_restart', step: 2, attempt: 2 },
      {},
    ],
    // needs attention: no further actions
    [
      'needs attention stays quiet while high',
      mem({ phase: 'needs_attention', step: 4, attempt: 3, highStreak: 10 }),
      scored(0.99),
      { kind: 'none' },
      { phase: 'needs_attention', attempt: 3 },
    ],
    [
      'needs attention recovers after M low cycles',
      mem({
        phase: 'needs_attention',
        step: 4,
        attempt: 3,
        lowStreak: 1,
        episodeStartedAt: T0 - 1000,
      }),
      scored(0.1),
      { kind: 'recovered', attempts: 3 },
      { phase: 'healthy', attempt: 0 },
    ],
  ])('%s', (_name, state, assessment, decision, next) => {
    const { decision: d, nextState } = decide(state, assessment, RULES, T0);
    expect(d).toMatchObject(decision);
    for (const [k, v] of Object.entries(next))
      expect({ [k]: nextState[k as keyof HealMemory] }).toEqual({ [k]: v });
  });

  it('names the rule and the values in the reason', () => {
    const { decision } = decide(mem({ highStreak: 2 }), scored(0.93), RULES, T0);
    expect(decision.reason).toBe(
      'risk 0.93 ≥ 0.80 for 3/3 cycles; top http_5xx_error_rate=0.31 (+0.42) → restart + scale up (attempt 1/3)',
    );
  });

  it("names a deterministic layer's reason, not the model's signals, when that layer set the risk", () => {
    const cause = "own-normal: callers' p95 0.210 s is 128 spreads above its own normal 0.00500 s";
    const { decision } = decide(
      mem({ highStreak: 2 }),
      { ...scored(1), cause } as Assessment,
      RULES,
      T0,
    );
    expect(decision.reason).toBe(
      `risk 1.00 ≥ 0.80 for 3/3 cycles; ${cause} → restart + scale up (attempt 1/3)`,
    );
  });

  it('skips rungs missing from the ladder', () => {
    const rules = {
      ...RULES,
      ladder: ['restart_scale', 'rollback', 'page'] as HealRules['ladder'],
    };
    const { decision } = decide(settled({ judgeHigh: 2 }), scored(0.9), rules, T0);
    expect(decision).toMatchObject({ kind: 'act', action: 'rollback', step: 2 });
  });

  it('pages straight away when the ladder has only the page', () => {
    const rules = { ...RULES, ladder: ['page'] as HealRules['ladder'] };
    const { decision } = decide(mem({ highStreak: 2 }), scored(0.9), rules, T0);
    expect(decision).toMatchObject({ kind: 'page', attempt: 0 });
  });

  it('never mutates the state it was given', () => {
    const state = Object.freeze(mem({ highStreak: 2 }));
    expect(() => decide(state, scored(0.99), RULES, T0)).not.toThrow();
    expect(state.highStreak).toBe(2);
  });

  it('drives a full episode: enter, roll out, settle, judge, escalate, cure, reset', () => {
    let s: HealMemory = INITIAL_MEMORY;
    const kinds: string[] = [];
    const risks = [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2];
    risks.forEach((r, i) => {
      const res = decide(s, scored(r, done()), RULES, T0 + i * 60_000);
      kinds.push(res.decision.kind === 'act' ? res.decision.action : res.decision.kind);
      s = res.nextState;
    });
    expect(kinds).toEqual([
      'none',
      'none',
      'restart_scale',
      'wait', // rolled out: settle 0/120 s
      'wait', // 60/120 s
      'wait', // judging 1/3
      'wait', // judging 2/3
      'cache_clear_restart', // 3/3 still high
      'wait',
      'wait',
      'wait',
      'wait',
      'none', // 3/3 below high: cured by the cache clear
      'recovered',
    ]);
    expect(s).toMatchObject({ phase: 'healthy', attempt: 0, step: 0 });
  });

  it('three quick calls cannot satisfy enterCycles = 3', () => {
    let s: HealMemory = INITIAL_MEMORY;
    const kinds = [0, 1_000, 2_000].map((dt) => {
      const r = decide(s, scored(0.95), RULES, T0 + dt);
      s = r.nextState;
      return r.decision.kind;
    });
    expect(kinds).toEqual(['none', 'none', 'none']);
    expect(s.highStreak).toBe(1);
  });
});

describe('afterAction', () => {
  const next = stabilising({ stepStartedAt: T0, release: 'r1' });
  it.each<[string, HealMemory, ActionOutcome, Partial<HealMemory>, string | undefined]>([
    [
      'done: the step is under way from now',
      stabilising({ pendingAction: true, actionErrors: 2, retryAt: T0 - 1, lastError: 'x' }),
      { status: 'done', detail: 'rollout restart' },
      {
        pendingAction: undefined,
        actionErrors: undefined,
        retryAt: undefined,
        lastError: undefined,
        stepStartedAt: T0,
      },
      undefined,
    ],
    [
      'skipped counts as done',
      next,
      { status: 'skipped', detail: 'nothing to do' },
      { pendingAction: undefined },
      undefined,
    ],
    [
      'rollback done: the release rolled back from is remembered as bad',
      stabilising({ step: 3, attempt: 3, release: 'r2', badReleases: ['r0'] }),
      { status: 'done', detail: 'rolled back', release: 'r1', fromRelease: 'r2' },
      { release: 'r1', badReleases: ['r0', 'r2'] },
      undefined,
    ],
    [
      'bad releases are bounded (newest kept)',
      stabilising({ badReleases: Array.from({ length: 10 }, (_, i) => `b${i}`) }),
      { status: 'done', detail: '', release: 'r1', fromRelease: 'b10' },
      { badReleases: [...Array.from({ length: 9 }, (_, i) => `b${i + 1}`), 'b10'] },
      undefined,
    ],
    [
      '1st error: retry the same rung after retryBaseMs',
      next,
      { status: 'failed', detail: 'rollout restart failed: HTTP 500' },
      {
        pendingAction: true,
        actionErrors: 1,
        retryAt: T0 + 30_000,
        lastError: 'rollout restart failed: HTTP 500',
        step: 1,
        phase: 'stabilising',
      },
      undefined,
    ],
    [
      '3rd error: back-off doubled twice',
      stabilising({ pendingAction: true, actionErrors: 2 }),
      { status: 'refused', detail: 'no ready pods' },
      { pendingAction: true, actionErrors: 3, retryAt: T0 + 120_000 },
      undefined,
    ],
    [
      'back-off capped at retryMaxMs',
      stabilising({ pendingAction: true, actionErrors: 2 }),
      { status: 'failed', detail: 'x' },
      { retryAt: T0 + 120_000 },
      undefined,
    ],
    [
      'errors past the limit: hold and page',
      stabilising({ pendingAction: true, actionErrors: 3 }),
      { status: 'failed', detail: 'HTTP 500' },
      { phase: 'needs_attention', actionErrors: 4, pendingAction: undefined },
      'step 1 (restart + scale up): consecutive action errors (4) > actionErrorLimit (3); last: HTTP 500; holding and paging',
    ],
    [
      'a permanent refusal pages at once',
      stabilising({ step: 3, attempt: 3 }),
      { status: 'refused', detail: 'no previous release', permanent: true },
      { phase: 'needs_attention', actionErrors: 1 },
      'step 3 (rollback) refused: no previous release; holding and paging (retrying cannot change it)',
    ],
  ])('%s', (_n, state, result, want, page) => {
    const out = afterAction(state, result, RULES, T0);
    for (const [k, v] of Object.entries(want))
      expect({ [k]: out.state[k as keyof HealMemory] }).toEqual({ [k]: v });
    expect(out.page).toBe(page);
  });

  it('the back-off never exceeds retryMaxMs', () => {
    const rules = { ...RULES, actionErrorLimit: 20, actionRetryMaxMs: 100_000 };
    const out = afterAction(
      stabilising({ actionErrors: 10 }),
      { status: 'failed', detail: '' },
      rules,
      T0,
    );
    expect(out.state.retryAt).toBe(T0 + 100_000);
  });
});

describe('holdBack', () => {
  it('marks the step judged when the held-back decision carried its outcome', () => {
    const prev = settled({ judgeHigh: 2 });
    const { decision, nextState } = decide(prev, scored(0.95), RULES, T0);
    expect(decision).toMatchObject({ kind: 'act', outcome: { cured: false } });
    const held = holdBack(prev, nextState, true);
    expect(held).toMatchObject({ phase: 'stabilising', step: 1, stepJudged: true });
    const again = decide(held, scored(0.95), RULES, T0 + 30_000).decision;
    expect(again).toMatchObject({ kind: 'act', step: 2 });
    expect(again).not.toHaveProperty('outcome.step');
  });

  it('keeps the previous rung when an action was held back but counts the cycle', () => {
    const prev = mem({ highStreak: 2 });
    const { nextState } = decide(prev, scored(0.95), RULES, T0);
    const held = holdBack(prev, nextState);
    expect(held).toMatchObject({
      phase: 'healthy',
      step: 0,
      attempt: 0,
      highStreak: 3,
      lastRisk: 0.95,
    });
    // the next cycle tries again
    expect(decide(held, scored(0.95), RULES, T0 + 15_000).decision).toMatchObject({
      kind: 'act',
      step: 1,
    });
  });
});

describe('topFeatures', () => {
  it.each([
    [[], ''],
    [
      [{ feature: 'cpu_usage_pct' as const, value: 97.456, contribution: 0.2 }],
      'cpu_usage_pct=97.46 (+0.20)',
    ],
    [
      [{ feature: 'ready_replica_ratio' as const, value: 0.5, contribution: -0.1 }],
      'ready_replica_ratio=0.5 (-0.10)',
    ],
    [
      [{ feature: 'memory_usage_bytes' as const, value: 524288000, contribution: 0.05 }],
      'memory_usage_bytes=5.24e+8 (+0.05)',
    ],
    [
      [
        { feature: 'memory_limit_ratio' as const, value: 0, contribution: -0.71 },
        { feature: 'restart_count_last_5m' as const, value: 6, contribution: 0.4 },
      ],
      'restart_count_last_5m=6 (+0.40)',
    ],
  ])('%j → %s', (expl, text) => {
    expect(topFeatures(expl)).toBe(text);
  });
});
