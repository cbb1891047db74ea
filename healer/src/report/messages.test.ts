import { describe, expect, it } from '@jest/globals';
import type { HealAction } from '../api/types.js';
import {
  INITIAL_MEMORY,
  type Assessment,
  type Decision,
  type HealMemory,
} from '../policy/types.js';
import {
  actionReport,
  budgetDeniedReport,
  deploymentStatus,
  dryRunReport,
  healState,
  inconclusiveReport,
  notice,
  outcomeMessage,
  outcomeReport,
  pageReport,
  recoveredReport,
  type ReportView,
} from './messages.js';

const LADDER: HealAction[] = ['restart_scale', 'cache_clear_restart', 'rollback', 'page'];
const T0 = Date.UTC(2026, 0, 1, 12);
const scored: Extract<Assessment, { kind: 'scored' }> = {
  kind: 'scored',
  risk: 0.93,
  level: 'critical',
  explanation: [
    { feature: 'http_5xx_error_rate', value: 0.31, contribution: 0.42 },
    { feature: 'restart_count_last_5m', value: 4, contribution: 0.2 },
    { feature: 'cpu_usage_pct', value: 20, contribution: 0.01 },
    { feature: 'memory_usage_bytes', value: 1, contribution: 0 },
  ],
  features: { http_5xx_error_rate: 0.31 },
  imputed: [],
};
const view = (over: Partial<ReportView> = {}): ReportView => ({
  namespace: 'shop',
  name: 'web',
  key: 'shop/web',
  subject: { namespace: 'shop', name: 'web', uid: 'u1' },
  ladder: LADDER,
  dryRun: false,
  high: 0.8,
  scored,
  links: { dashboard: 'http://dash' },
  episode: T0 - 60_000,
  attempt: 1,
  step: 1,
  now: T0,
  before: { episodeStartedAt: T0 - 60_000, stepStartedAt: T0 - 30_000 },
  ...over,
});
const act = (over: Partial<Extract<Decision, { kind: 'act' }>> = {}) =>
  ({
    kind: 'act',
    action: 'restart_scale',
    step: 1,
    attempt: 1,
    escalated: false,
    reason: 'risk 0.93 ≥ 0.80 for 3/3 cycles → restart + scale up (attempt 1/3)',
    ...over,
  }) as Extract<Decision, { kind: 'act' }>;

describe('notice', () => {
  it.each<[string, Partial<ReportView>, Record<string, unknown>]>([
    [
      'scored: risk, level and the top three signals',
      {},
      {
        risk: 0.93,
        level: 'critical',
        attempts: 3,
        dedupKey: `shop/web:action:${T0 - 60_000}:1:1`,
      },
    ],
    ['inconclusive: no risk fields', { scored: undefined }, { risk: undefined, top: undefined }],
    ['dry-run flag only when true', { dryRun: true }, { dryRun: true }],
    ['not dry-run: undefined, not false', { dryRun: false }, { dryRun: undefined }],
    ['empty ladder: 0 attempts', { ladder: [] }, { attempts: 0 }],
    ['only page: 0 attempts', { ladder: ['page'] }, { attempts: 0 }],
  ])('%s', (_n, over, want) => {
    const m = notice(view(over), 'action', 'Ran restart on shop/web', 'detail');
    expect(m).toMatchObject({ kind: 'action', namespace: 'shop', name: 'web' });
    for (const [k, v] of Object.entries(want))
      expect({ [k]: (m as unknown as Record<string, unknown>)[k] }).toEqual({ [k]: v });
    if (over.scored !== undefined || !('scored' in over)) expect(m.top).toHaveLength(3);
  });

  it('extra fields override the defaults (dedup key included)', () => {
    expect(notice(view(), 'cured', 't', 'd', { dedupKey: 'k', step: 2 })).toMatchObject({
      dedupKey: 'k',
      step: 2,
    });
  });
});

describe('outcomeMessage', () => {
  it.each<[boolean, number, number, string]>([
    [true, 0.93, 0.12, 'step 1 restart + scale up cured it: risk 0.93 → 0.12 (threshold 0.80)'],
    [
      false,
      0.93,
      0.85,
      'step 1 restart + scale up did not cure it: risk 0.93 → 0.85 (threshold 0.80)',
    ],
    [
      false,
      0.93,
      Number.NaN,
      'step 1 restart + scale up did not cure it: risk 0.93 → NaN (threshold 0.80)',
    ],
    [true, 0.8, 0.7999, 'step 1 restart + scale up cured it: risk 0.80 → 0.80 (threshold 0.80)'],
  ])('cured=%s %d → %d', (cured, before, after, text) => {
    expect(
      outcomeMessage(
        {
          step: 1,
          action: 'restart_scale',
          attempt: 1,
          riskBefore: before,
          riskAfter: after,
          cured,
        },
        0.8,
      ),
    ).toBe(text);
  });
});

