// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeploymentDetail, StreamMessage } from '@aiops/healer/api';
import { ApiError, type ApiClient } from '../api/client';
import { action, status } from '../testing/fixtures';
import { Detail } from './Detail';

afterEach(cleanup);

const DETAIL: DeploymentDetail = {
  ...status({
    name: 'payments',
    risk: 0.95,
    level: 'critical',
    state: 'healing',
    step: 2,
    attempts: 2,
    updatedAt: '2026-01-01T12:00:00Z',
    explanation: [
      { feature: 'http_5xx_error_rate', value: 0.31, contribution: 0.42 },
      { feature: 'ready_replica_ratio', value: 0.33, contribution: 0.3 },
      { feature: 'cpu_usage_pct', value: 20, contribution: -0.02 },
    ],
  }),
  thresholds: { high: 0.8, low: 0.4 },
  history: [
    { t: '2026-01-01T11:50:00Z', risk: 0.1 },
    { t: '2026-01-01T12:00:00Z', risk: 0.95 },
  ],
  actions: [action({ at: '2026-01-01T11:55:00Z', outcome: 'not_cured' })],
  events: [
    {
      at: '2026-01-01T11:55:01Z',
      type: 'Warning',
      reason: 'AutoHealRestart',
      message: 'risk 0.93',
    },
  ],
  notifications: [],
};

function setup(answer: () => Promise<DeploymentDetail>) {
  const listeners = new Set<(m: StreamMessage) => void>();
  const api: Pick<ApiClient, 'getDeployment'> = { getDeployment: () => answer() };
  const subscribe = (l: (m: StreamMessage) => void) => {
    listeners.add(l);
    return () => listeners.delete(l);
  };
  render(
    <Detail
      api={api}
      namespace="prod"
      name="payments"
      now={Date.parse('2026-01-01T12:00:30Z')}
      subscribe={subscribe}
      resyncs={0}
    />,
  );
  return { emit: (m: StreamMessage) => act(() => listeners.forEach((l) => l(m))) };
}

describe('Detail', () => {
  it('shows the risk, the chart with thresholds and markers, the explanation, the ladder and the timeline', async () => {
    setup(async () => DETAIL);
    const chart = await screen.findByTestId('risk-chart');
    expect(chart.querySelector('svg')?.getAttribute('aria-label')).toBe(
      'Risk 10 % → 95 % over 10 min (2 assessments); heals at ≥ 80 %, clears below 40 %; 1 action marked.',
    );
    expect(chart.querySelectorAll('g.mark')).toHaveLength(1);
    expect(screen.getByTestId('explanation-summary').textContent).toBe(
      'Driven by http 5xx error rate = 0.31 (+0.42), ready replica ratio = 0.33 (+0.30).',
    );
    expect(screen.getByRole('table', { name: /Feature contributions/ }).textContent).toContain(
      '−0.02',
    );
    const current = document.querySelector('[aria-current="step"]');
    expect(current?.textContent).toContain('clear cache + restart');
    expect(screen.getByText('Event AutoHealRestart')).toBeTruthy();
    // The timeline is cut into episodes: this one is still open, with its one action.
    const episode = screen.getByRole('region', { name: 'Episode 1' });
    expect(episode.querySelector('h3')?.textContent).toMatch(/Episode 1 ongoing .* · 1 action$/);
    expect(episode.textContent).toContain('Event AutoHealRestart');
  });

  it('applies live messages for this deployment', async () => {
    const { emit } = setup(async () => DETAIL);
    await screen.findByTestId('risk-chart');
    emit({
      type: 'assessment',
      deployment: {
        ...DETAIL,
        risk: 0.2,
        level: 'low',
        state: 'healthy',
        step: 0,
        updatedAt: '2026-01-01T12:01:00Z',
      },
    });
    expect(screen.getByTestId('detail-risk').textContent).toContain('20 %');
    expect(
      screen.getByTestId('risk-chart').querySelector('svg')?.getAttribute('aria-label'),
    ).toContain('(3 assessments)');
    emit({
      type: 'action',
      namespace: 'prod',
      name: 'payments',
      action: action({
        at: '2026-01-01T12:01:00Z',
        step: 2,
        action: 'cache_clear_restart',
        outcome: 'cured',
      }),
    });
    expect(screen.getByText(/clear cache \+ restart \(step 2\) · attempt 1 · cured/)).toBeTruthy();
  });

  it('says plainly when the deployment is not watched (404)', async () => {
    setup(async () => {
      throw new ApiError('GET …: 404', {
        kind: 'http',
        url: '/api/deployments/prod/payments',
        status: 404,
      });
    });
    expect((await screen.findByRole('alert')).textContent).toBe(
      'prod/payments is not watched by the healer.',
    );
  });

  it('shows other failures with their message', async () => {
    setup(async () => {
      throw new ApiError('GET /api/deployments/prod/payments: the healer unreachable', {
        kind: 'network',
        url: '/x',
      });
    });
    expect((await screen.findByRole('alert')).textContent).toContain('the healer unreachable');
  });
});
