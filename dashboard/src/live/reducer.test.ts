import { describe, expect, it } from 'vitest';
import type { DeploymentDetail, StreamMessage } from '@aiops/healer/api';
import { action, status } from '../testing/fixtures';
import {
  applyToDetail,
  deploymentsOf,
  EMPTY_LIVE,
  liveReducer,
  MAX_TREND,
  type LiveState,
} from './reducer';

const snap = (state: LiveState, ...deployments: ReturnType<typeof status>[]): LiveState =>
  liveReducer(state, { type: 'snapshot', deployments });
const msg = (state: LiveState, message: StreamMessage): LiveState =>
  liveReducer(state, { type: 'message', message });

describe('liveReducer', () => {
  const base = snap(
    EMPTY_LIVE,
    status({ name: 'checkout', risk: 0.1, trend: [{ t: '2026-01-01T11:59:00Z', risk: 0.1 }] }),
    status({ name: 'cart', lastAction: action({ at: '2026-01-01T11:30:00Z' }) }),
  );

  it('a snapshot loads every deployment and their last actions', () => {
    expect(base.loaded).toBe(true);
    expect(deploymentsOf(base).map((d) => d.name)).toEqual(['checkout', 'cart']);
    expect(base.actions.map((a) => `${a.name}@${a.at}`)).toEqual(['cart@2026-01-01T11:30:00Z']);
  });

  it('an empty snapshot is loaded and empty', () => {
    const s = snap(EMPTY_LIVE);
    expect(s.loaded).toBe(true);
    expect(deploymentsOf(s)).toEqual([]);
  });

  it('an assessment replaces the status, keeping the trend moving when it carries none', () => {
    const s = msg(base, {
      type: 'assessment',
      deployment: status({
        name: 'checkout',
        risk: 0.93,
        level: 'critical',
        updatedAt: '2026-01-01T12:01:00Z',
        trend: [],
      }),
    });
    const d = s.byKey['prod/checkout'];
    expect(d?.risk).toBe(0.93);
    expect(d?.trend).toEqual([
      { t: '2026-01-01T11:59:00Z', risk: 0.1 },
      { t: '2026-01-01T12:01:00Z', risk: 0.93 },
    ]);
  });

  it("an assessment's own trend wins", () => {
    const trend = [{ t: '2026-01-01T12:01:00Z', risk: 0.5 }];
    const s = msg(base, {
      type: 'assessment',
      deployment: status({ updatedAt: '2026-01-01T12:01:00Z', risk: 0.5, trend }),
    });
    expect(s.byKey['prod/checkout']?.trend).toEqual(trend);
  });

  it('an inconclusive assessment (risk null) does not add a trend point', () => {
    const s = msg(base, {
      type: 'assessment',
      deployment: status({
        updatedAt: '2026-01-01T12:01:00Z',
        risk: null,
        level: null,
        state: 'inconclusive',
        trend: [],
      }),
    });
    expect(s.byKey['prod/checkout']?.trend).toHaveLength(1);
    expect(s.byKey['prod/checkout']?.state).toBe('inconclusive');
  });

  it('the trend stays bounded', () => {
    let s = base;
    for (let i = 0; i < MAX_TREND + 10; i += 1) {
      const t = new Date(Date.parse('2026-01-01T12:00:00Z') + (i + 1) * 1000).toISOString();
      s = msg(s, {
        type: 'assessment',
        deployment: status({ updatedAt: t, risk: 0.2, trend: [] }),
      });
    }
    expect(s.byKey['prod/checkout']?.trend).toHaveLength(MAX_TREND);
  });

  it('an older assessment arriving late is ignored', () => {
    const newer = msg(base, {
      type: 'assessment',
      deployment: status({ updatedAt: '2026-01-01T12:05:00Z', risk: 0.7 }),
    });
    const late = msg(newer, {
      type: 'assessment',
      deployment: status({ updatedAt: '2026-01-01T12:04:00Z', risk: 0.2 }),
    });
    expect(late).toBe(newer);
  });

  it('an assessment for a new deployment adds it', () => {
    const s = msg(base, {
      type: 'assessment',
      deployment: status({ namespace: 'dev', name: 'new' }),
    });
    expect(Object.keys(s.byKey)).toContain('dev/new');
  });

  it('an action becomes the last action and is remembered once, outcome updates replace it', () => {
    const a = action({ at: '2026-01-01T12:02:00Z' });
    let s = msg(base, { type: 'action', namespace: 'prod', name: 'checkout', action: a });
    expect(s.byKey['prod/checkout']?.lastAction).toEqual(a);
    s = msg(s, {
      type: 'action',
      namespace: 'prod',
      name: 'checkout',
      action: { ...a, outcome: 'cured', riskAfter: 0.1 },
    });
    expect(s.byKey['prod/checkout']?.lastAction?.outcome).toBe('cured');
    expect(s.actions.filter((x) => x.name === 'checkout')).toHaveLength(1);
    expect(s.actions[0]?.outcome).toBe('cured');
  });

  it('an action for an unknown deployment is remembered but adds no row', () => {
    const s = msg(base, { type: 'action', namespace: 'x', name: 'y', action: action() });
    expect(s.byKey['x/y']).toBeUndefined();
    expect(s.actions[0]?.namespace).toBe('x');
  });

  it('a snapshot keeps a newer streamed row over its own older one', () => {
    const streamed = msg(base, {
      type: 'assessment',
      deployment: status({ updatedAt: '2026-01-01T12:10:00Z', risk: 0.9 }),
    });
    const s = snap(streamed, status({ updatedAt: '2026-01-01T12:09:00Z', risk: 0.3 }));
    expect(s.byKey['prod/checkout']?.risk).toBe(0.9);
    expect(s.byKey['prod/cart']).toBeUndefined(); // no longer watched
  });

  it('notifications do not change the overview', () => {
    const s = msg(base, {
      type: 'notification',
      namespace: 'prod',
      name: 'checkout',
      notification: { at: 'x', kind: 'slack', text: 't', delivered: true },
    });
    expect(s).toBe(base);
  });
});

