/**
 * The escalation policy as one pure function (no I/O, no clock, no logger): like Argo Rollouts'
 * `assessMetricStatus`, it takes plain data and returns a verdict plus the state to remember.
 */
import type { Contribution } from '@aiops/model';
import type { HealAction } from '../api/types.js';
import {
  advanceCount,
  advanceStreaks,
  breakStreaks,
  entered,
  exited,
  spaced,
} from './hysteresis.js';
import { rolloutState } from './rollout.js';
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

/** `step 2 (cache clear + restart)`. */
function stepName(step: number, rules: HealRules): string {
  const action = rules.ladder[step - 1];
  return action ? `step ${step} (${actionLabel(action)})` : `step ${step}`;
}

function outcomeOf(
  state: HealMemory,
  rules: HealRules,
  risk: number,
  cured: boolean,
  failure?: string,
): StepOutcome | undefined {
  const action = rules.ladder[state.step - 1];
  if (!action || state.riskBefore === undefined || state.stepJudged) return undefined;
  return {
    step: state.step,
    action,
    attempt: state.attempt,
    riskBefore: state.riskBefore,
    riskAfter: risk,
    cured,
    ...(failure ? { failure } : {}),
  };
}

/** The fields a new step starts without. */
const STEP_RESET = {
  stepJudged: undefined,
  pendingAction: undefined,
  actionErrors: undefined,
  retryAt: undefined,
  lastError: undefined,
  rolloutDoneAt: undefined,
  judgeHigh: undefined,
  judgeLow: undefined,
  curedBy: undefined,
  curedStep: undefined,
  recoveringSince: undefined,
} as const;

