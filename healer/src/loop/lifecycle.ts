/**
 * Shutdown in the order that loses nothing and never leaves two actors: stop scheduling, wait
 * for the running cycle (its writes finish under the Lease), send the queued Slack messages,
 * then release the Lease (a follower takes over at once) and close the status API. Each wait is
 * bounded by what is left of `timeoutMs`, so the pod exits within its grace period.
 */

export interface ShutdownParts {
  stopSchedule(): Promise<void>;
  /** Resolves when no cycle is running. */
  idle(): Promise<void>;
  /** Sends what is queued within the time given. */
  drainNotifications?(timeoutMs: number): Promise<void>;
  /** Releases the Lease. */
  releaseLease?(): Promise<void>;
  closeServer?(): Promise<void>;
  now(): number;
  /** A timer that resolves after `ms` (bounded waits). */
  sleep(ms: number): Promise<void>;
  log?(step: string, detail?: Record<string, unknown>): void;
}

const MIN_STEP_MS = 1_000;

/** Runs the shutdown steps in order; a step that overruns the time left is abandoned, not awaited. */
export async function shutdown(p: ShutdownParts, timeoutMs: number): Promise<void> {
  const deadline = p.now() + timeoutMs;
  const left = (): number => Math.max(0, deadline - p.now());
  const bounded = async (step: string, work: Promise<unknown>): Promise<void> => {
    const timedOut = Symbol('timeout');
    const r = await Promise.race([
      work.then(
        () => undefined,
        (err: unknown) => p.log?.(`${step} failed`, { err: String(err) }),
      ),
      // Releasing the Lease is worth a moment even when the time is up: a follower then takes
      // over at once instead of after the lease duration.
      p.sleep(Math.max(left(), MIN_STEP_MS)).then(() => timedOut),
    ]);
    if (r === timedOut) p.log?.(`${step} did not finish within the shutdown timeout`);
  };
  await bounded('stopping the schedule', p.stopSchedule());
  await bounded('waiting for the running cycle', p.idle());
  if (p.drainNotifications)
    await bounded('sending queued notifications', p.drainNotifications(left()));
  if (p.releaseLease) await bounded('releasing the Lease', p.releaseLease());
  if (p.closeServer) await bounded('closing the status API', p.closeServer());
}