describe('applyToDetail', () => {
  const detail: DeploymentDetail = {
    ...status({ updatedAt: '2026-01-01T12:00:00Z', risk: 0.2 }),
    thresholds: { high: 0.8, low: 0.4 },
    history: [{ t: '2026-01-01T12:00:00Z', risk: 0.2 }],
    actions: [],
    events: [],
    notifications: [],
  };

  it('ignores messages about other deployments', () => {
    expect(
      applyToDetail(detail, {
        type: 'assessment',
        deployment: status({ name: 'other', updatedAt: '2026-01-01T13:00:00Z' }),
      }),
    ).toBe(detail);
    expect(
      applyToDetail(detail, {
        type: 'action',
        namespace: 'dev',
        name: 'checkout',
        action: action(),
      }),
    ).toBe(detail);
  });

  it('an assessment updates the status and extends the history', () => {
    const d = applyToDetail(detail, {
      type: 'assessment',
      deployment: status({ updatedAt: '2026-01-01T12:01:00Z', risk: 0.9, level: 'critical' }),
    });
    expect(d.risk).toBe(0.9);
    expect(d.thresholds).toEqual(detail.thresholds);
    expect(d.history.map((p) => p.risk)).toEqual([0.2, 0.9]);
  });

  it('a stale assessment is ignored', () => {
    expect(
      applyToDetail(detail, {
        type: 'assessment',
        deployment: status({ updatedAt: '2026-01-01T11:00:00Z' }),
      }),
    ).toBe(detail);
  });

  it('actions are upserted in time order', () => {
    const a1 = action({ at: '2026-01-01T12:02:00Z' });
    const a0 = action({ at: '2026-01-01T12:01:00Z', step: 1, attempt: 1 });
    let d = applyToDetail(detail, {
      type: 'action',
      namespace: 'prod',
      name: 'checkout',
      action: a1,
    });
    d = applyToDetail(d, { type: 'action', namespace: 'prod', name: 'checkout', action: a0 });
    d = applyToDetail(d, {
      type: 'action',
      namespace: 'prod',
      name: 'checkout',
      action: { ...a1, outcome: 'not_cured' },
    });
    expect(d.actions.map((a) => `${a.at} ${a.outcome}`)).toEqual([
      '2026-01-01T12:01:00Z pending',
      '2026-01-01T12:02:00Z not_cured',
    ]);
    expect(d.lastAction?.at).toBe('2026-01-01T12:02:00Z');
  });

  it('notifications are appended once', () => {
    const n = { at: '2026-01-01T12:02:00Z', kind: 'slack', text: 'restarted', delivered: true };
    let d = applyToDetail(detail, {
      type: 'notification',
      namespace: 'prod',
      name: 'checkout',
      notification: n,
    });
    d = applyToDetail(d, {
      type: 'notification',
      namespace: 'prod',
      name: 'checkout',
      notification: n,
    });
    expect(d.notifications).toEqual([n]);
  });
});
