import { describe, expect, it } from '@jest/globals';
import { decide, holdBack, markStepFailed, topFeatures } from './decide.js';
import { INITIAL_MEMORY, type Assessment, type HealMemory, type HealRules } from './types.js';

const RULES: HealRules = {
  high: 0.8,
  low: 0.5,
  enterCycles: 3,
  exitCycles: 2,
  stabilisationMs: 120_000,
  inconclusiveAlertMs: 600_000,
  ladder: ['restart_scale', 'cache_clear_restart', 'rollback', 'page'],
  dryRun: false,
};
const T0 = 1_700_000_000_000;

const scored = (risk: number): Assessment => ({
  kind: 'scored',
  risk,
  level: 'critical',
  explanation: [{ feature: 'http_5xx_error_rate', value: 0.31, contribution: 0.42 }],
  features: {},
  imputed: [],
});
const inconclusive = (reason = 'missing series for http_5xx_error_rate'): Assessment => ({
  kind: 'inconclusive',
  reason,
});
const mem = (m: Partial<HealMemory>): HealMemory => ({ ...INITIAL_MEMORY, ...m });
const stabilising = (m: Partial<HealMemory> = {}): HealMemory =>
  mem({
    phase: 'stabilising',
    step: 1,
    attempt: 1,
    stepStartedAt: T0 - 120_000,
    riskBefore: 0.93,
    episodeStartedAt: T0 - 300_000,
    ...m,
  });

