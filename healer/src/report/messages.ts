/**
 * Pure builders for what the loop reports: notifications (with their deduplication keys), action
 * records, step-outcome messages and the status-API projection of a deployment. No I/O, no clock:
 * the loop passes the time in, so each builder is table-tested.
 */
import { riskLevel } from '@aiops/model/schema';
import type {
  ActionRecord,
  DeploymentStatus,
  HealAction,
  HealState,
  RiskPoint,
} from '../api/types.js';
import type { HealerConfig } from '../config.js';
import type { NotifyKind, NotifyMessage } from '../notify/types.js';
import { actionLabel, fmt } from '../policy/decide.js';
import type { Assessment, Decision, HealMemory, StepOutcome } from '../policy/types.js';
import type { ReportInput } from './reporter.js';
import { EVENT_REASONS, type EventReason, type EventSubject } from './types.js';

export type ScoredAssessment = Extract<Assessment, { kind: 'scored' }>;

/** What every notification about one deployment carries. */
export interface NoticeContext {
  namespace: string;
  name: string;
  ladder: readonly HealAction[];
  dryRun: boolean;
  /** This cycle's conclusive assessment, if any: risk, level and top signals. */
  scored?: ScoredAssessment | undefined;
  links: NotifyMessage['links'];
  /** Episode start (ms), attempt and step: the deduplication key names them. */
  episode: number;
  attempt: number;
  step: number;
}

/** A notification about one deployment; the dedup key names the episode, attempt and step. */
export function notice(
  c: NoticeContext,
  kind: NotifyKind,
  title: string,
  detail: string,
  extra: Partial<NotifyMessage> = {},
): NotifyMessage {
  const key = `${c.namespace}/${c.name}`;
  return {
    kind,
    namespace: c.namespace,
    name: c.name,
    title,
    detail,
    ...(c.scored
      ? { risk: c.scored.risk, level: c.scored.level, top: c.scored.explanation.slice(0, 3) }
      : {}),
    attempts: c.ladder.filter((a) => a !== 'page').length,
    dryRun: c.dryRun || undefined,
    links: c.links,
    dedupKey: `${key}:${kind}:${c.episode}:${c.attempt}:${c.step}`,
    ...extra,
  };
}

/** The Slack buttons configured (`links.dashboard`, `links.grafana`). */
export function linksOf(l: HealerConfig['links']): NotifyMessage['links'] {
  return {
    ...(l.dashboard ? { dashboard: l.dashboard } : {}),
    ...(l.grafana ? { grafana: l.grafana } : {}),
  };
}

/** An action record for the status API. */
export function actionRecord(
  d: { action: HealAction; step: number; attempt: number },
  at: string,
  riskBefore: number,
  outcome: ActionRecord['outcome'],
  message: string,
  dryRun: boolean,
): ActionRecord {
  return {
    at,
    step: d.step,
    action: d.action,
    attempt: d.attempt,
    dryRun,
    riskBefore,
    outcome,
    message,
  };
}

/** `step 1 restart + scale up cured it: risk 0.93 → 0.12 (threshold 0.80)`. */
export function outcomeMessage(o: StepOutcome, high: number): string {
  return `step ${o.step} ${actionLabel(o.action)} ${o.cured ? 'cured it' : 'did not cure it'}: risk ${fmt(o.riskBefore)} → ${fmt(o.riskAfter)} (threshold ${fmt(high)})`;
}

/** Where a deployment stands, from the memory the cycle ends with and its decision. */
export function healState(m: HealMemory, ladder: readonly HealAction[], d: Decision): HealState {
  if (d.kind === 'inconclusive') return 'inconclusive';
  if (m.phase === 'needs_attention') return 'needs_attention';
  if (m.phase === 'stabilising' || m.phase === 'recovering')
    return ladder[m.step - 1] === 'rollback' ? 'rolled_back' : 'healing';
  return m.highStreak > 0 ? 'watching' : 'healthy';
}

export interface StatusInput {
  namespace: string;
  name: string;
  ladder: readonly HealAction[];
  dryRun: boolean;
  /** The memory this cycle ends with. */
  memory: HealMemory;
  assessment: Assessment;
  decision: Decision;
  trend: readonly RiskPoint[];
  now: number;
}

