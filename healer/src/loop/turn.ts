/**
 * One deployment in one cycle, as the loop carries it from listing to report: the listed
 * {@link Target} (identity, rules, gates), then the {@link Turn} once assessed and decided. The
 * projections of a turn — what the report builders see, what the status API shows — are pure.
 */
import { riskLevel } from '@aiops/model/schema';
import type { DeploymentStatus } from '../api/types.js';
import type { PersistedHealState, StateExtras } from '../actions/state.js';
import type { HealTargetRef } from '../actions/types.js';
import type { GateConfig } from '../approval/gates.js';
import type { HealerConfig } from '../config.js';
import type { WorkloadKind, WorkloadObject } from '../kinds/types.js';
import { topFeatures } from '../policy/decide.js';
import type { DeploymentRules } from '../policy/rules.js';
import type { Assessment, Decision, HealMemory } from '../policy/types.js';
import {
  deploymentStatus,
  linksOf,
  type ReportView,
  type ScoredAssessment,
} from '../report/messages.js';
import type { EventSubject } from '../report/types.js';
import type { CycleRow } from './types.js';

/** A watched heal target this cycle, before its decision. */
export interface Target {
  obj: WorkloadObject;
  kind: WorkloadKind;
  ref: HealTargetRef;
  namespace: string;
  name: string;
  /** `namespace/name`: the status API's and the metrics' key. */
  key: string;
  /** The deployment's UID (or its key): the memory's key. */
  id: string;
  rules: DeploymentRules;
  /** The rungs' gates (a HealPolicy's over the config's). */
  gates: GateConfig;
}

/** One deployment in one cycle: what was read, decided, and is to be remembered. */
export interface Turn extends Target {
  now: number;
  subject: EventSubject;
  assessment: Assessment;
  decision: Decision;
  /** The policy memory this cycle started from. */
  memory: HealMemory;
  /** What is stored on the deployment now (read at the start; replaced by an action's write). */
  stored: PersistedHealState | undefined;
  /** What to remember; the act step may adjust it (held back, failed). */
  next: HealMemory;
  /** What the heal state records beside the memory: raised HPA, added replicas. */
  extras: StateExtras;
  scored: ScoredAssessment | undefined;
  row: CycleRow;
  /** Another writer changed the heal state: remember locally only, re-read next cycle. */
  skipWrite?: boolean;
  /** Its inconclusive alert went out in a grouped message. */
  groupedAlert?: boolean;
}

/**
 * A decided target as this cycle carries it on: the Event subject, what the heal state holds
 * beside the memory, and the cycle row (the risk only where the decision is not inconclusive).
 */
export function newTurn(
  t: Target,
  d: {
    now: number;
    assessment: Assessment;
    decision: Decision;
    memory: HealMemory;
    next: HealMemory;
    stored: PersistedHealState | undefined;
  },
): Turn {
  const { assessment, decision, next, stored } = d;
  const scored =
    assessment.kind === 'scored' && decision.kind !== 'inconclusive' ? assessment : undefined;
  const risk = scored ? scored.risk : null;
  const meta = t.obj.metadata;
  // Fields named, not spread: a spread of these many-shaped objects is the slow path, and this
  // runs for every watched deployment every cycle.
  return {
    obj: t.obj,
    kind: t.kind,
    ref: t.ref,
    namespace: t.namespace,
    name: t.name,
    key: t.key,
    id: t.id,
    rules: t.rules,
    gates: t.gates,
    now: d.now,
    assessment,
    decision,
    memory: d.memory,
    next,
    stored,
    subject: {
      ...subjectKind(t.kind),
      namespace: t.namespace,
      name: t.name,
      ...(meta?.uid ? { uid: meta.uid } : {}),
      ...(meta?.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
    },
    extras: {
      ...(stored?.hpa ? { hpa: stored.hpa } : {}),
      ...(stored?.scaled ? { scaled: stored.scaled } : {}),
    },
    scored,
    row: {
      kind: t.ref.kind,
      namespace: t.namespace,
      name: t.name,
      risk,
      level: scored ? riskLevel(scored.risk) : null,
      top: scored ? (scored.cause ?? topFeatures(scored.explanation, 2)) : '',
      decision: decision.kind === 'act' ? decision.action : decision.kind,
      detail: decision.reason,
      dryRun: t.rules.dryRun,
      atRisk:
        (risk !== null && risk >= t.rules.high) || (next.phase !== 'healthy' && next.attempt > 0),
      inconclusive: decision.kind === 'inconclusive',
      ...(decision.kind === 'inconclusive' && decision.warming ? { warmingUp: true } : {}),
    },
  };
}

/** The turn as the report builders see it (the memory as the act step left it). */
export function turnView(t: Turn, links: HealerConfig['links']): ReportView {
  return {
    namespace: t.namespace,
    name: t.name,
    key: t.key,
    subject: t.subject,
    ladder: t.rules.ladder,
    dryRun: t.rules.dryRun,
    high: t.rules.high,
    scored: t.scored,
    links: linksOf(links),
    episode: t.next.episodeStartedAt ?? t.memory.episodeStartedAt ?? 0,
    attempt: t.next.attempt,
    step: t.next.step,
    now: t.now,
    before: t.memory,
  };
}

/** The turn as the status API shows it. */
export function turnStatus(t: Turn, now: number): DeploymentStatus {
  return deploymentStatus({
    namespace: t.namespace,
    name: t.name,
    ladder: t.rules.ladder,
    dryRun: t.rules.dryRun,
    memory: t.next,
    assessment: t.assessment,
    decision: t.decision,
    // The sink keeps the risk history and fills the trend (bounded, typed arrays in the store).
    trend: [],
    now,
  });
}

/** The Event's involvedObject kind: left out for Deployments (the recorder's default). */
export function subjectKind(kind: WorkloadKind): { kind?: string; apiVersion?: string } {
  return kind.kind === 'Deployment' ? {} : { kind: kind.kind, apiVersion: kind.apiVersion };
}
