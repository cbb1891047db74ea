import { RISK_LEVELS } from '@aiops/model/schema';
import type { DeploymentStatus } from '@aiops/healer/api';
import { RiskBar } from '../components/RiskBar';
import { Sparkline } from '../components/Sparkline';
import { StateBadge } from '../components/StateBadge';
import type { KnownAction } from '../live/reducer';
import { hrefDetail, hrefWhatIf } from '../route';
import { formatAgo, formatClock, isStale } from '../view/format';
import {
  deploymentKey,
  EMPTY_FILTER,
  filterDeployments,
  isEmptyFilter,
  namespacesOf,
  nextSort,
  sortDeployments,
  summarize,
  type LevelFilterKey,
  type OverviewFilter,
  type SortDir,
  type SortKey,
  type SortSpec,
} from '../view/overview';
import {
  actionVerb,
  LEVEL_GLYPHS,
  OUTCOME_LABELS,
  STATE_FILTER_KEYS,
  stateFilterLabel,
} from '../view/states';

export interface OverviewProps {
  deployments: readonly DeploymentStatus[];
  actions: readonly KnownAction[];
  loaded: boolean;
  loadError: Error | null;
  now: number;
  filter: OverviewFilter;
  sort: SortSpec;
  onChange(filter: OverviewFilter, sort: SortSpec): void;
}

/** The sort menu: the table headers sort too, but phones have no headers. */
const SORT_OPTIONS: { value: string; label: string }[] = [
  { value: 'risk:desc', label: 'risk, highest first' },
  { value: 'state:desc', label: 'state, most urgent first' },
  { value: 'lastAction:desc', label: 'last action, newest first' },
  { value: 'attempts:desc', label: 'attempts, most first' },
  { value: 'name:asc', label: 'name, A–Z' },
  { value: 'namespace:asc', label: 'namespace, A–Z' },
  { value: 'risk:asc', label: 'risk, lowest first' },
];

const COLUMNS: { key: SortKey | null; label: string; className?: string }[] = [
  { key: 'name', label: 'Deployment' },
  { key: 'risk', label: 'Risk' },
  { key: null, label: 'Trend', className: 'col-trend' },
  { key: 'state', label: 'State' },
  { key: 'attempts', label: 'Attempts', className: 'num' },
  { key: 'lastAction', label: 'Last action' },
];

function SummaryStrip({
  deployments,
  actions,
  now,
  filter,
  onLevel,
}: {
  deployments: readonly DeploymentStatus[];
  actions: readonly KnownAction[];
  now: number;
  filter: OverviewFilter;
  onLevel(level: LevelFilterKey | ''): void;
}) {
  const s = summarize(deployments, actions, now);
  const levels: LevelFilterKey[] = [...RISK_LEVELS].reverse();
  if (s.byLevel.unknown > 0) levels.push('unknown');
  return (
    <section className="summary" aria-label="Summary">
      {levels.map((l) => (
        <button
          key={l}
          type="button"
          className={`tile lvl-${l}`}
          aria-pressed={filter.level === l}
          onClick={() => onLevel(filter.level === l ? '' : l)}
          title={`Show only ${l} deployments`}
        >
          <span className="tile-num">{s.byLevel[l]}</span>
          <span className="tile-label">
            <span aria-hidden="true">{LEVEL_GLYPHS[l]}</span> {l}
          </span>
        </button>
      ))}
      <span className="tile tile-plain">
        <span className="tile-num">{s.healing}</span>
        <span className="tile-label">healing</span>
      </span>
      <span className={`tile tile-plain ${s.needsAttention ? 'tile-alarm' : ''}`}>
        <span className="tile-num">{s.needsAttention}</span>
        <span className="tile-label">need attention</span>
      </span>
      <span className="tile tile-plain" title="Actions the dashboard has seen in the last hour">
        <span className="tile-num" data-testid="actions-last-hour">
          {s.actionsLastHour}
        </span>
        <span className="tile-label">actions last hour</span>
      </span>
    </section>
  );
}

function LastAction({ d, now }: { d: DeploymentStatus; now: number }) {
  const a = d.lastAction;
  if (!a) return <span className="muted">none</span>;
  return (
    <span className="last-action">
      <span>{actionVerb(a)}</span>
      <span className="muted small">
        {OUTCOME_LABELS[a.outcome] ?? a.outcome} ·{' '}
        <time dateTime={a.at} title={formatClock(a.at)}>
          {formatAgo(a.at, now)}
        </time>
      </span>
    </span>
  );
}