/** The status-API row of one deployment. */
export function deploymentStatus(i: StatusInput): DeploymentStatus {
  const m = i.memory;
  const d = i.decision;
  const a = i.assessment;
  const scored = a.kind === 'scored' && d.kind !== 'inconclusive' ? a : undefined;
  const lastRisk = m.lastRisk ?? null;
  return {
    namespace: i.namespace,
    name: i.name,
    risk: scored ? scored.risk : lastRisk,
    level: scored ? scored.level : lastRisk !== null ? riskLevel(lastRisk) : null,
    state: healState(m, i.ladder, d),
    step: m.phase === 'healthy' ? 0 : m.step,
    attempts: m.attempt,
    dryRun: i.dryRun,
    explanation: scored ? scored.explanation : [],
    features: scored ? scored.features : {},
    ...(d.kind === 'inconclusive' ? { inconclusiveReason: d.reason } : {}),
    ...(d.kind === 'inconclusive' && d.warming ? { warmingUp: true as const } : {}),
    trend: [...i.trend],
    updatedAt: new Date(i.now).toISOString(),
  };
}

/** One deployment in one cycle, as the report builders need it. */
export interface ReportView extends NoticeContext {
  subject: EventSubject;
  /** `namespace/name`. */
  key: string;
  high: number;
  now: number;
  /** The memory the cycle started from (episode start, inconclusive streak, step start). */
  before: Pick<HealMemory, 'episodeStartedAt' | 'inconclusiveSince' | 'stepStartedAt'>;
}

type ActDecision = Extract<Decision, { kind: 'act' }>;

/**
 * A rung held back (by a budget, a human's hold, stale data): a warning with an Event and, when
 * given, a message the first time; logged at debug while the same hold lasts.
 */
function holdReport(
  v: ReportView,
  message: string,
  repeated: boolean | undefined,
  reason: EventReason,
  notify?: NotifyMessage,
): ReportInput {
  return {
    subject: v.subject,
    level: repeated ? 'debug' : 'warn',
    message,
    dryRun: v.dryRun,
    ...(repeated ? {} : { event: { type: 'Warning', reason }, ...(notify ? { notify } : {}) }),
  };
}

/** A budget held a rung back: announced once per rule streak (then logged at debug). */
export function budgetDeniedReport(
  v: ReportView,
  d: ActDecision,
  verdict: { rule: string; message: string; repeated?: boolean },
): ReportInput {
  const message = `${d.reason}; held back: ${verdict.message}`;
  return holdReport(
    v,
    message,
    verdict.repeated,
    EVENT_REASONS.budgetDenied,
    notice(v, 'budget_denied', `Budget stopped ${actionLabel(d.action)} on ${v.key}`, message, {
      dedupKey: `${v.key}:budget:${verdict.rule}:${v.now}`,
    }),
  );
}

/** Dry-run: what would have been done (no Event). */
export function dryRunReport(v: ReportView, d: ActDecision, riskBefore: number): ReportInput {
  const at = new Date(v.now).toISOString();
  return {
    subject: v.subject,
    level: 'info',
    message: `dry-run, would have: ${d.reason}`,
    dryRun: true,
    action: actionRecord(d, at, riskBefore, 'skipped', `would have: ${d.reason}`, true),
    notify: notice(v, 'dry_run', `Would have run ${actionLabel(d.action)} on ${v.key}`, d.reason, {
      action: d.action,
      step: d.step,
      attempt: d.attempt,
    }),
  };
}

/**
 * A rung was carried out (or could not be): Event, record and message name the result. `next`
 * says what happens after a failure (a retry at a time, or a page). Each try has its own
 * deduplication key, so a retry that succeeds is announced after the failure it follows.
 */
