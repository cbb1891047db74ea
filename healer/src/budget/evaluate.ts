import type { BudgetLimits, BudgetRequest, BudgetRule, LedgerEntry } from './types.js';

export type BudgetEvaluation =
  { allowed: true } | { allowed: false; rule: BudgetRule; message: string };

const HOUR_MS = 3_600_000;

/**
 * Decides whether `request` fits the budgets, given every action in `ledger`. Pure: no clock, no
 * I/O. Rules are checked in order — per deployment (cooldown, actions per hour), then global
 * (concurrent heals, rollbacks per hour, scale-ups per hour) — and the first that fails is named.
 *
 * `page` is never denied: paging a human changes nothing in the cluster and is what a team wants
 * most when budgets are exhausted.
 */
export function evaluateBudget(
  ledger: readonly LedgerEntry[],
  request: BudgetRequest,
  limits: BudgetLimits,
  now: Date,
): BudgetEvaluation {
  if (request.action === 'page') return { allowed: true };
  const t = now.getTime();
  const target = `${request.namespace}/${request.name}`;
  const hourAgo = t - HOUR_MS;
  const mine = ledger.filter((e) => e.namespace === request.namespace && e.name === request.name);

  const last = mine.reduce<number | undefined>(
    (m, e) => (e.failed || (m !== undefined && e.at <= m) ? m : e.at),
    undefined,
  );
  const cooldownMs = limits.perDeployment.cooldownSeconds * 1000;
  if (last !== undefined && t - last < cooldownMs) {
    const ago = Math.max(0, Math.round((t - last) / 1000));
    return deny(
      'cooldown',
      `cooldown: last action on ${target} ${ago} s ago < cooldown ${limits.perDeployment.cooldownSeconds} s`,
    );
  }

  const mineInHour = mine.filter((e) => e.at > hourAgo).length;
  if (mineInHour >= limits.perDeployment.maxActionsPerHour) {
    return deny(
      'max_actions_per_hour',
      `max_actions_per_hour: ${mineInHour} action attempts on ${target} in the last hour ≥ limit ${limits.perDeployment.maxActionsPerHour}`,
    );
  }

  const windowStart = t - limits.global.concurrencyWindowSeconds * 1000;
  const healing = new Set<string>();
  for (const e of ledger) {
    if (e.at > windowStart && e.action !== 'page') healing.add(`${e.namespace}/${e.name}`);
  }
  // A deployment already being healed may escalate: it holds its slot.
  if (!healing.has(target) && healing.size >= limits.global.maxConcurrentHeals) {
    return deny(
      'max_concurrent_heals',
      `max_concurrent_heals: ${healing.size} deployments healing (action in the last ${limits.global.concurrencyWindowSeconds} s) ≥ limit ${limits.global.maxConcurrentHeals}; ${target} must wait`,
    );
  }

  if (request.action === 'rollback') {
    const n = ledger.filter((e) => e.action === 'rollback' && e.at > hourAgo).length;
    if (n >= limits.global.maxRollbacksPerHour) {
      return deny(
        'max_rollbacks_per_hour',
        `max_rollbacks_per_hour: ${n} rollbacks in the last hour ≥ limit ${limits.global.maxRollbacksPerHour}; not rolling back ${target}`,
      );
    }
  }

  if (request.action === 'restart_scale') {
    const n = ledger.filter((e) => e.action === 'restart_scale' && e.at > hourAgo).length;
    if (n >= limits.global.maxScaleUpsPerHour) {
      return deny(
        'max_scale_ups_per_hour',
        `max_scale_ups_per_hour: ${n} scale-ups in the last hour ≥ limit ${limits.global.maxScaleUpsPerHour}; not scaling ${target}`,
      );
    }
  }
  return { allowed: true };
}

function deny(rule: BudgetRule, message: string): BudgetEvaluation {
  return { allowed: false, rule, message };
}

/** How long entries matter: the longest of the hour, the cooldown and the concurrency window. */
export function ledgerHorizonMs(limits: BudgetLimits): number {
  return Math.max(
    HOUR_MS,
    limits.perDeployment.cooldownSeconds * 1000,
    limits.global.concurrencyWindowSeconds * 1000,
  );
}
