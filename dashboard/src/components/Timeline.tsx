import type { DeploymentDetail } from '@aiops/healer/api';
import { formatAgo, formatClock } from '../view/format';
import { buildTimeline } from '../view/timeline';

const KIND_GLYPH = { action: '⚙', notification: '✉', event: '☸' } as const;

/** Everything that happened to the deployment, newest first. */
export function Timeline({
  detail,
  now,
}: {
  detail: Pick<DeploymentDetail, 'actions' | 'notifications' | 'events'>;
  now: number;
}) {
  const items = buildTimeline(detail);
  if (items.length === 0) return <p className="muted">Nothing has happened yet.</p>;
  return (
    <ol className="timeline">
      {items.map((it, i) => (
        <li key={`${it.at}-${it.kind}-${i}`} className={`tl tl-${it.kind}`}>
          <span className="tl-time">
            <time dateTime={it.at}>{formatClock(it.at)}</time>
            <span className="muted small">{formatAgo(it.at, now)}</span>
          </span>
          <span className="tl-body">
            <span className="tl-title">
              <span aria-hidden="true" className="tl-glyph">
                {KIND_GLYPH[it.kind]}
              </span>
              <span className={`badge tone-${it.tone}`}>{it.tag}</span> {it.title}
            </span>
            <span className="tl-text">{it.text}</span>
          </span>
        </li>
      ))}
    </ol>
  );
}
