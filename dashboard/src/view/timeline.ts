import type { DeploymentDetail } from '@aiops/healer/api';
import { formatRisk, parseTime } from './format';
import { actionVerb, OUTCOME_LABELS, type Tone } from './states';

export interface TimelineItem {
  at: string;
  kind: 'action' | 'notification' | 'event';
  /** Short tag shown before the text: `step 1`, `slack`, `Warning`. */
  tag: string;
  title: string;
  text: string;
  tone: Tone;
}

const OUTCOME_TONES: Record<string, Tone> = {
  pending: 'info',
  cured: 'ok',
  not_cured: 'bad',
  failed: 'bad',
  skipped: 'muted',
};

/** Actions (with outcomes), notifications and Kubernetes Events, newest first. */
export function buildTimeline(
  d: Pick<DeploymentDetail, 'actions' | 'notifications' | 'events'>,
): TimelineItem[] {
  const items: TimelineItem[] = [
    ...(d.actions ?? []).map((a): TimelineItem => {
      const outcome = OUTCOME_LABELS[a.outcome] ?? a.outcome;
      const after = a.riskAfter != null ? ` → ${formatRisk(a.riskAfter)}` : '';
      return {
        at: a.at,
        kind: 'action',
        tag: a.dryRun ? `dry-run step ${a.step}` : `step ${a.step}`,
        title: `${actionVerb(a)} · attempt ${a.attempt} · ${outcome} (risk ${formatRisk(a.riskBefore)}${after})`,
        text: a.message,
        tone: OUTCOME_TONES[a.outcome] ?? 'muted',
      };
    }),
    ...(d.notifications ?? []).map((n): TimelineItem => ({
      at: n.at,
      kind: 'notification',
      tag: n.kind,
      title: n.delivered ? `${n.kind} notified` : `${n.kind} notification NOT delivered`,
      text: n.text,
      tone: n.delivered ? 'info' : 'bad',
    })),
    ...(d.events ?? []).map((e): TimelineItem => ({
      at: e.at,
      kind: 'event',
      tag: e.type,
      title: `Event ${e.reason}`,
      text: e.message,
      tone: e.type === 'Warning' ? 'warn' : 'muted',
    })),
  ];
  return items.sort((a, b) => (parseTime(b.at) || 0) - (parseTime(a.at) || 0));
}
