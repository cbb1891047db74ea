import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ApiClient } from './api/client';
import { ConnectionBadge } from './components/ConnectionBadge';
import { deploymentsOf } from './live/reducer';
import { useLive, useNow, type LiveDeps } from './live/useLive';
import { Detail } from './pages/Detail';
import { Overview } from './pages/Overview';
import { WhatIf } from './pages/WhatIf';
import { Humans } from './pages/Humans';
import type { HumansClient } from './api/humans';
import { hrefHumans, hrefOverview, hrefWhatIf, parseRoute, type Route } from './route';
import { formatClock } from './view/format';
import { formatOverviewQuery, parseOverviewQuery } from './view/overview';

export interface AppDeps extends LiveDeps {
  api: ApiClient;
  /** Approvals, silences and the kill switch; without it the page says so. */
  humans?: HumansClient;
  /** How often "how long ago" texts refresh. */
  tickMs: number;
}

function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onHash = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

/** The whole dashboard: header with the live state, then the page the hash names. */
export function App({ deps }: { deps: AppDeps }) {
  const live = useLive(deps);
  const now = useNow(deps.clock, deps.tickMs);
  const route = useHashRoute();
  const deployments = useMemo(() => deploymentsOf(live.live), [live.live]);

  useEffect(() => {
    const base = 'aiops-autoheal';
    document.title =
      route.page === 'detail'
        ? `${route.namespace}/${route.name} · ${base}`
        : route.page === 'whatif'
          ? `What-if · ${base}`
          : base;
  }, [route]);

  let page: ReactNode;
  switch (route.page) {
    case 'overview': {
      const { filter, sort } = parseOverviewQuery(route.query);
      page = (
        <Overview
          deployments={deployments}
          actions={live.live.actions}
          loaded={live.live.loaded}
          loadError={live.loadError}
          now={now}
          filter={filter}
          sort={sort}
          onChange={(f, s) => {
            window.history.replaceState(null, '', hrefOverview(formatOverviewQuery(f, s)));
            window.dispatchEvent(new HashChangeEvent('hashchange'));
          }}
        />
      );
      break;
    }
    case 'detail':
      page = (
        <Detail
          key={`${route.namespace}/${route.name}`}
          api={deps.api}
          namespace={route.namespace}
          name={route.name}
          now={now}
          subscribe={live.subscribe}
          resyncs={live.resyncs}
        />
      );
      break;
    case 'whatif':
      page = (
        <WhatIf
          api={deps.api}
          deployments={deployments}
          loaded={live.live.loaded}
          {...(route.namespace && route.name
            ? { namespace: route.namespace, name: route.name }
            : {})}
        />
      );
      break;
    case 'humans':
      page = deps.humans ? (
        <Humans client={deps.humans} />
      ) : (
        <p className="alert">Approvals and silences are not available here.</p>
      );
      break;
    case 'notfound':
      page = (
        <p className="alert" role="alert">
          No page at {route.path}. <a href={hrefOverview()}>Go to the overview</a>.
        </p>
      );
  }

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href={hrefOverview()}>
          <span aria-hidden="true" className="brand-mark">
            ◢
          </span>
          aiops-autoheal
        </a>
        <nav aria-label="Pages">
          <a href={hrefOverview()} aria-current={route.page === 'overview' ? 'page' : undefined}>
            Overview
          </a>
          <a href={hrefWhatIf()} aria-current={route.page === 'whatif' ? 'page' : undefined}>
            What-if
          </a>
          <a href={hrefHumans()} aria-current={route.page === 'humans' ? 'page' : undefined}>
            Approvals &amp; silences
          </a>
        </nav>
        <ConnectionBadge connection={live.connection} now={now} />
      </header>
      <main id="main" tabIndex={-1}>
        {live.connection.status === 'reconnecting' && (
          <p className="stale-banner" data-testid="stale-banner">
            Live updates paused since {formatClock(live.connection.since)}: what you see may be
            stale.
          </p>
        )}
        {page}
      </main>
    </>
  );
}
