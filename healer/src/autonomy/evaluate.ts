/**
 * Autonomy earned from evidence (pure): per namespace and action type, the dry-run shadow ledger's
 * judged would-be actions are counted — a would-be action whose risk did NOT go away by itself was
 * needed (a true positive), one whose risk went away was not (a false positive). Over the last
 * `window` judged entries, precision = needed / judged. The level:
 *
 *   fewer than `minEpisodes` judged         → shadow   (no evidence: a person approves)
 *   precision ≥ `autoAt`                    → auto
 *   precision ≥ `approveAt`                 → approve
 *   otherwise                               → shadow
 *
 * It is recomputed from the ledger every cycle, so a level falls back as soon as precision drops.
 * A level only ever tightens the configured gate: `auto` here never loosens an `approve` gate.
 */
import type { HealAction } from '../api/types.js';
import type { GateMode } from '../humans/schema.js';
import type { ShadowEntry } from '../loop/shadow.js';

export type AutonomyLevel = 'shadow' | 'approve' | 'auto';

/** A judged would-be action: a dry-run entry, or a person's decision (`humanEvidence.ts`). */
export type Evidence = ShadowEntry & { byHuman?: boolean };

export interface AutonomySettings {
  minEpisodes: number;
  approveAt: number;
  autoAt: number;
  window: number;
}

export interface AutonomyRow {
  namespace: string;
  action: HealAction;
  level: AutonomyLevel;
  /** Judged would-be actions counted (the last `window`). */
  judged: number;
  needed: number;
  /** Of the judged, decided by a person on an approval request. */
  byHumans: number;
  precision: number | null;
  /** Why this level: names the rule and the values. */
  reason: string;
}

export function evaluateAutonomy(entries: readonly Evidence[], s: AutonomySettings): AutonomyRow[] {
  const groups = new Map<string, Evidence[]>();
  for (const e of entries) {
    if (e.resolvedByItself === undefined || e.action === 'page') continue;
    const k = `${e.namespace}\u0000${e.action}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const rows: AutonomyRow[] = [];
  for (const [k, all] of groups) {
    const [namespace, action] = k.split('\u0000') as [string, HealAction];
    const last = [...all].sort((a, b) => a.at.localeCompare(b.at)).slice(-s.window);
    const needed = last.filter((e) => !e.resolvedByItself).length;
    const judged = last.length;
    const byHumans = last.filter((e) => e.byHuman).length;
    const of = byHumans > 0 ? ` (${byHumans} decided by a person)` : '';
    const precision = judged > 0 ? needed / judged : null;
    const p = precision ?? 0;
    const pct = (x: number) => `${Math.round(x * 100)} %`;
    let level: AutonomyLevel;
    let reason: string;
    if (judged < s.minEpisodes) {
      level = 'shadow';
      reason = `${judged}/${s.minEpisodes} judged would-be actions${of}: not enough evidence`;
    } else if (p >= s.autoAt) {
      level = 'auto';
      reason = `precision ${pct(p)} ≥ ${pct(s.autoAt)} over ${judged}${of}`;
    } else if (p >= s.approveAt) {
      level = 'approve';
      reason = `precision ${pct(p)} ≥ ${pct(s.approveAt)} (< ${pct(s.autoAt)}) over ${judged}${of}`;
    } else {
      level = 'shadow';
      reason = `precision ${pct(p)} < ${pct(s.approveAt)} over ${judged}${of}`;
    }
    rows.push({ namespace, action, level, judged, needed, byHumans, precision, reason });
  }
  return rows.sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.action.localeCompare(b.action),
  );
}

/** The gate after autonomy: the stricter of the configured gate and the earned level. */
export function withAutonomy(configured: GateMode, earned: AutonomyLevel | undefined): GateMode {
  if (configured === 'off' || configured === 'approve') return configured;
  // Without evidence (shadow) or with some (approve), a person approves.
  return earned === undefined || earned === 'auto' ? 'auto' : 'approve';
}
