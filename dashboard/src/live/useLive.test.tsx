// @vitest-environment happy-dom
import { act, renderHook, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentStatus } from '@aiops/healer/api';
import { ApiError } from '../api/client';
import { FakeEventSource, ManualScheduler } from '../testing/fakeEventSource';
import { action, status } from '../testing/fixtures';
import { deploymentsOf } from './reducer';
import { useLive, type LiveDeps } from './useLive';

function setup(answers: (DeploymentStatus[] | Error)[]) {
  const calls: number[] = [];
  const scheduler = new ManualScheduler();
  let n = 0;
  const deps: LiveDeps = {
    api: {
      listDeployments: async () => {
        calls.push(n);
        const a = answers[Math.min(n, answers.length - 1)]!;
        n += 1;
        if (a instanceof Error) throw a;
        return a;
      },
    },
    openStream: (url) => new FakeEventSource(url),
    clock: () => 1000,
    schedule: scheduler.schedule,
  };
  const hook = renderHook(() => useLive(deps));
  return { hook, calls, scheduler };
}

beforeEach(() => FakeEventSource.reset());
afterEach(() => FakeEventSource.reset());

describe('useLive', () => {
  it('loads the snapshot, opens /api/events and applies streamed assessments and actions', async () => {
    const { hook } = setup([[status({ risk: 0.1 })]]);
    await waitFor(() => expect(hook.result.current.live.loaded).toBe(true));
    expect(FakeEventSource.latest().url).toBe('/api/events');
    expect(hook.result.current.connection.status).toBe('connecting');

    act(() => FakeEventSource.latest().open());
    expect(hook.result.current.connection.status).toBe('live');

    act(() => {
      FakeEventSource.latest().emit('assessment', {
        type: 'assessment',
        deployment: status({ risk: 0.93, level: 'critical', updatedAt: '2026-01-01T12:01:00Z' }),
      });
      FakeEventSource.latest().emit('action', {
        type: 'action',
        namespace: 'prod',
        name: 'checkout',
        action: action(),
      });
    });
    const [d] = deploymentsOf(hook.result.current.live);
    expect(d?.risk).toBe(0.93);
    expect(d?.lastAction?.action).toBe('restart_scale');
  });

  it('counts and skips malformed messages without dropping the stream', async () => {
    const { hook } = setup([[status()]]);
    await waitFor(() => expect(hook.result.current.live.loaded).toBe(true));
    act(() => FakeEventSource.latest().open());
    act(() => FakeEventSource.latest().emit('assessment', '{oops'));
    expect(hook.result.current.badMessages).toBe(1);
    expect(hook.result.current.connection.status).toBe('live');
  });

  it('shows a lost connection, and resyncs the snapshot when the browser reconnects', async () => {
    const { hook, calls } = setup([
      [status({ risk: 0.1 })],
      [status({ risk: 0.7, updatedAt: '2026-01-01T12:05:00Z' })],
    ]);
    await waitFor(() => expect(hook.result.current.live.loaded).toBe(true));
    act(() => FakeEventSource.latest().open());
    act(() => FakeEventSource.latest().fail());
    expect(hook.result.current.connection).toMatchObject({ status: 'reconnecting', since: 1000 });
    expect(FakeEventSource.all).toHaveLength(1); // the browser retries this one itself

    act(() => FakeEventSource.latest().open());
    await waitFor(() => expect(deploymentsOf(hook.result.current.live)[0]?.risk).toBe(0.7));
    expect(calls).toHaveLength(2);
    expect(hook.result.current.resyncs).toBe(1);
    expect(hook.result.current.connection.status).toBe('live');
  });

  it('reopens a stream the browser closed, with back-off', async () => {
    const { hook, scheduler } = setup([[status()]]);
    await waitFor(() => expect(hook.result.current.live.loaded).toBe(true));
    act(() => FakeEventSource.latest().fail(true));
    expect(FakeEventSource.all[0]?.closed).toBe(true);
    expect(scheduler.pending()).toEqual([1000]);
    act(() => scheduler.runAll());
    expect(FakeEventSource.all).toHaveLength(2);
    act(() => FakeEventSource.latest().fail(true));
    expect(scheduler.pending()).toEqual([2000]);
    act(() => scheduler.runAll());
    act(() => FakeEventSource.latest().open());
    expect(hook.result.current.connection.status).toBe('live');
  });

  it('reports a failed snapshot and retries it when the stream opens', async () => {
    const down = new ApiError('GET /api/deployments: the healer unreachable', {
      kind: 'network',
      url: '/api/deployments',
    });
    const { hook } = setup([down, [status()]]);
    await waitFor(() => expect(hook.result.current.loadError).toBe(down));
    act(() => FakeEventSource.latest().open());
    await waitFor(() => expect(hook.result.current.live.loaded).toBe(true));
    expect(hook.result.current.loadError).toBeNull();
  });

  it('closes the stream and cancels retries on unmount', async () => {
    const { hook, scheduler } = setup([[status()]]);
    await waitFor(() => expect(hook.result.current.live.loaded).toBe(true));
    act(() => FakeEventSource.latest().fail(true));
    hook.unmount();
    expect(scheduler.pending()).toEqual([]);
    const { hook: h2 } = setup([[status()]]);
    await waitFor(() => expect(h2.result.current.live.loaded).toBe(true));
    h2.unmount();
    expect(FakeEventSource.latest().closed).toBe(true);
  });

  it('passes every valid message to subscribers', async () => {
    const { hook } = setup([[status()]]);
    await waitFor(() => expect(hook.result.current.live.loaded).toBe(true));
    const seen: string[] = [];
    const off = hook.result.current.subscribe((m) => seen.push(m.type));
    act(() =>
      FakeEventSource.latest().emit('notification', {
        type: 'notification',
        namespace: 'prod',
        name: 'checkout',
        notification: { at: 't', kind: 'slack', text: 'x', delivered: true },
      }),
    );
    off();
    act(() =>
      FakeEventSource.latest().emit('action', {
        type: 'action',
        namespace: 'prod',
        name: 'checkout',
        action: action(),
      }),
    );
    expect(seen).toEqual(['notification']);
  });

  it("reloads the snapshot on the healer's resync event", async () => {
    const { hook, calls } = setup([
      [status({ risk: 0.1 })],
      [status({ risk: 0.8, updatedAt: '2026-01-01T12:09:00Z' })],
    ]);
    await waitFor(() => expect(hook.result.current.live.loaded).toBe(true));
    act(() => FakeEventSource.latest().open());
    act(() => FakeEventSource.latest().emit('resync', { type: 'resync', lastId: 42 }));
    await waitFor(() => expect(deploymentsOf(hook.result.current.live)[0]?.risk).toBe(0.8));
    expect(calls).toHaveLength(2);
    expect(hook.result.current.resyncs).toBe(1);
  });
});
