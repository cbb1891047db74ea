import type { RiskLevel } from '@aiops/model/schema';
import type { ActionOutcome, DeploymentStatus, HealAction, HealState } from '@aiops/healer/api';

/** The heal ladder in order; `step` N is `LADDER[N - 1]`. */
export const LADDER: readonly HealAction[] = [
  'restart_scale',
  'cache_clear_restart',
  'rollback',
  'page',
];

export const ACTION_LABELS: Record<HealAction, string> = {
  restart_scale: 'restart + scale up',
  cache_clear_restart: 'clear cache + restart',
  rollback: 'roll back',
  page: 'page a human',
};

export const OUTCOME_LABELS: Record<ActionOutcome, string> = {
  pending: 'pending',
  cured: 'cured',
  not_cured: 'not cured',
  failed: 'failed',
  skipped: 'skipped',
};

/** Visual tone of a state badge; the text always says the same thing without the colour. */
export type Tone = 'ok' | 'info' | 'warn' | 'bad' | 'muted';

/** What the overview's state filter can select: every heal state, plus "in dry-run". */
export type StateFilterKey = HealState | 'dry_run';

export const STATE_FILTER_KEYS: readonly StateFilterKey[] = [
  'healthy',
  'watching',
  'healing',
  'rolled_back',
  'needs_attention',
  'inconclusive',
  'dry_run',
];

const BASE_LABELS: Record<HealState, string> = {
  healthy: 'healthy',
  watching: 'watching',
  healing: 'healing',
  rolled_back: 'rolled back',
  needs_attention: 'needs attention',
  inconclusive: 'inconclusive',
};

const TONES: Record<HealState, Tone> = {
  healthy: 'ok',
  watching: 'info',
  healing: 'warn',
  rolled_back: 'warn',
  needs_attention: 'bad',
  inconclusive: 'muted',
};

/** Most urgent first: the order the state column sorts in. */
export const STATE_SEVERITY: Record<HealState, number> = {
  needs_attention: 5,
  healing: 4,
  rolled_back: 3,
  inconclusive: 2,
  watching: 1,
  healthy: 0,
};

export function stateFilterLabel(key: StateFilterKey): string {
  return key === 'dry_run' ? 'dry-run' : BASE_LABELS[key];
}

export interface StateView {
  state: HealState;
  /** e.g. `healing step 2`, `dry-run · healing step 1`, `needs attention`. */
  label: string;
  /** The rung's action while healing, e.g. `clear cache + restart`. */
  detail?: string;
  tone: Tone;
}

/** Maps a deployment's heal state to what the overview and detail pages show. */
export function describeState(s: Pick<DeploymentStatus, 'state' | 'step' | 'dryRun'>): StateView {
  const state: HealState = s.state in BASE_LABELS ? s.state : 'inconclusive';
  let label = BASE_LABELS[state];
  let detail: string | undefined;
  if (state === 'healing' && Number.isInteger(s.step) && s.step >= 1) {
    label = `healing step ${s.step}`;
    const action = LADDER[s.step - 1];
    if (action) detail = ACTION_LABELS[action];
  }
  if (s.dryRun) label = `dry-run · ${label}`;
  return { state, label, ...(detail ? { detail } : {}), tone: TONES[state] };
}

/** The filter keys a deployment matches: its state, and `dry_run` when it is in dry-run. */
export function stateKeys(s: Pick<DeploymentStatus, 'state' | 'dryRun'>): StateFilterKey[] {
  return s.dryRun ? [s.state, 'dry_run'] : [s.state];
}

/** Text for a level, `unknown` when no conclusive assessment exists. */
export function levelLabel(level: RiskLevel | null | undefined): string {
  return level ?? 'unknown';
}

/** A glyph per level so the level reads without colour (and in a monochrome screenshot). */
export const LEVEL_GLYPHS: Record<RiskLevel | 'unknown', string> = {
  low: '●',
  elevated: '▲',
  high: '◆',
  critical: '■',
  unknown: '○',
};

/** Whether an action was (or will be) cluster-changing: dry-run actions are "would have". */
export function actionVerb(a: { action: HealAction; dryRun: boolean; step: number }): string {
  const what = ACTION_LABELS[a.action] ?? a.action;
  return `${a.dryRun ? 'would ' : ''}${what} (step ${a.step})`;
}
