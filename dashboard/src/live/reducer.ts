import type {
  ActionRecord,
  DeploymentDetail,
  DeploymentStatus,
  NotificationRecord,
  StreamMessage,
} from '@aiops/healer/api';
import { parseTime } from '../view/format';
import { deploymentKey } from '../view/overview';

/** An action with the deployment it belongs to (the stream's `action` message, flattened). */
export interface KnownAction extends ActionRecord {
  namespace: string;
  name: string;
}

/** What the dashboard knows right now: the latest status per deployment and recent actions. */
export interface LiveState {
  byKey: Readonly<Record<string, DeploymentStatus>>;
  /** Newest first, bounded by `MAX_ACTIONS`. */
  actions: readonly KnownAction[];
  /** Set once the first snapshot arrived; until then the overview says "loading". */
  loaded: boolean;
}

export const EMPTY_LIVE: LiveState = { byKey: {}, actions: [], loaded: false };
export const MAX_ACTIONS = 500;
/** Points kept in a sparkline when the stream, not the snapshot, extends the trend. */
export const MAX_TREND = 60;

export type LiveEvent =
  | { type: 'snapshot'; deployments: readonly DeploymentStatus[] }
  | { type: 'message'; message: StreamMessage };

function isNewer(a: string | undefined, b: string | undefined): boolean {
  const ta = parseTime(a);
  const tb = parseTime(b);
  if (!Number.isFinite(tb)) return true;
  if (!Number.isFinite(ta)) return false;
  return ta >= tb;
}

/** Same action record: one rung attempt, whose outcome may be updated later. */
function sameAction(a: ActionRecord, b: ActionRecord): boolean {
  return a.at === b.at && a.step === b.step && a.attempt === b.attempt && a.action === b.action;
}

function rememberAction(actions: readonly KnownAction[], a: KnownAction): KnownAction[] {
  const rest = actions.filter(
    (x) => !(x.namespace === a.namespace && x.name === a.name && sameAction(x, a)),
  );
  const merged = [a, ...rest];
  merged.sort((x, y) => (parseTime(y.at) || 0) - (parseTime(x.at) || 0));
  return merged.slice(0, MAX_ACTIONS);
}

/**
 * The assessment's own trend wins when it has one; otherwise the new point is appended to the trend
 * we already have, so sparklines keep moving even if the healer sends a bare status.
 */
function mergeTrend(prev: DeploymentStatus | undefined, next: DeploymentStatus): DeploymentStatus {
  if (next.trend?.length || !prev) return { ...next, trend: next.trend ?? [] };
  const trend =
    next.risk == null || !Number.isFinite(next.risk)
      ? prev.trend
      : [...prev.trend, { t: next.updatedAt, risk: next.risk }].slice(-MAX_TREND);
  return { ...next, trend };
}

/** The SSE reducer: a snapshot (GET /api/deployments) or one StreamMessage → the next LiveState. */
export function liveReducer(state: LiveState, event: LiveEvent): LiveState {
  if (event.type === 'snapshot') {
    const byKey: Record<string, DeploymentStatus> = {};
    let actions = state.actions;
    for (const d of event.deployments) {
      const key = deploymentKey(d);
      const seen = state.byKey[key];
      // A message streamed while the snapshot was in flight may be newer than the snapshot row.
      byKey[key] = seen && !isNewer(d.updatedAt, seen.updatedAt) ? seen : d;
      const last = byKey[key]?.lastAction;
      if (last)
        actions = rememberAction(actions, { ...last, namespace: d.namespace, name: d.name });
    }
    return { byKey, actions, loaded: true };
  }

  const m = event.message;
  switch (m.type) {
    case 'assessment': {
      const key = deploymentKey(m.deployment);
      const prev = state.byKey[key];
      if (prev && !isNewer(m.deployment.updatedAt, prev.updatedAt)) return state; // out of order
      const next = mergeTrend(prev, m.deployment);
      let actions = state.actions;
      if (next.lastAction)
        actions = rememberAction(actions, {
          ...next.lastAction,
          namespace: next.namespace,
          name: next.name,
        });
      return { ...state, byKey: { ...state.byKey, [key]: next }, actions };
    }
    case 'action': {
      const key = deploymentKey(m);
      const prev = state.byKey[key];
      const actions = rememberAction(state.actions, {
        ...m.action,
        namespace: m.namespace,
        name: m.name,
      });
      if (!prev || (prev.lastAction && !isNewer(m.action.at, prev.lastAction.at)))
        return { ...state, actions };
      return {
        ...state,
        byKey: { ...state.byKey, [key]: { ...prev, lastAction: m.action } },
        actions,
      };
    }
    case 'notification':
      return state;
  }
}

/** The overview's rows. */
export function deploymentsOf(state: LiveState): DeploymentStatus[] {
  return Object.values(state.byKey);
}

/** Applies a stream message to an open detail page, if it is about that deployment. */
export function applyToDetail(detail: DeploymentDetail, m: StreamMessage): DeploymentDetail {
  const ns = m.type === 'assessment' ? m.deployment.namespace : m.namespace;
  const name = m.type === 'assessment' ? m.deployment.name : m.name;
  if (ns !== detail.namespace || name !== detail.name) return detail;
  switch (m.type) {
    case 'assessment': {
      const d = m.deployment;
      if (!isNewer(d.updatedAt, detail.updatedAt)) return detail;
      const last = detail.history.at(-1);
      const history =
        d.risk != null &&
        Number.isFinite(d.risk) &&
        (!last || parseTime(d.updatedAt) > parseTime(last.t))
          ? [...detail.history, { t: d.updatedAt, risk: d.risk }]
          : detail.history;
      return { ...detail, ...d, trend: d.trend?.length ? d.trend : detail.trend, history };
    }
    case 'action': {
      const actions = detail.actions.filter((a) => !sameAction(a, m.action)).concat(m.action);
      actions.sort((a, b) => (parseTime(a.at) || 0) - (parseTime(b.at) || 0));
      const lastAction =
        !detail.lastAction || isNewer(m.action.at, detail.lastAction.at)
          ? m.action
          : detail.lastAction;
      return { ...detail, actions, lastAction };
    }
    case 'notification': {
      const n: NotificationRecord = m.notification;
      if (detail.notifications.some((x) => x.at === n.at && x.kind === n.kind && x.text === n.text))
        return detail;
      return { ...detail, notifications: [...detail.notifications, n] };
    }
  }
}