describe('healState', () => {
  const none: Decision = { kind: 'none', reason: '' };
  it.each<[string, Partial<HealMemory>, Decision, string]>([
    ['healthy', {}, none, 'healthy'],
    ['a high streak building', { highStreak: 1 }, none, 'watching'],
    ['stabilising after a restart', { phase: 'stabilising', step: 1 }, none, 'healing'],
    ['recovering after a rollback', { phase: 'recovering', step: 3 }, none, 'rolled_back'],
    ['needs attention', { phase: 'needs_attention', step: 4 }, none, 'needs_attention'],
    [
      'inconclusive wins over the phase',
      { phase: 'needs_attention' },
      { kind: 'inconclusive', reason: 'x', sinceMs: 0, alert: false },
      'inconclusive',
    ],
    ['step past the ladder', { phase: 'stabilising', step: 9 }, none, 'healing'],
  ])('%s', (_n, m, d, want) => {
    expect(healState({ ...INITIAL_MEMORY, ...m }, LADDER, d)).toBe(want);
  });
});

describe('deploymentStatus', () => {
  const base = {
    namespace: 'shop',
    name: 'web',
    ladder: LADDER,
    dryRun: false,
    trend: [{ t: '2026-01-01T12:00:00.000Z', risk: 0.4 }],
    now: T0,
  };
  it.each<[string, Assessment, Decision, Partial<HealMemory>, Record<string, unknown>]>([
    [
      "scored: this cycle's risk, level and explanation",
      scored,
      { kind: 'none', reason: '' },
      {},
      { risk: 0.93, level: 'critical', features: { http_5xx_error_rate: 0.31 } },
    ],
    [
      'inconclusive: last risk kept, reason shown',
      { kind: 'inconclusive', reason: 'no series for cpu_usage_pct' },
      { kind: 'inconclusive', reason: 'no series for cpu_usage_pct', sinceMs: 0, alert: false },
      { lastRisk: 0.3 },
      {
        risk: 0.3,
        level: 'elevated',
        inconclusiveReason: 'no series for cpu_usage_pct',
        features: {},
      },
    ],
    [
      'never assessed: null risk and level',
      { kind: 'inconclusive', reason: 'x' },
      { kind: 'inconclusive', reason: 'x', sinceMs: 0, alert: false },
      {},
      { risk: null, level: null },
    ],
    [
      'a NaN risk judged inconclusive is not shown as the risk',
      { ...scored, risk: Number.NaN },
      { kind: 'inconclusive', reason: 'risk is NaN', sinceMs: 0, alert: false },
      {},
      { risk: null, explanation: [] },
    ],
    [
      'healthy phase shows step 0 whatever the memory says',
      scored,
      { kind: 'none', reason: '' },
      { step: 2 },
      { step: 0 },
    ],
  ])('%s', (_n, a, d, m, want) => {
    const s = deploymentStatus({
      ...base,
      memory: { ...INITIAL_MEMORY, ...m },
      assessment: a,
      decision: d,
    });
    expect(s).toMatchObject({ ...want, updatedAt: new Date(T0).toISOString() });
    expect(s.trend).toEqual(base.trend);
  });
});

