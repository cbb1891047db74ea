import type { KubeEventSummary } from '@aiops/healer/api';
import { describe, expect, it } from 'vitest';
import { action } from '../testing/fixtures';
import { buildTimeline, groupEpisodes } from './timeline';

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

describe('groupEpisodes', () => {
  const ev = (at: string, reason: string): KubeEventSummary => ({
    at,
    type: 'Normal',
    reason,
    message: reason,
  });
  const note = (at: string) => ({ at, kind: 'slack', text: 'note', delivered: true });
  const group = (d: Parameters<typeof buildTimeline>[0]) =>
    groupEpisodes(buildTimeline(d)).map((e) => ({
      n: e.n,
      outcome: e.outcome,
      startedAt: e.startedAt,
      endedAt: e.endedAt,
      actions: e.actions,
      dryRuns: e.dryRuns,
      items: e.items.map((i) => i.title),
    }));

  it.each([
    {
      name: 'one episode that recovered, its recovered notice after the end kept in it',
      d: {
        actions: [action({ at: '2026-01-01T12:00:00Z' })],
        notifications: [note('2026-01-01T12:05:00.200Z')],
        events: [
          ev('2026-01-01T12:00:00.100Z', 'AutoHealRestart'),
          ev('2026-01-01T12:05:00Z', 'AutoHealRecovered'),
        ],
      },
      want: [
        {
          n: 1,
          outcome: 'recovered',
          startedAt: '2026-01-01T12:00:00Z',
          endedAt: '2026-01-01T12:05:00Z',
          actions: 1,
          dryRuns: 0,
          items: [
            'slack notified',
            'Event AutoHealRecovered',
            'Event AutoHealRestart',
            'restart + scale up (step 1) · attempt 1 · pending (risk 93 %)',
          ],
        },
      ],
    },
    {
      name: 'a recovered episode, one ended by a new release, and one still open (newest first)',
      d: {
        actions: [
          action({ at: '2026-01-01T10:00:00Z' }),
          action({ at: '2026-01-01T11:00:00Z' }),
          action({ at: '2026-01-01T11:01:00Z', step: 2, action: 'cache_clear_restart' }),
          action({ at: '2026-01-01T12:00:00Z', dryRun: true }),
        ],
        notifications: [],
        events: [
          ev('2026-01-01T10:04:00Z', 'AutoHealRecovered'),
          ev('2026-01-01T11:03:00Z', 'AutoHealEpisodeEnded'),
        ],
      },
      want: [
        expect.objectContaining({
          n: 3,
          outcome: 'ongoing',
          endedAt: undefined,
          actions: 0,
          dryRuns: 1,
        }),
        expect.objectContaining({
          n: 2,
          outcome: 'ended',
          endedAt: '2026-01-01T11:03:00Z',
          actions: 2,
        }),
        expect.objectContaining({
          n: 1,
          outcome: 'recovered',
          endedAt: '2026-01-01T10:04:00Z',
          actions: 1,
        }),
      ],
    },
    {
      name: 'only notifications before anything else: one open episode',
      d: { actions: [], notifications: [note('2026-01-01T09:00:00Z')], events: [] },
      want: [expect.objectContaining({ n: 1, outcome: 'ongoing', items: ['slack notified'] })],
    },
    { name: 'nothing', d: { actions: [], notifications: [], events: [] }, want: [] },
  ])('$name', ({ d, want }) => {
    expect(group(d)).toEqual(want);
  });
});