export function actionReport(
  v: ReportView,
  d: ActDecision,
  result: { status: string; detail: string },
  riskBefore: number,
  next: { retryInMs?: number; errors?: number; limit?: number; paged?: boolean } = {},
): ReportInput {
  const ok = result.status === 'done' || result.status === 'skipped';
  const then =
    !ok && next.retryInMs !== undefined
      ? `; retrying step ${d.step} in ${Math.round(next.retryInMs / 1000)} s (action error ${next.errors}/${next.limit})`
      : !ok && next.paged
        ? '; holding and paging'
        : '';
  const message = `${d.reason}: ${result.detail}${then}`;
  const at = new Date(v.now).toISOString();
  return {
    subject: v.subject,
    level: ok ? 'info' : 'warn',
    message,
    event: ok
      ? { type: 'Normal', reason: EVENT_REASONS[d.action], action: d.action }
      : { type: 'Warning', reason: EVENT_REASONS.actionFailed, action: d.action },
    action: actionRecord(d, at, riskBefore, ok ? 'pending' : 'failed', message, false),
    notify: notice(
      v,
      d.escalated ? 'escalated' : 'action',
      `${ok ? (d.escalated ? 'Escalated to' : 'Ran') : 'Could not run'} ${actionLabel(d.action)} on ${v.key}`,
      message,
      {
        action: d.action,
        step: d.step,
        attempt: d.attempt,
        dedupKey: `${v.key}:${d.escalated ? 'escalated' : 'action'}:${v.episode}:${d.attempt}:${d.step}:${d.retry ?? 0}:${ok ? 'ok' : 'error'}`,
      },
    ),
  };
}

/** The ladder is exhausted: page a human. */
export function pageReport(
  v: ReportView,
  d: Extract<Decision, { kind: 'page' }>,
  riskBefore: number,
): ReportInput {
  const step = { action: 'page' as const, step: d.step, attempt: d.attempt };
  return {
    subject: v.subject,
    level: 'warn',
    message: d.reason,
    event: { type: 'Warning', reason: EVENT_REASONS.page },
    dryRun: v.dryRun,
    action: actionRecord(
      step,
      new Date(v.now).toISOString(),
      riskBefore,
      'pending',
      d.reason,
      v.dryRun,
    ),
    notify: notice(v, 'needs_attention', `${v.key} needs attention`, d.reason, step),
  };
}

/** M cycles below low: the episode is over. */
export function recoveredReport(
  v: ReportView,
  d: Extract<Decision, { kind: 'recovered' }>,
): ReportInput {
  return {
    subject: v.subject,
    level: 'info',
    message: d.reason,
    event: { type: 'Normal', reason: EVENT_REASONS.recovered },
    dryRun: v.dryRun,
    notify: notice(v, 'recovered', `${v.key} recovered`, d.reason, {
      dedupKey: `${v.key}:recovered:${v.before.episodeStartedAt ?? 0}`,
      ...(d.curedBy ? { action: d.curedBy } : {}),
      ...(d.curedBy && d.curedStep ? { step: d.curedStep } : {}),
    }),
  };
}

/** No usable data for long: announced once per streak. */
export function inconclusiveReport(
  v: ReportView,
  d: Extract<Decision, { kind: 'inconclusive' }>,
): ReportInput {
  const message = `inconclusive for ${Math.round(d.sinceMs / 1000)} s: ${d.reason}`;
  return {
    subject: v.subject,
    level: 'warn',
    message,
    event: { type: 'Warning', reason: EVENT_REASONS.inconclusive },
    dryRun: v.dryRun,
    notify: notice(v, 'inconclusive', `No usable data for ${v.key}`, message, {
      dedupKey: `${v.key}:inconclusive:${v.before.inconclusiveSince ?? v.now}`,
    }),
  };
}

/** The previous step's verdict: an Event, the action record's outcome and, when cured, a message. */
export function outcomeReport(v: ReportView, o: StepOutcome): ReportInput {
  const stepAt = new Date(v.before.stepStartedAt ?? v.now).toISOString();
  const message = outcomeMessage(o, v.high);
  const step = { action: o.action, step: o.step, attempt: o.attempt };
  return {
    subject: v.subject,
    level: 'info',
    message,
    event: { type: 'Normal', reason: o.cured ? EVENT_REASONS.cured : EVENT_REASONS.notCured },
    dryRun: v.dryRun,
    action: {
      at: stepAt,
      ...step,
      dryRun: v.dryRun,
      riskBefore: o.riskBefore,
      riskAfter: o.riskAfter,
      outcome: o.cured ? 'cured' : 'not_cured',
      message,
    },
    ...(o.cured
      ? {
          notify: notice(v, 'cured', `${actionLabel(o.action)} cured ${v.key}`, message, {
            ...step,
            dedupKey: `${v.key}:cured:${stepAt}`,
          }),
        }
      : {}),
  };
}

