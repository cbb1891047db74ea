// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { action, status } from '../testing/fixtures';
import { DEFAULT_SORT, EMPTY_FILTER, type OverviewFilter, type SortSpec } from '../view/overview';
import { Overview, type OverviewProps } from './Overview';

afterEach(cleanup);

const NOW = Date.parse('2026-01-01T12:00:00Z');
const DEPLOYMENTS = [
  status({ name: 'cart', risk: 0.12, level: 'low' }),
  status({
    name: 'payments',
    risk: 0.95,
    level: 'critical',
    state: 'healing',
    step: 2,
    attempts: 2,
    lastAction: action({ at: '2026-01-01T11:56:00Z', step: 2, action: 'cache_clear_restart' }),
  }),
  status({
    namespace: 'dev',
    name: 'api',
    risk: null,
    level: null,
    state: 'inconclusive',
    inconclusiveReason: 'no data for http_5xx_error_rate',
  }),
];

function renderOverview(over: Partial<OverviewProps> = {}) {
  const changes: [OverviewFilter, SortSpec][] = [];
  const props: OverviewProps = {
    deployments: DEPLOYMENTS,
    actions: [{ ...action({ at: '2026-01-01T11:56:00Z' }), namespace: 'prod', name: 'payments' }],
    loaded: true,
    loadError: null,
    now: NOW,
    filter: EMPTY_FILTER,
    sort: DEFAULT_SORT,
    onChange: (f, s) => changes.push([f, s]),
    ...over,
  };
  render(<Overview {...props} />);
  return changes;
}

const rowNames = (): string[] =>
  screen
    .getAllByRole('row')
    .slice(1)
    .map((r) => r.getAttribute('data-testid') ?? '');

describe('Overview', () => {
  it('lists deployments riskiest first, unknown risk last, with level, state and last action in words', () => {
    renderOverview();
    expect(rowNames()).toEqual(['row-prod/payments', 'row-prod/cart', 'row-dev/api']);
    const payments = within(screen.getByTestId('row-prod/payments'));
    expect(payments.getByTestId('risk').textContent).toBe('95 %■ critical');
    expect(payments.getByTestId('state').textContent).toContain('healing step 2');
    expect(payments.getByTestId('state').textContent).toContain('clear cache + restart');
    expect(payments.getByTestId('last-action').textContent).toBe(
      'clear cache + restart (step 2)pending · 4 min ago',
    );
    expect(within(screen.getByTestId('row-dev/api')).getByTestId('risk').textContent).toBe(
      '—○ unknown',
    );
    expect(screen.getByText('no data for http_5xx_error_rate')).toBeTruthy();
    expect(screen.getByRole('link', { name: /^prod\/\s*payments$/ }).getAttribute('href')).toBe(
      '#/d/prod/payments',
    );
  });

  it('shows the summary: counts by level and actions in the last hour', () => {
    renderOverview();
    const summary = within(screen.getByRole('region', { name: 'Summary' }));
    expect(summary.getByRole('button', { name: /critical/ }).textContent).toBe('1■ critical');
    expect(summary.getByRole('button', { name: /unknown/ }).textContent).toBe('1○ unknown');
    expect(screen.getByTestId('actions-last-hour').textContent).toBe('1');
  });

  it('applies the filter it is given and says how many are shown', () => {
    renderOverview({ filter: { ...EMPTY_FILTER, namespace: 'prod' } });
    expect(rowNames()).toEqual(['row-prod/payments', 'row-prod/cart']);
    expect(screen.getByText('2 of 3 shown')).toBeTruthy();
  });

  it('sorting by a header is a keyboard-reachable button that reports the new sort', () => {
    const changes = renderOverview();
    const header = screen.getByRole('columnheader', { name: /Risk/ });
    expect(header.getAttribute('aria-sort')).toBe('descending');
    fireEvent.click(
      within(screen.getByRole('columnheader', { name: /Deployment/ })).getByRole('button'),
    );
    expect(changes.at(-1)).toEqual([EMPTY_FILTER, { key: 'name', dir: 'asc' }]);
  });

  it('the sort menu works where there are no headers (phones)', () => {
    const changes = renderOverview();
    fireEvent.change(screen.getByLabelText('Sort'), { target: { value: 'lastAction:desc' } });
    expect(changes.at(-1)?.[1]).toEqual({ key: 'lastAction', dir: 'desc' });
  });

  it('a level tile toggles the level filter', () => {
    const changes = renderOverview();
    fireEvent.click(screen.getByRole('button', { name: /critical/ }));
    expect(changes.at(-1)?.[0]).toEqual({ ...EMPTY_FILTER, level: 'critical' });
  });

  it('filter controls report changes', () => {
    const changes = renderOverview();
    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'inconclusive' } });
    expect(changes.at(-1)?.[0].state).toBe('inconclusive');
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'pay' } });
    expect(changes.at(-1)?.[0].text).toBe('pay');
  });

  it('says when nothing matches, when loading, and when the healer is unreachable', () => {
    renderOverview({ filter: { ...EMPTY_FILTER, namespace: 'nowhere' } });
    expect(screen.getByText('No deployment matches these filters.')).toBeTruthy();
    cleanup();
    renderOverview({ deployments: [], loaded: false });
    expect(screen.getByText('Loading deployments…')).toBeTruthy();
    cleanup();
    renderOverview({
      deployments: [],
      loaded: false,
      loadError: new Error('GET /api/deployments: the healer unreachable'),
    });
    expect(screen.getByRole('alert').textContent).toContain('the healer unreachable');
  });

  it('flags a deployment whose last assessment is old', () => {
    renderOverview({ deployments: [status({ updatedAt: '2026-01-01T11:48:00Z' })] });
    expect(screen.getByTestId('risk').textContent).toContain('⚠ assessed 12 min ago');
  });
});
