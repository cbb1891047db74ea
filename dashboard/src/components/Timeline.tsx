import type { DeploymentDetail } from '@aiops/healer/api';
import { formatAgo, formatClock } from '../view/format';
import type { Tone } from '../view/states';
import { buildTimeline, groupEpisodes, type Episode, type TimelineItem } from '../view/timeline';

const KIND_GLYPH = { action: '⚙', notification: '✉', event: '☸' } as const;

const OUTCOME_TEXT: Record<Episode['outcome'], string> = {
  recovered: 'recovered',
  ended: 'ended by a new release',
  ongoing: 'ongoing',
};
const OUTCOME_TONE: Record<Episode['outcome'], Tone> = {
  recovered: 'ok',
  ended: 'muted',
  ongoing: 'warn',
};

/** Everything that happened to the deployment, newest first, one section per episode. */
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
    <div className="episodes">
      {groupEpisodes(items).map((e) => (
        <section key={e.n} className="episode" aria-label={`Episode ${e.n}`}>
          <h3 className="episode-head">
            Episode {e.n}{' '}
            <span className={`badge tone-${OUTCOME_TONE[e.outcome]}`}>
              {OUTCOME_TEXT[e.outcome]}
            </span>{' '}
            <span className="muted small">
              {formatClock(e.startedAt)}
              {e.endedAt ? ` → ${formatClock(e.endedAt)}` : ''} · {count(e.actions, 'action')}
              {e.dryRuns ? ` · ${count(e.dryRuns, 'dry-run step')}` : ''}
            </span>
          </h3>
          <Items items={e.items} now={now} />
        </section>
      ))}
    </div>
  );
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

function Items({ items, now }: { items: TimelineItem[]; now: number }) {
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