/** A human holds the workload (paused, being deleted): no action; paged once per hold. */
export function heldReport(
  v: ReportView,
  d: ActDecision,
  verdict: { message: string; repeated: boolean },
): ReportInput {
  const message = `${d.reason}; held: ${verdict.message}`;
  return holdReport(
    v,
    message,
    verdict.repeated,
    EVENT_REASONS.held,
    notice(v, 'needs_attention', `${v.key} needs attention: held by a human`, message, {
      dedupKey: `${v.key}:held:${v.now}`,
    }),
  );
}

/** The assessment was too old to act on (a slow cycle): no action, an Event once per streak. */
export function staleReport(
  v: ReportView,
  d: ActDecision,
  verdict: { message: string; repeated: boolean },
): ReportInput {
  return holdReport(
    v,
    `${d.reason}; held: ${verdict.message}`,
    verdict.repeated,
    EVENT_REASONS.staleAssessment,
  );
}

/** Someone else rolled out a new release during the episode: it ended. */
export function supersededReport(
  v: ReportView,
  d: Extract<Decision, { kind: 'superseded' }>,
  gaveBack: string[],
): ReportInput {
  const message = [d.reason, ...gaveBack].join('; ');
  return {
    subject: v.subject,
    level: 'info',
    message,
    event: { type: 'Normal', reason: EVENT_REASONS.episodeEnded },
    dryRun: v.dryRun,
    notify: notice(v, 'episode_ended', `Episode on ${v.key} ended: new release`, message, {
      dedupKey: `${v.key}:superseded:${v.before.episodeStartedAt ?? 0}`,
    }),
  };
}

/** Replicas or an HPA minReplicas the healer had raised were given back. */
export function scaleReturnedReport(v: ReportView, details: string[], why: string): ReportInput {
  return {
    subject: v.subject,
    level: 'info',
    message: `${why}: ${details.join('; ')}`,
    event: { type: 'Normal', reason: EVENT_REASONS.scaleReturned },
    dryRun: v.dryRun,
  };
}

/** The Event on one deployment the fleet guard holds (once per fleet episode). */
export function fleetHoldReport(v: ReportView, reason: string): ReportInput {
  return {
    subject: v.subject,
    level: 'warn',
    message: `${reason}; this deployment: risk ${v.scored ? fmt(v.scored.risk) : 'unknown'}`,
    event: { type: 'Warning', reason: EVENT_REASONS.fleetHold },
    dryRun: v.dryRun,
  };
}

/** How many names a grouped message lists before "and N more". */
export const GROUP_NAMES = 20;

function names(keys: readonly string[]): string {
  const shown = keys.slice(0, GROUP_NAMES).join(', ');
  return keys.length > GROUP_NAMES ? `${shown} and ${keys.length - GROUP_NAMES} more` : shown;
}

/**
 * One message for a fleet-wide hold, whatever the number of deployments (each still gets its own
 * Event). Deduplicated per fleet episode.
 */
export function fleetHoldMessage(
  reason: string,
  atRisk: readonly string[],
  episode: number,
  links: NotifyMessage['links'],
): NotifyMessage {
  return {
    kind: 'fleet_hold',
    title: `Fleet guard: ${atRisk.length} deployment${atRisk.length === 1 ? '' : 's'} at risk together; no actions`,
    detail: `${reason}. At risk: ${names(atRisk)}. Many deployments failing at once points at something they share (nodes, a dependency, the metrics); a human should look.`,
    links,
    dedupKey: `(healer):fleet:${episode}`,
  };
}

/** One message for the deployments that turned inconclusive-for-long in the same cycle. */
export function groupedInconclusiveMessage(
  items: readonly { key: string; reason: string }[],
  at: number,
  links: NotifyMessage['links'],
): NotifyMessage {
  const reasons = new Map<string, number>();
  for (const i of items) reasons.set(i.reason, (reasons.get(i.reason) ?? 0) + 1);
  const top = [...reasons]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([r, n]) => `${n}× ${r}`)
    .join('; ');
  return {
    kind: 'inconclusive',
    title: `No usable data for ${items.length} deployments`,
    detail: `${top}. Deployments: ${names(items.map((i) => i.key))}. No action is taken on them until the data is back.`,
    links,
    dedupKey: `(healer):inconclusive:${at}`,
  };
}