describe('report builders', () => {
  it.each<[string, () => ReturnType<typeof actionReport>, Record<string, unknown>]>([
    [
      'action done: Normal Event of the rung, pending record, "Ran" message',
      () => actionReport(view(), act(), { status: 'done', detail: 'rollout restart' }, 0.93),
      {
        level: 'info',
        event: { type: 'Normal', reason: 'AutoHealRestart' },
        action: { outcome: 'pending', step: 1, riskBefore: 0.93 },
        notify: { kind: 'action', title: 'Ran restart + scale up on shop/web', step: 1 },
      },
    ],
    [
      'action failed: Warning AutoHealActionFailed, failed record, "Could not run"',
      () => actionReport(view(), act(), { status: 'failed', detail: 'HTTP 500' }, 0.93),
      {
        level: 'warn',
        event: { type: 'Warning', reason: 'AutoHealActionFailed' },
        action: { outcome: 'failed' },
        notify: { title: 'Could not run restart + scale up on shop/web' },
      },
    ],
    [
      'escalation: "Escalated to", kind escalated',
      () =>
        actionReport(
          view(),
          act({ action: 'rollback', step: 3, attempt: 3, escalated: true }),
          { status: 'done', detail: 'rolled back' },
          0.9,
        ),
      {
        event: { reason: 'AutoHealRollback' },
        notify: { kind: 'escalated', title: 'Escalated to rollback on shop/web', step: 3 },
      },
    ],
    [
      'budget denied, first time: Warning Event and a message',
      () =>
        budgetDeniedReport(view(), act(), { rule: 'cooldown', message: 'cooldown: 40 s < 120 s' }),
      {
        level: 'warn',
        event: { reason: 'AutoHealBudgetDenied' },
        notify: { kind: 'budget_denied', dedupKey: `shop/web:budget:cooldown:${T0}` },
      },
    ],
    [
      'budget denied again: debug only, no Event, no message',
      () => budgetDeniedReport(view(), act(), { rule: 'cooldown', message: 'x', repeated: true }),
      { level: 'debug', event: undefined, notify: undefined },
    ],
    [
      'dry-run: skipped record, no Event',
      () => dryRunReport(view({ dryRun: true }), act(), 0.93),
      {
        dryRun: true,
        event: undefined,
        action: { outcome: 'skipped', dryRun: true },
        notify: { kind: 'dry_run', dryRun: true },
      },
    ],
    [
      'page: Warning AutoHealNeedsAttention',
      () => pageReport(view(), { kind: 'page', step: 4, attempt: 3, reason: 'exhausted' }, 0.9),
      {
        event: { type: 'Warning', reason: 'AutoHealNeedsAttention' },
        action: { action: 'page', step: 4 },
        notify: { kind: 'needs_attention', title: 'shop/web needs attention' },
      },
    ],
    [
      'recovered: one message per episode, naming the step that cured it',
      () =>
        recoveredReport(view(), {
          kind: 'recovered',
          curedBy: 'rollback',
          curedStep: 3,
          durationMs: 60_000,
          attempts: 3,
          reason: 'recovered',
        }),
      {
        event: { reason: 'AutoHealRecovered' },
        // The step that cured it, named (not "Step ?").
        notify: {
          kind: 'recovered',
          action: 'rollback',
          step: 3,
          dedupKey: `shop/web:recovered:${T0 - 60_000}`,
        },
      },
    ],
    [
      'inconclusive: seconds named, dedup by streak start',
      () =>
        inconclusiveReport(view({ before: { inconclusiveSince: T0 - 600_000 } }), {
          kind: 'inconclusive',
          reason: 'no series for cpu_usage_pct',
          sinceMs: 600_000,
          alert: true,
        }),
      {
        message: 'inconclusive for 600 s: no series for cpu_usage_pct',
        notify: { dedupKey: `shop/web:inconclusive:${T0 - 600_000}` },
      },
    ],
    [
      'outcome cured: record at the step time, a cured message',
      () =>
        outcomeReport(view(), {
          step: 1,
          action: 'restart_scale',
          attempt: 1,
          riskBefore: 0.93,
          riskAfter: 0.1,
          cured: true,
        }),
      {
        event: { reason: 'AutoHealStepCured' },
        action: { at: new Date(T0 - 30_000).toISOString(), outcome: 'cured', riskAfter: 0.1 },
        notify: { kind: 'cured', step: 1 },
      },
    ],
    [
      'outcome not cured: no message',
      () =>
        outcomeReport(view(), {
          step: 1,
          action: 'restart_scale',
          attempt: 1,
          riskBefore: 0.93,
          riskAfter: 0.9,
          cured: false,
        }),
      { event: { reason: 'AutoHealStepNotCured' }, notify: undefined },
    ],
  ])('%s', (_n, build, want) => {
    const got = build() as unknown as Record<string, unknown>;
    const absent = Object.keys(want).filter((k) => want[k] === undefined);
    const present = Object.fromEntries(Object.entries(want).filter(([, v]) => v !== undefined));
    expect(got).toMatchObject(present);
    for (const k of absent) expect({ [k]: got[k] }).toEqual({ [k]: undefined });
  });
});
