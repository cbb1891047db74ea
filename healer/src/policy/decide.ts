/**
 * The escalation policy as one pure function (no I/O, no clock, no logger): like Argo Rollouts'
 * `assessMetricStatus`, it takes plain data and returns a verdict plus the state to remember.
 */
import type { Contribution } from '@aiops/model';
import type { HealAction } from '../api/types.js';
import {
  INITIAL_MEMORY,
  type Assessment,
  type Decision,
  type HealMemory,
  type HealRules,
  type PolicyResult,
  type StepOutcome,
} from './types.js';

const ACTION_LABEL: Record<HealAction, string> = {
  restart_scale: 'restart + scale up',
  cache_clear_restart: 'cache clear + restart',
  rollback: 'rollback',
  page: 'page a human',
};

/** People-facing name of a rung. */
export function actionLabel(action: HealAction): string {
  return ACTION_LABEL[action];
}

/** `0.93`: risks and thresholds always with two decimals. */
export function fmt(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : String(n);
}

function fmtValue(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return n.toExponential(2);
  return String(Math.round(n * 100) / 100);
}

/** `http_5xx_error_rate=0.31 (+0.42)`: the largest contribution, as Events and Slack show it. */
export function topFeatures(explanation: readonly Contribution[], n = 1): string {
  // A message explains why risk is high, so it names what raised it; a signal that lowered the
  // risk is named only when nothing raised it.
  const raising = explanation.filter((c) => c.contribution > 0);
  return (raising.length > 0 ? raising : explanation)
    .slice(0, n)
    .map(
      (c) =>
        `${c.feature}=${fmtValue(c.value)} (${c.contribution >= 0 ? '+' : ''}${fmt(c.contribution)})`,
    )
    .join(', ');
}

/** Actions on the ladder before the page (the "3" of "attempt 1/3"). */
function actionRungs(rules: HealRules): number {
  return rules.ladder.filter((a) => a !== 'page').length;
}

function inconclusiveReason(a: Assessment): string | undefined {
  if (a.kind === 'inconclusive') return a.reason;
  if (!Number.isFinite(a.risk)) return `risk is ${a.risk}`;
  if (a.risk < 0 || a.risk > 1) return `risk ${a.risk} outside [0, 1]`;
  return undefined;
}

function outcomeOf(state: HealMemory, rules: HealRules, risk: number): StepOutcome | undefined {
  const action = rules.ladder[state.step - 1];
  if (!action || state.riskBefore === undefined || state.stepJudged) return undefined;
  return {
    step: state.step,
    action,
    attempt: state.attempt,
    riskBefore: state.riskBefore,
    riskAfter: risk,
    cured: !state.stepFailed && risk < rules.high,
  };
}

/** Takes rung `step` (1-based) of the ladder, or pages when it is `page` or past the end. */
function climb(
  state: HealMemory,
  rules: HealRules,
  step: number,
  risk: number,
  now: number,
  why: string,
  outcome: StepOutcome | undefined,
): PolicyResult {
  const action = rules.ladder[step - 1];
  const base = {
    ...state,
    step,
    stepStartedAt: now,
    riskBefore: risk,
    stepFailed: undefined,
    stepJudged: undefined,
    curedBy: undefined,
    episodeStartedAt: state.episodeStartedAt ?? now,
  };
  if (action === undefined || action === 'page') {
    const next: HealMemory = { ...base, phase: 'needs_attention', step: rules.ladder.length };
    const reason = `${why} → ${actionLabel('page')}: ladder exhausted after ${state.attempt} action(s)`;
    return {
      decision: { kind: 'page', step: next.step, attempt: state.attempt, reason, outcome },
      nextState: next,
    };
  }
  const attempt = state.attempt + 1;
  const next: HealMemory = { ...base, phase: 'stabilising', attempt };
  const reason = `${why} → ${actionLabel(action)} (attempt ${attempt}/${actionRungs(rules)})`;
  return {
    decision: { kind: 'act', action, step, attempt, escalated: step > 1, reason, outcome },
    nextState: next,
  };
}

/**
 * Decides what to do about one deployment this cycle.
 *
 * Hysteresis: act once risk ≥ `high` for `enterCycles` consecutive conclusive cycles; a deployment
 * counts as recovered after `exitCycles` consecutive cycles below `low`. After each step, wait
 * `stabilisationMs`, then escalate only if risk is still ≥ `high`. Inconclusive cycles never act
 * and break both streaks.
 */
