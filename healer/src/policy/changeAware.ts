/**
 * The change-aware ladder (pure): when risk crosses into an episode soon after someone else rolled
 * out a new release, the likeliest cause is the release, and a restart would only hide it for a
 * while. The first rung becomes rollback (still subject to its approval gate), and the reason
 * names the change.
 */
import { actionLabel } from './decide.js';
import type { Decision, HealMemory, HealRules } from './types.js';

/** A release someone rolled out, as the loop saw it. */
export interface ReleaseChange {
  /** When the loop first saw the new revision (ms). */
  at: number;
  revision: number;
  /** What changed between the two templates: `image web: shop/web:1.4.2 → shop/web:1.4.3`. */
  diff: string[];
  /** The healer's own rollback made it. */
  byHealer: boolean;
  /**
   * The deployment was already at risk (an episode, or a high streak) when the release appeared:
   * the release did not make risk rise — it may be someone's fix — so it is not rolled back first.
   */
  whileAtRisk?: boolean;
}

export function changeAware(
  result: { decision: Decision; nextState: HealMemory },
  memory: HealMemory,
  rules: Pick<HealRules, 'ladder'>,
  change: ReleaseChange | undefined,
  now: number,
  windowMs: number,
): { decision: Decision; nextState: HealMemory } {
  const d = result.decision;
  if (d.kind !== 'act' || d.escalated || memory.step !== 0 || d.action === 'rollback')
    return result;
  if (!change || change.byHealer || change.whileAtRisk || now - change.at > windowMs) return result;
  const i = rules.ladder.indexOf('rollback');
  if (i < 0) return result;
  const step = i + 1;
  const why = d.reason.split(' → ')[0];
  const ago = Math.round((now - change.at) / 1000);
  const what = change.diff.length > 0 ? change.diff.join('; ') : 'template changed';
  const reason = `${why}; revision ${change.revision} rolled out ${ago} s ago (${what}) → ${actionLabel('rollback')} first (attempt ${d.attempt}/${rules.ladder.filter((a) => a !== 'page').length}), not a restart that would hide a bad release`;
  return {
    decision: { ...d, action: 'rollback', step, reason },
    nextState: { ...result.nextState, step },
  };
}