/** Takes rung `step` (1-based) of the ladder, or pages when it is `page` or past the end. */
function climb(
  state: HealMemory,
  rules: HealRules,
  step: number,
  risk: number,
  now: number,
  why: string,
  outcome: StepOutcome | undefined,
  release: string | undefined,
): PolicyResult {
  const action = rules.ladder[step - 1];
  const base: HealMemory = {
    ...state,
    ...STEP_RESET,
    step,
    stepStartedAt: now,
    riskBefore: risk,
    episodeStartedAt: state.episodeStartedAt ?? now,
    ...((state.release ?? release) ? { release: state.release ?? release } : {}),
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

/** The memory after an episode: only what outlives it (bad releases, streaks). */
function afterEpisode(s: HealMemory): HealMemory {
  return {
    ...INITIAL_MEMORY,
    highStreak: s.highStreak,
    lowStreak: s.lowStreak,
    ...(s.lastSampleAt !== undefined ? { lastSampleAt: s.lastSampleAt } : {}),
    ...(s.lastRisk !== undefined ? { lastRisk: s.lastRisk } : {}),
    ...(s.lastAssessedAt !== undefined ? { lastAssessedAt: s.lastAssessedAt } : {}),
    ...(s.badReleases?.length ? { badReleases: s.badReleases } : {}),
  };
}

/**
 * Decides what to do about one deployment this cycle.
 *
 * Hysteresis (`hysteresis.ts`): act once risk ≥ `high` for `enterCycles` counted cycles; a
 * deployment counts as recovered after `exitCycles` counted cycles below `low`. After each step
 * the healer waits for the rollout the step caused to complete, then `stabilisationMs`, then
 * judges the step on `enterCycles` consecutive conclusive cycles (like Argo's initialDelay +
 * count): all ≥ high → not cured, climb; all < high → cured. A rollout past its progress deadline
 * is a failed step. A failed action is retried on the same rung (see {@link afterAction}).
 * Inconclusive cycles never act and break the streaks; so do the warm-up's (`warming`), without
 * the inconclusive alert. A new release rolled out by someone else ends the episode.
 */
export function decide(
  state: HealMemory,
  assessment: Assessment,
  rules: HealRules,
  now: number,
): PolicyResult {
  const workload = assessment.workload;
  const release = workload?.release;
  if (state.phase !== 'healthy' && state.release && release && release !== state.release) {
    const at = stepName(state.step, rules);
    return {
      decision: {
        kind: 'superseded',
        step: state.step,
        attempt: state.attempt,
        reason: `a new release (template ${release}, revision ${workload?.revision ?? '?'}) was rolled out by someone else during ${at}: episode ended after ${state.attempt} action(s); counting starts afresh`,
      },
      nextState: { ...afterEpisode(state), highStreak: 0, lowStreak: 0 },
    };
  }

  const bad = inconclusiveReason(assessment);
  if (bad !== undefined) {
    // The rollout is the cluster's own status, not Prometheus': it keeps being followed.
    const ro =
      state.phase === 'stabilising' && !state.pendingAction ? rolloutState(workload) : undefined;
    const held: HealMemory = {
      ...state,
      ...breakStreaks(),
      judgeHigh: undefined,
      judgeLow: undefined,
      ...(ro?.kind === 'complete' ? { rolloutDoneAt: state.rolloutDoneAt ?? now } : {}),
    };
    if (assessment.kind === 'inconclusive' && assessment.warming) {
      // The bounded warm-up after a start: held as inconclusive (no action, no streak, no
      // judgement of a step), but it is no outage of data — no alert, and the inconclusive
      // clock neither starts nor resets.
      return {
        decision: { kind: 'inconclusive', reason: bad, sinceMs: 0, alert: false, warming: true },
        nextState: held,
      };
    }
    const since = state.inconclusiveSince ?? now;
    const alert = !state.inconclusiveNotified && now - since >= rules.inconclusiveAlertMs;
    return {
      decision: { kind: 'inconclusive', reason: bad, sinceMs: now - since, alert },
      nextState: {
        ...held,
        inconclusiveSince: since,
        inconclusiveNotified: state.inconclusiveNotified || alert || undefined,
      },
    };
  }
  const { risk, explanation, cause } = assessment as Extract<Assessment, { kind: 'scored' }>;
  // A deterministic layer's reason explains a risk it set; the model's signals explain its own.
  // The reasons are built only on the paths that return them: most rows are healthy and
  // below the threshold, and need none of them.
  const top = (): string =>
    cause ? `; ${cause}` : explanation.length > 0 ? `; top ${topFeatures(explanation)}` : '';
  const streaks = advanceStreaks(state, risk, rules, now);
  const s: HealMemory = {
    ...state,
    highStreak: streaks.highStreak,
    lowStreak: streaks.lowStreak,
    lastSampleAt: streaks.lastSampleAt,
    lastRisk: risk,
    lastAssessedAt: now,
    inconclusiveSince: undefined,
    inconclusiveNotified: undefined,
  };
  const highRule = (): string =>
    `risk ${fmt(risk)} ≥ ${fmt(rules.high)} for ${Math.min(s.highStreak, rules.enterCycles)}/${rules.enterCycles} cycles${top()}`;
  const none = (reason: string, outcome?: StepOutcome): PolicyResult => ({
    decision: outcome ? { kind: 'none', reason, outcome } : { kind: 'none', reason },
    nextState: s,
  });

  const recover = (why: string): PolicyResult => {
    const durationMs = now - (state.episodeStartedAt ?? now);
    const by = state.curedBy ? ` after ${actionLabel(state.curedBy)}` : '';
    const reason = `${why}: recovered${by} in ${Math.round(durationMs / 1000)} s`;
    const decision: Decision = {
      kind: 'recovered',
      durationMs,
      attempts: state.attempt,
      reason,
      ...(state.curedBy ? { curedBy: state.curedBy } : {}),
      ...(state.curedBy && state.curedStep ? { curedStep: state.curedStep } : {}),
    };
    return { decision, nextState: afterEpisode(s) };
  };
  const lowRule = (): string =>
    `risk ${fmt(risk)} < ${fmt(rules.low)} for ${Math.min(s.lowStreak, rules.exitCycles)}/${rules.exitCycles} cycles`;

  switch (state.phase) {
    case 'healthy': {
      if (entered(s, rules.enterCycles))
        return climb(s, rules, 1, risk, now, highRule(), undefined, release);
      if (risk >= rules.high) return none(`${highRule()}: waiting for ${rules.enterCycles} cycles`);
      return none(`risk ${fmt(risk)} < ${fmt(rules.high)}`);
    }
    case 'stabilising':
      return stabilise(
        state,
        s,
        assessment as Extract<Assessment, { kind: 'scored' }>,
        rules,
        now,
        top(),
      );
    case 'recovering': {
      if (exited(s, rules.exitCycles)) return recover(lowRule());
      const since = state.recoveringSince ?? now;
      if (now - since >= rules.recoveryTimeoutMs) {
        return recover(
          `risk ${fmt(risk)} stayed < ${fmt(rules.high)} for ${Math.round((now - since) / 1000)} s ≥ recovery time limit ${Math.round(rules.recoveryTimeoutMs / 1000)} s (not < ${fmt(rules.low)} for ${rules.exitCycles} cycles)`,
        );
      }
      if (entered(s, rules.enterCycles)) {
        return climb(
          s,
          rules,
          s.step + 1,
          risk,
          now,
          `${highRule()}: the cure did not hold`,
          undefined,
          release,
        );
      }
      return {
        decision: {
          kind: 'none',
          reason: `recovering: risk ${fmt(risk)}; ${s.lowStreak}/${rules.exitCycles} cycles < ${fmt(rules.low)}`,
        },
        nextState: { ...s, recoveringSince: since },
      };
    }
    case 'needs_attention': {
      if (exited(s, rules.exitCycles)) return recover(lowRule());
      return none(`needs attention: paged; no further actions (risk ${fmt(risk)})`);
    }
  }
}

/** `stabilising`: a pending retry, the step's rollout, the settle time, then the judgement. */
function stabilise(
  state: HealMemory,
  s: HealMemory,
  a: Extract<Assessment, { kind: 'scored' }>,
  rules: HealRules,
  now: number,
  top: string,
): PolicyResult {
  const risk = a.risk;
  const at = stepName(state.step, rules);
  const release = a.workload?.release;
  if (state.pendingAction) {
    const errors = state.actionErrors ?? 0;
    if (state.retryAt !== undefined && now < state.retryAt) {
      const remainingMs = state.retryAt - now;
      return {
        decision: {
          kind: 'wait',
          remainingMs,
          reason: `retrying ${at} in ${Math.ceil(remainingMs / 1000)} s after action error ${errors}/${rules.actionErrorLimit}${state.lastError ? `: ${state.lastError}` : ''}`,
        },
        nextState: s,
      };
    }
    const action = rules.ladder[state.step - 1];
    if (risk >= rules.high && action !== undefined && action !== 'page') {
      return {
        decision: {
          kind: 'act',
          action,
          step: state.step,
          attempt: state.attempt,
          escalated: state.step > 1,
          retry: errors,
          reason: `risk ${fmt(risk)} ≥ ${fmt(rules.high)}${top}; retrying ${at} after action error ${errors}/${rules.actionErrorLimit} → ${actionLabel(action)} (attempt ${state.attempt}/${actionRungs(rules)})`,
        },
        nextState: { ...s, stepStartedAt: now },
      };
    }
    return {
      decision: {
        kind: 'none',
        reason: `risk ${fmt(risk)} < ${fmt(rules.high)} before ${at} could run: not retried`,
      },
      nextState: {
        ...s,
        ...STEP_RESET,
        phase: 'recovering',
        recoveringSince: now,
      },
    };
  }

  const ro = rolloutState(a.workload);
  if (ro.kind === 'failed') {
    const outcome = outcomeOf(state, rules, risk, false, ro.detail);
    return climb(
      s,
      rules,
      state.step + 1,
      risk,
      now,
      `${at} failed: ${ro.detail}`,
      outcome,
      release,
    );
  }
  if (ro.kind === 'progressing') {
    return {
      decision: { kind: 'wait', reason: `rolling out ${at}: ${ro.detail} (risk ${fmt(risk)})` },
      nextState: { ...s, rolloutDoneAt: undefined, judgeHigh: undefined, judgeLow: undefined },
    };
  }
  const doneAt = state.rolloutDoneAt ?? now;
  const settled = now - doneAt;
  if (settled < rules.stabilisationMs) {
    const remainingMs = rules.stabilisationMs - settled;
    return {
      decision: {
        kind: 'wait',
        remainingMs,
        reason: `${at} rolled out; settling: ${Math.ceil(remainingMs / 1000)} s of ${Math.round(rules.stabilisationMs / 1000)} s left (risk ${fmt(risk)})`,
      },
      nextState: { ...s, rolloutDoneAt: doneAt, judgeHigh: undefined, judgeLow: undefined },
    };
  }
  const isSpaced = spaced(state.lastSampleAt, now, rules.minSampleIntervalMs);
  const judgeHigh = advanceCount(state.judgeHigh ?? 0, risk >= rules.high, isSpaced);
  const judgeLow = advanceCount(state.judgeLow ?? 0, risk < rules.high, isSpaced);
  const judged: HealMemory = { ...s, rolloutDoneAt: doneAt, judgeHigh, judgeLow };
  const n = rules.enterCycles;
  // Judged "not cured" already and its escalation held back: the verdict stands.
  if (judgeHigh >= n || (state.stepJudged && risk >= rules.high)) {
    const outcome = outcomeOf(state, rules, risk, false);
    const why = `risk ${fmt(risk)} ≥ ${fmt(rules.high)} for ${n}/${n} cycles after ${at} rolled out and settled (was ${fmt(state.riskBefore ?? risk)})${top}`;
    return climb(judged, rules, state.step + 1, risk, now, why, outcome, release);
  }
  if (judgeLow >= n) {
    const action = rules.ladder[state.step - 1];
    // A step already judged "not cured" (its escalation was held back) cannot claim the cure.
    const cured = !state.stepJudged && action !== undefined;
    const outcome = outcomeOf(state, rules, risk, true);
    const next: HealMemory = {
      ...judged,
      phase: 'recovering',
      stepJudged: undefined,
      judgeHigh: undefined,
      judgeLow: undefined,
      recoveringSince: now,
      curedBy: cured ? action : undefined,
      curedStep: cured ? state.step : undefined,
    };
    const reason = cured
      ? `cured by ${actionLabel(action)}: risk ${fmt(state.riskBefore ?? risk)} → ${fmt(risk)} < ${fmt(rules.high)} for ${n}/${n} cycles`
      : `risk ${fmt(risk)} < ${fmt(rules.high)} without ${at} curing it`;
    return {
      decision: outcome ? { kind: 'none', reason, outcome } : { kind: 'none', reason },
      nextState: next,
    };
  }
  const high = judgeHigh > 0;
  return {
    decision: {
      kind: 'wait',
      reason: `judging ${at}: risk ${fmt(risk)} ${high ? '≥' : '<'} ${fmt(rules.high)} for ${high ? judgeHigh : judgeLow}/${n} cycles`,
    },
    nextState: judged,
  };
}

/** What the cluster said about a rung the loop tried to carry out. */
export interface ActionOutcome {
  status: 'done' | 'skipped' | 'refused' | 'failed';
  detail: string;
  /** A refusal that will not change by retrying (no earlier release to roll back to). */
  permanent?: boolean;
  /** The release the deployment runs after the write (a rollback changes it). */
  release?: string;
  /** The release a rollback rolled back from (remembered as bad). */
  fromRelease?: string;
}

/** Releases remembered as bad, newest last. */
export const MAX_BAD_RELEASES = 10;

/**
 * The memory after the loop tried to carry out an `act` decision. Pure. Done: the step's rollout
 * is followed from now on. Failed or refused: an error, not a reason to climb —
 * the same rung is retried with back-off (`actionRetryBaseMs` doubling up to `actionRetryMaxMs`)
 * until `actionErrorLimit` consecutive errors, then the healer holds and pages; a permanent
 * refusal pages at once.
 */
export function afterAction(
  next: HealMemory,
  result: ActionOutcome,
  rules: HealRules,
  now: number,
): { state: HealMemory; page?: string } {
  const at = stepName(next.step, rules);
  if (result.status === 'done' || result.status === 'skipped') {
    const bad =
      result.fromRelease && result.fromRelease !== result.release
        ? [...(next.badReleases ?? []).filter((r) => r !== result.fromRelease), result.fromRelease]
        : next.badReleases;
    return {
      state: {
        ...next,
        pendingAction: undefined,
        actionErrors: undefined,
        retryAt: undefined,
        lastError: undefined,
        stepStartedAt: now,
        rolloutDoneAt: undefined,
        judgeHigh: undefined,
        judgeLow: undefined,
        ...(result.release ? { release: result.release } : {}),
        ...(bad?.length ? { badReleases: bad.slice(-MAX_BAD_RELEASES) } : {}),
      },
    };
  }
  const errors = (next.actionErrors ?? 0) + 1;
  const detail = result.detail.slice(0, 300);
  const held = (reason: string): { state: HealMemory; page: string } => ({
    state: {
      ...next,
      phase: 'needs_attention',
      pendingAction: undefined,
      retryAt: undefined,
      actionErrors: errors,
      lastError: detail,
    },
    page: reason,
  });
  if (result.permanent) {
    return held(
      `${at} ${result.status}: ${detail}; holding and paging (retrying cannot change it)`,
    );
  }
  if (errors > rules.actionErrorLimit) {
    return held(
      `${at}: consecutive action errors (${errors}) > actionErrorLimit (${rules.actionErrorLimit}); last: ${detail}; holding and paging`,
    );
  }
  const delay = Math.min(rules.actionRetryMaxMs, rules.actionRetryBaseMs * 2 ** (errors - 1));
  return {
    state: {
      ...next,
      pendingAction: true,
      actionErrors: errors,
      retryAt: now + delay,
      lastError: detail,
    },
  };
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
    lastSampleAt: next.lastSampleAt,
    lastRisk: next.lastRisk,
    lastAssessedAt: next.lastAssessedAt,
    judgeHigh: next.judgeHigh,
    judgeLow: next.judgeLow,
    rolloutDoneAt:
      previous.phase === 'stabilising'
        ? (next.rolloutDoneAt ?? previous.rolloutDoneAt)
        : previous.rolloutDoneAt,
    inconclusiveSince: undefined,
    inconclusiveNotified: undefined,
  };
}