export function decide(
  state: HealMemory,
  assessment: Assessment,
  rules: HealRules,
  now: number,
): PolicyResult {
  const bad = inconclusiveReason(assessment);
  if (bad !== undefined) {
    const since = state.inconclusiveSince ?? now;
    const alert = !state.inconclusiveNotified && now - since >= rules.inconclusiveAlertMs;
    return {
      decision: { kind: 'inconclusive', reason: bad, sinceMs: now - since, alert },
      nextState: {
        ...state,
        highStreak: 0,
        lowStreak: 0,
        inconclusiveSince: since,
        inconclusiveNotified: state.inconclusiveNotified || alert || undefined,
      },
    };
  }
  const { risk } = assessment as Extract<Assessment, { kind: 'scored' }>;
  const explanation = (assessment as Extract<Assessment, { kind: 'scored' }>).explanation;
  const top = explanation.length > 0 ? `; top ${topFeatures(explanation)}` : '';
  const s: HealMemory = {
    ...state,
    highStreak: risk >= rules.high ? state.highStreak + 1 : 0,
    lowStreak: risk < rules.low ? state.lowStreak + 1 : 0,
    lastRisk: risk,
    lastAssessedAt: now,
    inconclusiveSince: undefined,
    inconclusiveNotified: undefined,
  };
  const highRule = `risk ${fmt(risk)} ≥ ${fmt(rules.high)} for ${Math.min(s.highStreak, rules.enterCycles)}/${rules.enterCycles} cycles${top}`;
  const none = (reason: string, outcome?: StepOutcome): PolicyResult => ({
    decision: outcome ? { kind: 'none', reason, outcome } : { kind: 'none', reason },
    nextState: s,
  });
  const recover = (): PolicyResult => {
    const durationMs = now - (state.episodeStartedAt ?? now);
    const by = state.curedBy ? ` after ${actionLabel(state.curedBy)}` : '';
    const reason = `risk ${fmt(risk)} < ${fmt(rules.low)} for ${Math.min(s.lowStreak, rules.exitCycles)}/${rules.exitCycles} cycles: recovered${by} in ${Math.round(durationMs / 1000)} s`;
    const decision: Decision = {
      kind: 'recovered',
      durationMs,
      attempts: state.attempt,
      reason,
      ...(state.curedBy ? { curedBy: state.curedBy } : {}),
    };
    return {
      decision,
      nextState: { ...INITIAL_MEMORY, lowStreak: s.lowStreak, lastRisk: risk, lastAssessedAt: now },
    };
  };

  switch (state.phase) {
    case 'healthy': {
      if (s.highStreak >= rules.enterCycles)
        return climb(s, rules, 1, risk, now, highRule, undefined);
      if (risk >= rules.high) return none(`${highRule}: waiting for ${rules.enterCycles} cycles`);
      return none(`risk ${fmt(risk)} < ${fmt(rules.high)}`);
    }
    case 'stabilising': {
      const elapsed = now - (state.stepStartedAt ?? now);
      if (!state.stepFailed && elapsed < rules.stabilisationMs) {
        const remainingMs = rules.stabilisationMs - elapsed;
        return {
          decision: {
            kind: 'wait',
            remainingMs,
            reason: `stabilising after step ${state.step}: ${Math.ceil(remainingMs / 1000)} s of ${Math.round(rules.stabilisationMs / 1000)} s left (risk ${fmt(risk)})`,
          },
          nextState: s,
        };
      }
      const outcome = outcomeOf(state, rules, risk);
      if (risk >= rules.high) {
        const why = state.stepFailed
          ? `step ${state.step} failed; risk ${fmt(risk)} ≥ ${fmt(rules.high)}${top}`
          : `risk ${fmt(risk)} ≥ ${fmt(rules.high)} ${Math.round(elapsed / 1000)} s after step ${state.step} (was ${fmt(state.riskBefore ?? risk)})${top}`;
        return climb(s, rules, state.step + 1, risk, now, why, outcome);
      }
      const action = rules.ladder[state.step - 1];
      // A step already judged "not cured" (its escalation was held back) cannot claim the cure.
      const cured = !state.stepFailed && !state.stepJudged && action !== undefined;
      const next: HealMemory = {
        ...s,
        phase: 'recovering',
        stepFailed: undefined,
        stepJudged: undefined,
        curedBy: cured ? action : undefined,
      };
      const reason = cured
        ? `cured by ${actionLabel(action)}: risk ${fmt(state.riskBefore ?? risk)} → ${fmt(risk)} < ${fmt(rules.high)}`
        : `risk ${fmt(risk)} < ${fmt(rules.high)} without step ${state.step} curing it`;
      return {
        decision: outcome ? { kind: 'none', reason, outcome } : { kind: 'none', reason },
        nextState: next,
      };
    }
    case 'recovering': {
      if (s.lowStreak >= rules.exitCycles) return recover();
      if (s.highStreak >= rules.enterCycles) {
        return climb(
          s,
          rules,
          s.step + 1,
          risk,
          now,
          `${highRule}: the cure did not hold`,
          undefined,
        );
      }
      return none(
        `recovering: risk ${fmt(risk)}; ${s.lowStreak}/${rules.exitCycles} cycles < ${fmt(rules.low)}`,
      );
    }
    case 'needs_attention': {
      if (s.lowStreak >= rules.exitCycles) return recover();
      return none(`needs attention: paged; no further actions (risk ${fmt(risk)})`);
    }
  }
}

/** Marks the current step as failed or refused, so the next cycle escalates without waiting. */
export function markStepFailed(state: HealMemory): HealMemory {
  return { ...state, stepFailed: true };
}

/**
 * Undoes the effect of a decision that was not carried out (e.g. a budget said no): the rung stays
 * where it was, the cycle still counts, and a step outcome the decision carried is not reported
 * again.
 */
export function holdBack(previous: HealMemory, next: HealMemory, judged = false): HealMemory {
  return {
    ...previous,
    ...(judged || previous.stepJudged ? { stepJudged: true } : {}),
    highStreak: next.highStreak,
    lowStreak: next.lowStreak,
    lastRisk: next.lastRisk,
    lastAssessedAt: next.lastAssessedAt,
    inconclusiveSince: undefined,
    inconclusiveNotified: undefined,
  };
}
