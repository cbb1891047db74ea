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
  /** A Kubernetes Event's reason (episodes end at `AutoHealRecovered` / `AutoHealEpisodeEnded`). */
  reason?: string;
}

/** One episode: from the first thing that happened after the last one ended to its own end. */
export interface Episode {
  /** 1 for the oldest shown. */
  n: number;
  startedAt: string;
  endedAt?: string;
  outcome: 'recovered' | 'ended' | 'ongoing';
  /** Real (not dry-run) actions taken in it. */
  actions: number;
  dryRuns: number;
  /** Its items, newest first. */
  items: TimelineItem[];
}

/** Events that close an episode: it recovered, or a release someone else rolled out ended it. */
const EPISODE_END: Record<string, Episode['outcome']> = {
  AutoHealRecovered: 'recovered',
  AutoHealEpisodeEnded: 'ended',
};

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
      reason: e.reason,
    })),
  ];
  return items.sort((a, b) => (parseTime(b.at) || 0) - (parseTime(a.at) || 0));
}

/**
 * The timeline cut into episodes, newest first: an episode ends at its recovery (or when another
 * release ended it) and the next begins with the next action or Event (a notification after the
 * end belongs to the episode it reports on). The items are
 * {@link buildTimeline}'s (newest first); what is still open is `ongoing`.
 */
export function groupEpisodes(items: readonly TimelineItem[]): Episode[] {
  const episodes: Episode[] = [];
  let open: Episode | undefined;
  for (const it of [...items].reverse()) {
    // A message sent about the end (the recovered notice) belongs to the episode it ends.
    const last = episodes[episodes.length - 1];
    if (!open && it.kind === 'notification' && last) {
      last.items.unshift(it);
      continue;
    }
    open ??= {
      n: episodes.length + 1,
      startedAt: it.at,
      outcome: 'ongoing',
      actions: 0,
      dryRuns: 0,
      items: [],
    };
    open.items.unshift(it);
    if (it.kind === 'action') {
      if (it.tag.startsWith('dry-run')) open.dryRuns += 1;
      else open.actions += 1;
    }
    const end = it.reason ? EPISODE_END[it.reason] : undefined;
    if (end) {
      open.outcome = end;
      open.endedAt = it.at;
      episodes.push(open);
      open = undefined;
    }
  }
  if (open) episodes.push(open);
  return episodes.reverse();
}