describe('decide', () => {
  it.each<[string, HealMemory, Assessment, number, Record<string, unknown>, Partial<HealMemory>]>([
    // healthy: hysteresis on entry
    [
      'healthy, low risk',
      mem({}),
      scored(0.1),
      T0,
      { kind: 'none' },
      { highStreak: 0, lowStreak: 1 },
    ],
    ['healthy, 1st high cycle', mem({}), scored(0.93), T0, { kind: 'none' }, { highStreak: 1 }],
    [
      'healthy, 2nd high cycle',
      mem({ highStreak: 1 }),
      scored(0.93),
      T0,
      { kind: 'none' },
      { highStreak: 2 },
    ],
    [
      'healthy, Nth high cycle acts',
      mem({ highStreak: 2 }),
      scored(0.93),
      T0,
      { kind: 'act', action: 'restart_scale', step: 1, attempt: 1, escalated: false },
      {
        phase: 'stabilising',
        step: 1,
        attempt: 1,
        stepStartedAt: T0,
        riskBefore: 0.93,
        episodeStartedAt: T0,
      },
    ],
    [
      'boundary: risk == high counts',
      mem({ highStreak: 2 }),
      scored(0.8),
      T0,
      { kind: 'act', step: 1 },
      {},
    ],
    [
      'boundary: just below high resets the streak',
      mem({ highStreak: 2 }),
      scored(0.7999),
      T0,
      { kind: 'none' },
      { highStreak: 0 },
    ],
    [
      'boundary: risk == low is not "below low"',
      mem({}),
      scored(0.5),
      T0,
      { kind: 'none' },
      { lowStreak: 0 },
    ],
    ['boundary: risk 1', mem({ highStreak: 2 }), scored(1), T0, { kind: 'act' }, {}],
    ['boundary: risk 0', mem({}), scored(0), T0, { kind: 'none' }, { lowStreak: 1 }],
    // inconclusive: never acts, never counts as healthy, breaks both streaks
    [
      'inconclusive holds',
      mem({ highStreak: 2 }),
      inconclusive(),
      T0,
      { kind: 'inconclusive', alert: false },
      { highStreak: 0, inconclusiveSince: T0 },
    ],
    [
      'NaN risk is inconclusive',
      mem({ highStreak: 2 }),
      scored(Number.NaN),
      T0,
      { kind: 'inconclusive', reason: 'risk is NaN' },
      { highStreak: 0, phase: 'healthy' },
    ],
    [
      'Infinity risk is inconclusive',
      mem({}),
      scored(Number.POSITIVE_INFINITY),
      T0,
      { kind: 'inconclusive' },
      {},
    ],
    [
      'risk outside [0,1] is inconclusive',
      mem({ highStreak: 2 }),
      scored(1.5),
      T0,
      { kind: 'inconclusive', reason: 'risk 1.5 outside [0, 1]' },
      {},
    ],
    [
      'stale data is inconclusive',
      mem({ highStreak: 2 }),
      inconclusive('stale sample for cpu_usage_pct (300 s old)'),
      T0,
      { kind: 'inconclusive', reason: 'stale sample for cpu_usage_pct (300 s old)' },
      {},
    ],
    [
      'empty data is inconclusive',
      mem({ lowStreak: 1, phase: 'recovering', step: 1, attempt: 1 }),
      inconclusive('no series'),
      T0,
      { kind: 'inconclusive' },
      { lowStreak: 0, phase: 'recovering' },
    ],
    [
      'inconclusive for long alerts once',
      mem({ inconclusiveSince: T0 - 600_000 }),
      inconclusive(),
      T0,
      { kind: 'inconclusive', alert: true, sinceMs: 600_000 },
      { inconclusiveNotified: true },
    ],
    [
      'inconclusive alert not repeated',
      mem({ inconclusiveSince: T0 - 900_000, inconclusiveNotified: true }),
      inconclusive(),
      T0,
      { kind: 'inconclusive', alert: false },
      {},
    ],
    [
      'inconclusive during stabilisation does not escalate',
      stabilising(),
      inconclusive(),
      T0,
      { kind: 'inconclusive' },
      { phase: 'stabilising', step: 1 },
    ],
    [
      'conclusive again clears the inconclusive streak',
      mem({ inconclusiveSince: T0 - 1000, inconclusiveNotified: true }),
      scored(0.1),
      T0,
      { kind: 'none' },
      { inconclusiveSince: undefined, inconclusiveNotified: undefined },
    ],
    // stabilisation window
    [
      'waits inside the window',
      stabilising({ stepStartedAt: T0 - 60_000 }),
      scored(0.95),
      T0,
      { kind: 'wait', remainingMs: 60_000 },
      { phase: 'stabilising', step: 1 },
    ],
    [
      'boundary: window - 1 ms still waits',
      stabilising({ stepStartedAt: T0 - 119_999 }),
      scored(0.95),
      T0,
      { kind: 'wait', remainingMs: 1 },
      {},
    ],
    [
      'window passed, still high → escalate to cache clear',
      stabilising(),
      scored(0.9),
      T0,
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
      { step: 2, attempt: 2, phase: 'stabilising', stepStartedAt: T0, riskBefore: 0.9 },
    ],
    [
      'window passed, below high → cured, recovering',
      stabilising(),
      scored(0.4),
      T0,
      { kind: 'none', outcome: { step: 1, riskBefore: 0.93, riskAfter: 0.4, cured: true } },
      { phase: 'recovering', curedBy: 'restart_scale', step: 1, attempt: 1 },
    ],
    [
      'boundary: risk == high after window escalates',
      stabilising(),
      scored(0.8),
      T0,
      { kind: 'act', step: 2 },
      {},
    ],
    [
      'step 2 not cured → rollback',
      stabilising({ step: 2, attempt: 2 }),
      scored(0.9),
      T0,
      { kind: 'act', action: 'rollback', step: 3, attempt: 3 },
      { step: 3 },
    ],
    [
      'step 3 not cured → page',
      stabilising({ step: 3, attempt: 3 }),
      scored(0.9),
      T0,
      { kind: 'page', step: 4, attempt: 3, outcome: { action: 'rollback', cured: false } },
      { phase: 'needs_attention', step: 4, attempt: 3 },
    ],
    [
      'failed step escalates without waiting',
      stabilising({ stepStartedAt: T0 - 1_000, stepFailed: true, step: 3, attempt: 3 }),
      scored(0.9),
      T0,
      { kind: 'page', outcome: { cured: false } },
      { phase: 'needs_attention' },
    ],
    [
      'failed step, risk gone anyway → recovering, not cured',
      stabilising({ stepStartedAt: T0 - 1_000, stepFailed: true }),
      scored(0.3),
      T0,
      { kind: 'none', outcome: { cured: false } },
      { phase: 'recovering', curedBy: undefined },
    ],
    [
      'held-back escalation: the outcome is not reported again',
      stabilising({ stepJudged: true }),
      scored(0.9),
      T0,
      { kind: 'act', action: 'cache_clear_restart', outcome: undefined },
      { stepJudged: undefined, step: 2 },
    ],
    [
      'held-back step, risk gone by itself: not credited as a cure',
      stabilising({ stepJudged: true }),
      scored(0.3),
      T0,
      { kind: 'none', reason: 'risk 0.30 < 0.80 without step 1 curing it' },
      { phase: 'recovering', curedBy: undefined },
    ],
    // recovery and reset
    [
      'recovering: 1/M low cycles',
      mem({ phase: 'recovering', step: 1, attempt: 1, curedBy: 'restart_scale' }),
      scored(0.3),
      T0,
      { kind: 'none' },
      { phase: 'recovering', lowStreak: 1 },
    ],
    [
      'recovering: M low cycles reset attempts',
      mem({
        phase: 'recovering',
        step: 1,
        attempt: 1,
        lowStreak: 1,
        curedBy: 'restart_scale',
        episodeStartedAt: T0 - 300_000,
      }),
      scored(0.3),
      T0,
      { kind: 'recovered', curedBy: 'restart_scale', durationMs: 300_000, attempts: 1 },
      { phase: 'healthy', step: 0, attempt: 0, curedBy: undefined, episodeStartedAt: undefined },
    ],
    [
      'recovering between low and high does not reset',
      mem({ phase: 'recovering', step: 1, attempt: 1, lowStreak: 1 }),
      scored(0.6),
      T0,
      { kind: 'none' },
      { phase: 'recovering', lowStreak: 0 },
    ],
    [
      'recovering: cure did not hold → next step',
      mem({ phase: 'recovering', step: 1, attempt: 1, highStreak: 2 }),
      scored(0.9),
      T0,
      { kind: 'act', action: 'cache_clear_restart', step: 2, attempt: 2 },
      {},
    ],
    // needs attention: no further actions
    [
      'needs attention stays quiet while high',
      mem({ phase: 'needs_attention', step: 4, attempt: 3, highStreak: 10 }),
      scored(0.99),
      T0,
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
      T0,
      { kind: 'recovered', attempts: 3 },
      { phase: 'healthy', attempt: 0 },
    ],
  ])('%s', (_name, state, assessment, now, decision, next) => {
    const { decision: d, nextState } = decide(state, assessment, RULES, now);
    expect(d).toMatchObject(decision);
    for (const [k, v] of Object.entries(next)) expect(nextState[k as keyof HealMemory]).toEqual(v);
  });

  it('names the rule and the values in the reason', () => {
    const { decision } = decide(mem({ highStreak: 2 }), scored(0.93), RULES, T0);
    expect(decision.reason).toBe(
      'risk 0.93 ≥ 0.80 for 3/3 cycles; top http_5xx_error_rate=0.31 (+0.42) → restart + scale up (attempt 1/3)',
    );
  });

  it('skips rungs missing from the ladder', () => {
    const rules = {
      ...RULES,
      ladder: ['restart_scale', 'rollback', 'page'] as HealRules['ladder'],
    };
    const { decision } = decide(stabilising(), scored(0.9), rules, T0);
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

  it('drives a full episode: enter, escalate, cure, reset', () => {
    let s: HealMemory = INITIAL_MEMORY;
    const kinds: string[] = [];
    const risks = [0.9, 0.9, 0.9, 0.9, 0.9, 0.2, 0.2, 0.2];
    risks.forEach((r, i) => {
      const res = decide(s, scored(r), RULES, T0 + i * 60_000);
      kinds.push(res.decision.kind === 'act' ? res.decision.action : res.decision.kind);
      s = res.nextState;
    });
    expect(kinds).toEqual([
      'none',
      'none',
      'restart_scale',
      'wait',
      'cache_clear_restart',
      'wait',
      'none', // window passed: cured by cache clear
      'recovered',
    ]);
    expect(s).toMatchObject({ phase: 'healthy', attempt: 0, step: 0 });
  });
});

describe('markStepFailed / holdBack', () => {
  it('marks the step failed', () => {
    expect(markStepFailed(stabilising()).stepFailed).toBe(true);
  });
  it('marks the step judged when the held-back decision carried its outcome', () => {
    const prev = stabilising();
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
    expect(decide(held, scored(0.95), RULES, T0 + 1).decision).toMatchObject({
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
