// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ApiClient } from './api/client';
import { App, type AppDeps } from './App';
import { FakeEventSource, ManualScheduler } from './testing/fakeEventSource';
import { status } from './testing/fixtures';

beforeEach(() => {
  FakeEventSource.reset();
  window.location.hash = '#/';
});
afterEach(cleanup);

function deps(): AppDeps {
  const api: ApiClient = {
    listDeployments: async () => [status({ name: 'payments', risk: 0.95, level: 'critical' })],
    getDeployment: async () => {
      throw new Error('not used');
    },
    predict: async () => {
      throw new Error('not used');
    },
    getModel: async () => ({ version: 'v1', threshold: 0.5 }),
  };
  return {
    api,
    openStream: (url) => new FakeEventSource(url),
    clock: () => Date.parse('2026-01-01T12:00:00Z'),
    schedule: new ManualScheduler().schedule,
    tickMs: 0,
  };
}

it('shows the stream state in the header and warns that data may be stale while it is lost', async () => {
  render(<App deps={deps()} />);
  await screen.findByTestId('row-prod/payments');
  expect(screen.getByTestId('connection').textContent).toBe('Connecting…');
  act(() => FakeEventSource.latest().open());
  expect(screen.getByTestId('connection').textContent).toBe('Live');
  expect(screen.queryByTestId('stale-banner')).toBeNull();
  act(() => FakeEventSource.latest().fail());
  expect(screen.getByTestId('connection').textContent).toBe(
    'Connection lost just now, reconnecting…',
  );
  expect(screen.getByTestId('stale-banner').textContent).toContain('what you see may be stale');
});

it('routes by the hash: what-if, unknown pages', async () => {
  render(<App deps={deps()} />);
  await screen.findByTestId('row-prod/payments');
  act(() => {
    window.location.hash = '#/what-if/prod/payments';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });
  expect(screen.getByRole('heading', { name: 'What-if' })).toBeTruthy();
  expect(document.title).toBe('What-if · aiops-autoheal');
  act(() => {
    window.location.hash = '#/nope';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });
  expect(screen.getByRole('alert').textContent).toContain('No page at /nope');
});
