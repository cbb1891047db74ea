import { useEffect, useState } from 'react';
import type { DeploymentDetail, StreamMessage } from '@aiops/healer/api';
import { ApiError, type ApiClient } from '../api/client';
import { ContributionBars } from '../components/ContributionBars';
import { Ladder } from '../components/Ladder';
import { RiskBar } from '../components/RiskBar';
import { RiskChart } from '../components/RiskChart';
import { StateBadge } from '../components/StateBadge';
import { Timeline } from '../components/Timeline';
import { applyToDetail } from '../live/reducer';
import { hrefOverview, hrefWhatIf } from '../route';
import { featureLabel, formatAgo, formatContribution, formatFeatureValue } from '../view/format';
import { actionVerb } from '../view/states';

export interface DetailProps {
  api: Pick<ApiClient, 'getDeployment'>;
  namespace: string;
  name: string;
  now: number;
  subscribe(listener: (m: StreamMessage) => void): () => void;
  /** Changes when the live stream came back after a loss: refetch. */
  resyncs: number;
}

type Load =
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | { status: 'ok'; detail: DeploymentDetail };

/** One sentence on why: the top drivers with their values and contributions. */
function why(d: DeploymentDetail): string {
  const top = [...d.explanation]
    .filter((c) => c.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, 3);
  if (top.length === 0) return 'No signal is raising the risk.';
  return `Driven by ${top
    .map(
      (c) =>
        `${featureLabel(c.feature)} = ${formatFeatureValue(c.feature, c.value)} (${formatContribution(c.contribution)})`,
    )
    .join(', ')}.`;
}

/** One deployment: how its risk moved, why, where it is on the ladder, and what happened. */
export function Detail({ api, namespace, name, now, subscribe, resyncs }: DetailProps) {
  const [load, setLoad] = useState<Load>({ status: 'loading' });

  useEffect(() => {
    const ac = new AbortController();
    setLoad((l) =>
      l.status === 'ok' && l.detail.namespace === namespace && l.detail.name === name
        ? l
        : { status: 'loading' },
    );
    api.getDeployment(namespace, name, ac.signal).then(
      (detail) => setLoad({ status: 'ok', detail }),
      (error: unknown) => {
        if (!ac.signal.aborted)
          setLoad({
            status: 'error',
            error: error instanceof Error ? error : new Error(String(error)),
          });
      },
    );
    return () => ac.abort();
  }, [api, namespace, name, resyncs]);

  useEffect(
    () =>
      subscribe((m) =>
        setLoad((l) =>
          l.status === 'ok' ? { status: 'ok', detail: applyToDetail(l.detail, m) } : l,
        ),
      ),
    [subscribe],
  );

  const title = `${namespace}/${name}`;
  if (load.status === 'loading')
    return (
      <section aria-busy="true">
        <h1>{title}</h1>
        <p className="muted">Loading…</p>
      </section>
    );
  if (load.status === 'error') {
    const notWatched = load.error instanceof ApiError && load.error.status === 404;
    return (
      <section>
        <h1>{title}</h1>
        <p className="alert" role="alert">
          {notWatched
            ? `${title} is not watched by the healer.`
            : `Could not load ${title}: ${load.error.message}`}
        </p>
        <a href={hrefOverview()}>Back to the overview</a>
      </section>
    );
  }

  const d = load.detail;
  return (
    <article className="detail">
      <header className="detail-head">
        <div>
          <a href={hrefOverview()} className="small">
            ← all deployments
          </a>
          <h1>
            <span className="muted">{d.namespace}/</span>
            {d.name}
          </h1>
        </div>
        <div className="detail-risk" data-testid="detail-risk">
          <RiskBar risk={d.risk} level={d.level} size="lg" />
        </div>
        <dl className="facts">
          <div>
            <dt>State</dt>
            <dd>
              <StateBadge status={d} />
            </dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd>{d.attempts}</dd>
          </div>
          <div>
            <dt>Last action</dt>
            <dd>
              {d.lastAction
                ? `${actionVerb(d.lastAction)}, ${formatAgo(d.lastAction.at, now)}`
                : 'none'}
            </dd>
          </div>
          <div>
            <dt>Assessed</dt>
            <dd>{formatAgo(d.updatedAt, now)}</dd>
          </div>
        </dl>
        <a className="button" href={hrefWhatIf(d.namespace, d.name)}>
          What-if from these values
        </a>
      </header>
      {d.state === 'inconclusive' && (
        <p className="alert alert-muted">
          Inconclusive: {d.inconclusiveReason ?? 'no usable data'}. The healer holds and does not
          act.
        </p>
      )}

      <section className="card span-2" aria-labelledby="h-history">
        <h2 id="h-history">Risk history</h2>
        <RiskChart history={d.history} thresholds={d.thresholds} actions={d.actions} />
      </section>

      <section className="card" aria-labelledby="h-why">
        <h2 id="h-why">Why: signals and their contributions</h2>
        <p data-testid="explanation-summary">{why(d)}</p>
        <ContributionBars explanation={d.explanation} />
      </section>

      <section className="card" aria-labelledby="h-ladder">
        <h2 id="h-ladder">Heal ladder</h2>
        <Ladder step={d.step} state={d.state} actions={d.actions} />
      </section>

      <section className="card span-2" aria-labelledby="h-timeline">
        <h2 id="h-timeline">Timeline</h2>
        <Timeline detail={d} now={now} />
      </section>
    </article>
  );
}
