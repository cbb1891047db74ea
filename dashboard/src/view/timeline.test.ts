import { expect, it } from 'vitest';
import { action } from '../testing/fixtures';
import { buildTimeline } from './timeline';

it('merges actions, notifications and events, newest first, naming outcomes', () => {
  const items = buildTimeline({
    actions: [
      action({
        at: '2026-01-01T12:00:00Z',
        outcome: 'not_cured',
        riskBefore: 0.93,
        riskAfter: 0.9,
      }),
      action({
        at: '2026-01-01T12:05:00Z',
        step: 2,
        action: 'cache_clear_restart',
        outcome: 'pending',
        dryRun: true,
      }),
    ],
    notifications: [
      { at: '2026-01-01T12:00:01Z', kind: 'slack', text: 'restarted', delivered: false },
    ],
    events: [
      {
        at: '2026-01-01T12:00:02Z',
        type: 'Warning',
        reason: 'AutoHealRestart',
        message: 'risk 0.93',
      },
    ],
  });
  expect(items.map((i) => [i.kind, i.tag, i.title, i.tone])).toEqual([
    [
      'action',
      'dry-run step 2',
      'would clear cache + restart (step 2) · attempt 1 · pending (risk 93 %)',
      'info',
    ],
    ['event', 'Warning', 'Event AutoHealRestart', 'warn'],
    ['notification', 'slack', 'slack notification NOT delivered', 'bad'],
    [
      'action',
      'step 1',
      'restart + scale up (step 1) · attempt 1 · not cured (risk 93 % → 90 %)',
      'bad',
    ],
  ]);
});

it('is empty for a deployment with no history', () => {
  expect(buildTimeline({ actions: [], notifications: [], events: [] })).toEqual([]);
});
