/**
 * A person's decision on an approval request is evidence too (pure). Once a namespace runs for real
 * (not dry-run), its gated rungs wait for a human and the shadow ledger gets no new entries: without
 * this, a level earned in dry-run could never rise further, and a person's "no" would not lower it.
 * Each decided request counts as one judged would-be action:
 *
 *   done       approved, re-checked (still high, same release) and carried out → needed
 *   rejected   a person said no                                                → not needed
 *
 * Nothing else judges: an expired request (nobody answered), a stale one (approved, but the
 * re-check failed), nor a withdrawn one — the rung stopped being asked for, which may be risk
 * falling by itself but also a silence, the fleet guard or a budget holding it back, none of them
 * saying the action was not needed. The records come from the approvals' own store (the last 200 kept), so this evidence
 * outlives the leader with them.
 */
import type { Approval } from '../approval/types.js';
import type { Evidence } from './evaluate.js';

const NEEDED: Partial<Record<Approval['state'], boolean>> = {
  done: true,
  rejected: false,
};

export function approvalEvidence(approvals: readonly Approval[]): Evidence[] {
  const out: Evidence[] = [];
  for (const a of approvals) {
    const needed = NEEDED[a.state];
    if (needed === undefined) continue;
    out.push({
      at: a.requestedAt,
      namespace: a.namespace,
      name: a.name,
      action: a.action,
      step: a.step,
      attempt: a.attempt,
      riskBefore: a.risk,
      reason: a.reason,
      windowEndsAt: a.decidedAt ?? a.requestedAt,
      resolvedByItself: !needed,
      byHuman: true,
    });
  }
  return out;
}
