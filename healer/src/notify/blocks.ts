/**
 * Block Kit for a {@link NotifyMessage}: deployment, namespace, risk, level, the top contributing
 * features with values, the step and attempt, and links.
 */
import { featureSpec } from '@aiops/model/schema';
import { actionLabel, fmt } from '../policy/decide.js';
import type { NotifyKind, NotifyMessage } from './types.js';

const EMOJI: Record<NotifyKind, string> = {
  action: ':hammer_and_wrench:',
  escalated: ':arrow_double_up:',
  cured: ':white_check_mark:',
  recovered: ':large_green_circle:',
  needs_attention: ':rotating_light:',
  inconclusive: ':grey_question:',
  budget_denied: ':no_entry:',
  dry_run: ':test_tube:',
  warning: ':warning:',
  fleet_hold: ':octagonal_sign:',
  episode_ended: ':leftwards_arrow_with_hook:',
  approval: ':raising_hand:',
};

function value(feature: string, v: number): string {
  const unit = featureSpec(feature)?.unit ?? '';
  const n = Math.abs(v) >= 1000 ? v.toExponential(2) : String(Math.round(v * 1000) / 1000);
  return unit ? `${n} ${unit}` : n;
}

/** A Block Kit block (structurally Slack's `Block`). */
export type SlackBlock = { type: string } & Record<string, unknown>;

export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

export function slackPayload(m: NotifyMessage): SlackPayload {
  const who = m.namespace && m.name ? `${m.namespace}/${m.name}` : 'aiops-healer';
  const text = `${EMOJI[m.kind]} ${m.dryRun ? '[dry-run] ' : ''}${m.title}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: text.slice(0, 150), emoji: true } },
  ];
  const fields: { type: 'mrkdwn'; text: string }[] = [];
  if (m.name) fields.push({ type: 'mrkdwn', text: `*Deployment*\n${m.name}` });
  if (m.namespace) fields.push({ type: 'mrkdwn', text: `*Namespace*\n${m.namespace}` });
  if (m.risk !== undefined) fields.push({ type: 'mrkdwn', text: `*Risk*\n${fmt(m.risk)}` });
  if (m.level) fields.push({ type: 'mrkdwn', text: `*Level*\n${m.level}` });
  if (m.action) {
    const attempt =
      m.attempt !== undefined ? ` · attempt ${m.attempt}${m.attempts ? `/${m.attempts}` : ''}` : '';
    fields.push({
      type: 'mrkdwn',
      text: `*Step*\n${m.step !== undefined ? `${m.step} – ` : ''}${actionLabel(m.action)}${attempt}`,
    });
  }
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: m.detail.slice(0, 2900) } });
  if (m.top && m.top.length > 0) {
    const lines = m.top
      .slice(0, 3)
      .map(
        (c) =>
          `• \`${c.feature}\` = ${value(c.feature, c.value)} (${c.contribution >= 0 ? '+' : ''}${fmt(c.contribution)})`,
      );
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Top signals*\n${lines.join('\n')}` },
    });
  }
  const buttons: Record<string, unknown>[] = [];
  if (m.links?.dashboard) {
    const url =
      m.namespace && m.name
        ? `${m.links.dashboard.replace(/\/$/, '')}/#/d/${encodeURIComponent(m.namespace)}/${encodeURIComponent(m.name)}`
        : m.links.dashboard;
    buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Dashboard' }, url });
  }
  if (m.links?.grafana) {
    buttons.push({
      type: 'button',
      text: { type: 'plain_text', text: 'Grafana' },
      url: m.links.grafana,
    });
  }
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${who} · aiops-healer` }] });
  return { text: `${text}: ${m.detail}`.slice(0, 3000), blocks };
}
