import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { StreamMessage } from '@aiops/healer/api';
import type { ApiClient } from '../api/client';
import { connectionReducer, INITIAL_CONNECTION, retryDelayMs, type Connection } from './connection';
import { parseStreamMessage, STREAM_EVENT_TYPES } from './parse';
import { EMPTY_LIVE, liveReducer, type LiveState } from './reducer';

/** The part of the browser's EventSource the dashboard uses; tests pass a small fake. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onerror: ((ev: Event) => void) | null;
  addEventListener(type: string, listener: (ev: MessageEvent<string>) => void): void;
  close(): void;
}

/** EventSource.CLOSED: the browser gave up (e.g. an HTTP error status); we must open a new one. */
const CLOSED = 2;
export const EVENTS_PATH = '/api/events';
/** `event: resync` (healer's StreamResync): reload the snapshot, then keep reading. */
export const RESYNC_EVENT = 'resync';

export interface LiveDeps {
  api: Pick<ApiClient, 'listDeployments'>;
  openStream: (url: string) => EventSourceLike;
  clock: () => number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  schedule: (fn: () => void, ms: number) => () => void;
}

export interface Live {
  live: LiveState;
  connection: Connection;
  /** The last failure to load the snapshot, cleared by the next success. */
  loadError: Error | null;
  /** Bumped whenever the stream came back after a loss: open pages refetch what they show. */
  resyncs: number;
  /** Stream messages skipped because they were malformed. */
  badMessages: number;
  /** Every valid stream message, for pages that keep their own state (the detail page). */
  subscribe(listener: (m: StreamMessage) => void): () => void;
}

/**
 * The live picture: loads `GET /api/deployments`, then applies the SSE stream. A lost stream shows as
 * `reconnecting`; the browser retries by itself (the healer replays from Last-Event-ID), and a stream
 * the browser closed is reopened with back-off. After any loss, and on the healer's `resync` event,
 * the snapshot is fetched again: replay cannot cover a healer restart or a brand-new EventSource.
 */
export function useLive(deps: LiveDeps): Live {
  const { api, openStream, clock, schedule } = deps;
  const [live, dispatch] = useReducer(liveReducer, EMPTY_LIVE);
  const [connection, dispatchConnection] = useReducer(connectionReducer, INITIAL_CONNECTION);
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [resyncs, setResyncs] = useState(0);
  const [badMessages, setBadMessages] = useState(0);
  const listeners = useRef(new Set<(m: StreamMessage) => void>());

  useEffect(() => {
    const ac = new AbortController();
    let stream: EventSourceLike | null = null;
    let cancelRetry: (() => void) | null = null;
    let failures = 0;
    let everOpen = false;
    let lost = false;
    let loaded = false;

    const load = async (): Promise<void> => {
      try {
        const deployments = await api.listDeployments(ac.signal);
        if (ac.signal.aborted) return;
        loaded = true;
        dispatch({ type: 'snapshot', deployments });
        setLoadError(null);
      } catch (err) {
        if (!ac.signal.aborted) setLoadError(err instanceof Error ? err : new Error(String(err)));
      }
    };

    const connect = (): void => {
      const es = openStream(EVENTS_PATH);
      stream = es;
      es.onopen = () => {
        failures = 0;
        dispatchConnection({ type: 'open', at: clock() });
        if (lost || !loaded) {
          void load();
          if (lost) setResyncs((n) => n + 1);
        }
        lost = false;
        everOpen = true;
      };
      es.onerror = () => {
        failures += 1;
        if (everOpen) lost = true;
        dispatchConnection({ type: 'error', at: clock() });
        if (es.readyState === CLOSED && stream === es) {
          es.close();
          stream = null;
          cancelRetry = schedule(connect, retryDelayMs(failures));
        }
      };
      // The healer could not replay what we missed (Last-Event-ID too old, or it restarted).
      es.addEventListener(RESYNC_EVENT, () => {
        void load();
        setResyncs((n) => n + 1);
      });
      for (const type of STREAM_EVENT_TYPES) {
        es.addEventListener(type, (ev) => {
          const m = parseStreamMessage(type, ev.data);
          if (m instanceof Error) {
            console.warn(`skipped a stream message: ${m.message}`);
            setBadMessages((n) => n + 1);
            return;
          }
          dispatch({ type: 'message', message: m });
          for (const l of listeners.current) l(m);
        });
      }
    };

    void load();
    connect();
    return () => {
      ac.abort();
      cancelRetry?.();
      stream?.close();
    };
  }, [api, openStream, clock, schedule]);

  const subscribe = useCallback((listener: (m: StreamMessage) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);

  return { live, connection, loadError, resyncs, badMessages, subscribe };
}

/** A clock that re-renders every `everyMs`, so "3 min ago" stays true without a reload. */
export function useNow(clock: () => number, everyMs: number): number {
  const [now, setNow] = useState(clock);
  useEffect(() => {
    if (!(everyMs > 0)) return undefined;
    const id = setInterval(() => setNow(clock()), everyMs);
    return () => clearInterval(id);
  }, [clock, everyMs]);
  return now;
}
