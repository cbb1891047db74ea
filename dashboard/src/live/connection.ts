/** The stream's state as the header badge shows it. */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting';

export interface Connection {
  status: ConnectionStatus;
  /** When the current status began (epoch ms). */
  since: number;
  /** Failed attempts since the last successful open: drives the back-off. */
  failures: number;
  /** True once the stream has been open at least once (a later open must resync). */
  everOpen: boolean;
}

export type ConnectionEvent = { type: 'open'; at: number } | { type: 'error'; at: number };

export const INITIAL_CONNECTION: Connection = {
  status: 'connecting',
  since: 0,
  failures: 0,
  everOpen: false,
};

export function connectionReducer(c: Connection, e: ConnectionEvent): Connection {
  if (e.type === 'open') return { status: 'live', since: e.at, failures: 0, everOpen: true };
  const status: ConnectionStatus = c.everOpen ? 'reconnecting' : 'connecting';
  // Keep `since` while already down, so "lost 40 s ago" keeps counting across retries.
  const since = c.status === 'live' || c.since === 0 ? e.at : c.since;
  return { ...c, status, since, failures: c.failures + 1 };
}

/** Exponential back-off for re-creating a closed EventSource: 1 s, 2 s, 4 s … capped at 30 s. */
export function retryDelayMs(failures: number): number {
  if (!Number.isFinite(failures) || failures < 1) return 1000;
  return Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 10));
}
