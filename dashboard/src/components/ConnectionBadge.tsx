import type { Connection } from '../live/connection';
import { formatAgo } from '../view/format';

/** Whether what you see is live. A lost stream is loud: stale numbers at 3 a.m. are dangerous. */
export function ConnectionBadge({ connection, now }: { connection: Connection; now: number }) {
  const { status, since } = connection;
  const text =
    status === 'live'
      ? 'Live'
      : status === 'connecting'
        ? 'Connecting…'
        : `Connection lost ${formatAgo(new Date(since).toISOString(), now)}, reconnecting…`;
  return (
    <span
      className={`conn conn-${status}`}
      role="status"
      aria-live="polite"
      data-testid="connection"
    >
      <span aria-hidden="true" className="conn-dot" />
      {text}
    </span>
  );
}
