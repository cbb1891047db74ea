import { describe, expect, it } from '@jest/globals';
import { StatusStore } from './store.js';
import type { ActionRecord, DeploymentStatus } from './types.js';
import { deploymentStatus } from './fixtures.js';

const T0 = Date.parse('2026-11-21T12:00:00.000Z');
const iso = (s: number): string => new Date(T0 + s * 1000).toISOString();

function status(name: string, risk: number | null, atS = 0): DeploymentStatus {
  return deploymentStatus({
    name,
    risk,
    level: risk === null ? null : 'low',
    state: risk === null ? 'inconclusive' : 'healthy',
    updatedAt: iso(atS),
  });
}

const action = (over: Partial<ActionRecord> = {}): ActionRecord => ({
  at: iso(0),
  step: 1,
  action: 'restart_scale',
  attempt: 1,
  dryRun: false,
  riskBefore: 0.9,
  outcome: 'pending',
  message: 'restart',
  ...over,
});

describe('StatusStore', () => {
  it('keeps history in a bounded ring and a shorter trend in list rows', () => {
    const store = new StatusStore({
      thresholds: { high: 0.8, low: 0.5 },
      historyPoints: 5,
      trendPoints: 2,
    });
    for (let i = 0; i < 8; i++) store.assessment(status('cart', i / 10, i * 60));
    const d = store.detail('shop', 'cart')!;
    expect(d.history.map((p) => p.risk)).toEqual([0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(d.history[0]!.t).toBe(iso(180));
    expect(store.list()[0]!.trend.map((p) => p.risk)).toEqual([0.6, 0.7]);
  });

  it('grows the history ring up to its capacity, then drops the oldest, keeping order', () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 }, historyPoints: 20 });
    for (let i = 0; i < 25; i++) store.assessment(status('cart', i / 100, i * 60));
    const h = store.detail('shop', 'cart')!.history;
    expect(h.map((p) => p.risk)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 5) / 100));
    expect(h[0]!.t).toBe(iso(5 * 60));
  });

  it.each([
    ['null (inconclusive)', null],
    ['NaN', NaN],
  ])('does not add a history point for a %s risk, but updates the status', (_t, risk) => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    store.assessment(status('cart', 0.4));
    store.assessment(status('cart', risk as number | null, 60));
    expect(store.detail('shop', 'cart')!.history).toHaveLength(1);
    expect(store.list()[0]!.updatedAt).toBe(iso(60));
  });

  it('updates an action in place when its outcome arrives, and tracks lastAction', () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    store.assessment(status('cart', 0.9));
    store.action('shop', 'cart', action());
    store.action('shop', 'cart', action({ outcome: 'cured', riskAfter: 0.1 }));
    store.assessment(status('cart', 0.1, 120));
    const d = store.detail('shop', 'cart')!;
    expect(d.actions).toHaveLength(1);
    expect(d.actions[0]).toMatchObject({ outcome: 'cured', riskAfter: 0.1 });
    expect(d.lastAction).toMatchObject({ outcome: 'cured' });
  });

  it('bounds actions, Events and notifications per deployment', () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 }, recordsPerDeployment: 3 });
    store.assessment(status('cart', 0.9));
    for (let i = 0; i < 10; i++) {
      store.action('shop', 'cart', action({ at: iso(i) }));
      store.kubeEvent('shop', 'cart', { at: iso(i), type: 'Normal', reason: `R${i}`, message: '' });
      store.notification('shop', 'cart', { at: iso(i), kind: 'k', text: `n${i}`, delivered: true });
    }
    const d = store.detail('shop', 'cart')!;
    expect(d.actions.map((a) => a.at)).toEqual([iso(7), iso(8), iso(9)]);
    expect(d.events.map((e) => e.reason)).toEqual(['R7', 'R8', 'R9']);
    expect(d.notifications.map((n) => n.text)).toEqual(['n7', 'n8', 'n9']);
  });

  it('lists only assessed deployments, sorted, with per-deployment thresholds', () => {
    const store = new StatusStore({
      thresholds: (_ns, name) => (name === 'b' ? { high: 0.9, low: 0.6 } : { high: 0.8, low: 0.5 }),
    });
    store.kubeEvent('shop', 'ghost', { at: iso(0), type: 'Normal', reason: 'X', message: '' });
    store.assessment(status('b', 0.1));
    store.assessment(status('a', 0.1));
    expect(store.list().map((d) => d.name)).toEqual(['a', 'b']);
    expect(store.detail('shop', 'ghost')).toBeUndefined();
    expect(store.detail('shop', 'b')!.thresholds).toEqual({ high: 0.9, low: 0.6 });
    store.forget('shop', 'a');
    expect(store.list().map((d) => d.name)).toEqual(['b']);
  });

  it('returns in-memory risk points within a time range', () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    for (let i = 0; i < 5; i++) store.assessment(status('cart', 0.5, i * 60));
    const pts = store.riskPoints('shop', 'cart', new Date(T0 + 60_000), new Date(T0 + 180_000));
    expect(pts.map((p) => p.t)).toEqual([iso(60), iso(120), iso(180)]);
    expect(store.riskPoints('shop', 'nope', new Date(T0), new Date(T0 + 1))).toEqual([]);
  });

  it('drops a throwing subscriber and keeps publishing to the others', () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    const got: number[] = [];
    store.subscribe(() => {
      throw new Error('broken client');
    });
    store.subscribe((m) => got.push(m.id));
    store.assessment(status('a', 0.1));
    store.assessment(status('a', 0.1));
    expect(got).toEqual([1, 2]);
    expect(store.subscriberCount()).toBe(1);
  });

  it.each<[string, number, number[] | undefined]>([
    ['up to date', 5, []],
    ['missed two', 3, [4, 5]],
    ['oldest replayable', 2, [3, 4, 5]],
    ['older than the buffer', 1, undefined],
    ['from the future (previous process)', 6, undefined],
    ['negative', -1, undefined],
    ['fractional', 2.5, undefined],
  ])('since(): %s', (_t, lastId, ids) => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 }, replayMessages: 3 });
    for (let i = 0; i < 5; i++) store.assessment(status('a', 0.1));
    expect(store.since(lastId)?.map((m) => m.id)).toEqual(ids);
  });

  it('shows the explanation and features as assessed, without the model input beside them', () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
    const explanation = [
      { feature: 'http_5xx_error_rate' as const, value: 0.31, contribution: 0.42, reference: 0.01 },
      { feature: 'cpu_usage_pct' as const, value: 55, contribution: -0.03 },
    ];
    const features = {
      http_5xx_error_rate: 0.31,
      cpu_usage_pct: 55,
      baseline: { http_5xx_error_rate: { p10: 0, p50: 0.01, p90: 0.02 } },
    };
    store.assessment({
      ...status('cart', 0.7),
      explanation,
      features: features as DeploymentStatus['features'],
      inconclusiveReason: 'stale',
    });
    const row = store.list()[0]!;
    expect(row.explanation).toEqual(explanation);
    expect(row.features).toEqual({ http_5xx_error_rate: 0.31, cpu_usage_pct: 55 });
    expect(row.inconclusiveReason).toBe('stale');
    expect(store.detail('shop', 'cart')).toMatchObject({ explanation, risk: 0.7 });
  });

  it('sends live subscribers the trend, and replays each assessment with the trend it had', () => {
    const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 }, trendPoints: 2 });
    const live: DeploymentStatus[] = [];
    for (let i = 0; i < 3; i++) store.assessment(status('cart', i / 10, i * 60));
    const unsubscribe = store.subscribe((m) => {
      if (m.message.type === 'assessment') live.push(m.message.deployment);
    });
    store.assessment(status('cart', 0.3, 180));
    unsubscribe();
    store.assessment(status('cart', 0.4, 240));
    expect(live.map((d) => d.trend.map((p) => p.risk))).toEqual([[0.2, 0.3]]);
    const replayed = store
      .since(1)!
      .map((m) =>
        m.message.type === 'assessment' ? m.message.deployment.trend.map((p) => p.risk) : [],
      );
    expect(replayed).toEqual([
      [0, 0.1],
      [0.1, 0.2],
      [0.2, 0.3],
      [0.3, 0.4],
    ]);
    expect(store.list()[0]!.trend.map((p) => p.t)).toEqual([iso(180), iso(240)]);
  });
});