/** Every watched deployment, riskiest first, filterable; the first screen during an incident. */
export function Overview(p: OverviewProps) {
  const { filter, sort } = p;
  const rows = sortDeployments(filterDeployments(p.deployments, filter), sort);
  const namespaces = namespacesOf(p.deployments);
  const setFilter = (f: Partial<OverviewFilter>): void => p.onChange({ ...filter, ...f }, sort);
  const filtered = !isEmptyFilter(filter) && rows.length !== p.deployments.length;

  return (
    <>
      <SummaryStrip
        deployments={p.deployments}
        actions={p.actions}
        now={p.now}
        filter={filter}
        onLevel={(level) => setFilter({ level })}
      />
      <form
        className="filters"
        role="search"
        aria-label="Filter deployments"
        onSubmit={(e) => e.preventDefault()}
      >
        <label>
          <span>Search</span>
          <input
            type="search"
            value={filter.text}
            placeholder="namespace/name"
            onChange={(e) => setFilter({ text: e.target.value })}
          />
        </label>
        <label>
          <span>Namespace</span>
          <select
            value={filter.namespace}
            onChange={(e) => setFilter({ namespace: e.target.value })}
          >
            <option value="">all</option>
            {namespaces.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          <span>Level</span>
          <select
            value={filter.level}
            onChange={(e) => setFilter({ level: e.target.value as LevelFilterKey | '' })}
          >
            <option value="">all</option>
            {[...RISK_LEVELS, 'unknown'].map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          <span>State</span>
          <select
            value={filter.state}
            onChange={(e) => setFilter({ state: e.target.value as OverviewFilter['state'] })}
          >
            <option value="">all</option>
            {STATE_FILTER_KEYS.map((k) => (
              <option key={k} value={k}>
                {stateFilterLabel(k)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Sort</span>
          <select
            value={`${sort.key}:${sort.dir}`}
            onChange={(e) => {
              const [key, dir] = e.target.value.split(':') as [SortKey, SortDir];
              p.onChange(filter, { key, dir });
            }}
          >
            {SORT_OPTIONS.concat(
              SORT_OPTIONS.some((o) => o.value === `${sort.key}:${sort.dir}`)
                ? []
                : [{ value: `${sort.key}:${sort.dir}`, label: `${sort.key} (${sort.dir})` }],
            ).map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        {!isEmptyFilter(filter) && (
          <button
            type="button"
            className="link-button"
            onClick={() => p.onChange(EMPTY_FILTER, sort)}
          >
            Clear filters
          </button>
        )}
        <span className="muted small filters-count" aria-live="polite">
          {filtered
            ? `${rows.length} of ${p.deployments.length} shown`
            : `${p.deployments.length} watched`}
        </span>
      </form>

      {p.loadError && (
        <p className="alert" role="alert">
          Could not load deployments: {p.loadError.message}. Retrying when the stream reconnects.
        </p>
      )}
      {!p.loaded && !p.loadError && <p className="muted">Loading deployments…</p>}
      {p.loaded && p.deployments.length === 0 && (
        <p className="muted">The healer watches no deployments yet.</p>
      )}

      {rows.length > 0 && (
        <table className="deployments">
          <caption className="sr-only">
            Watched deployments, sorted by {sort.key}{' '}
            {sort.dir === 'asc' ? 'ascending' : 'descending'}
          </caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  key={c.label}
                  scope="col"
                  className={c.className}
                  aria-sort={
                    c.key && sort.key === c.key
                      ? sort.dir === 'asc'
                        ? 'ascending'
                        : 'descending'
                      : undefined
                  }
                >
                  {c.key ? (
                    <button
                      type="button"
                      className="sort"
                      onClick={() => p.onChange(filter, nextSort(sort, c.key!))}
                    >
                      {c.label}
                      <span aria-hidden="true" className="sort-arrow">
                        {sort.key === c.key ? (sort.dir === 'asc' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
              <th scope="col">
                <span className="sr-only">Links</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr
                key={deploymentKey(d)}
                data-testid={`row-${deploymentKey(d)}`}
                className={`lvl-row-${d.level ?? 'unknown'}`}
              >
                <td data-label="Deployment">
                  <a className="dep-link" href={hrefDetail(d.namespace, d.name)}>
                    <span className="muted small">{d.namespace}/</span>
                    <strong>{d.name}</strong>
                  </a>
                  {d.state === 'inconclusive' && d.inconclusiveReason && (
                    <span className="muted small block">{d.inconclusiveReason}</span>
                  )}
                </td>
                <td data-label="Risk" data-testid="risk">
                  <RiskBar risk={d.risk} level={d.level} />
                  {isStale(d.updatedAt, p.now) && (
                    <span className="stale small block">
                      ⚠ assessed {formatAgo(d.updatedAt, p.now)}
                    </span>
                  )}
                </td>
                <td data-label="Trend" className="col-trend">
                  <Sparkline points={d.trend} />
                </td>
                <td data-label="State" data-testid="state">
                  <StateBadge status={d} />
                </td>
                <td data-label="Attempts" className="num">
                  {d.attempts}
                </td>
                <td data-label="Last action" data-testid="last-action">
                  <LastAction d={d} now={p.now} />
                </td>
                <td className="row-links">
                  <a
                    href={hrefWhatIf(d.namespace, d.name)}
                    aria-label={`What-if for ${deploymentKey(d)}`}
                  >
                    what-if
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p.loaded && p.deployments.length > 0 && rows.length === 0 && (
        <p className="muted">No deployment matches these filters.</p>
      )}
    </>
  );
}
