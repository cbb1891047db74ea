import { RISK_LEVELS, type RiskLevel } from '@aiops/model/schema';
import type { ActionRecord, DeploymentStatus } from '@aiops/healer/api';
import { parseTime } from './format';
import { STATE_SEVERITY, stateKeys, type StateFilterKey } from './states';

export type LevelFilterKey = RiskLevel | 'unknown';

export interface OverviewFilter {
  /** '' means every value. */
  namespace: string;
  level: LevelFilterKey | '';
  state: StateFilterKey | '';
  /** Case-insensitive substring of `namespace/name`. */
  text: string;
}

export const EMPTY_FILTER: OverviewFilter = { namespace: '', level: '', state: '', text: '' };

export type SortKey = 'risk' | 'name' | 'namespace' | 'state' | 'attempts' | 'lastAction';
export type SortDir = 'asc' | 'desc';
export interface SortSpec {
  key: SortKey;
  dir: SortDir;
}

/** Riskiest first: what an SRE needs to see at the top. */
export const DEFAULT_SORT: SortSpec = { key: 'risk', dir: 'desc' };

export function deploymentKey(d: { namespace: string; name: string }): string {
  return `${d.namespace}/${d.name}`;
}

export function filterDeployments<T extends DeploymentStatus>(
  list: readonly T[],
  f: OverviewFilter,
): T[] {
  const text = f.text.trim().toLowerCase();
  return list.filter(
    (d) =>
      (f.namespace === '' || d.namespace === f.namespace) &&
      (f.level === '' || (d.level ?? 'unknown') === f.level) &&
      (f.state === '' || stateKeys(d).includes(f.state)) &&
      (text === '' || deploymentKey(d).toLowerCase().includes(text)),
  );
}

/** A sort value where `undefined` means "no value": those rows go last in either direction. */
function sortValue(d: DeploymentStatus, key: SortKey): number | string | undefined {
  switch (key) {
    case 'risk':
      return d.risk != null && Number.isFinite(d.risk) ? d.risk : undefined;
    case 'name':
      return d.name;
    case 'namespace':
      return d.namespace;
    case 'state':
      return STATE_SEVERITY[d.state] ?? -1;
    case 'attempts':
      return Number.isFinite(d.attempts) ? d.attempts : undefined;
    case 'lastAction': {
      const t = parseTime(d.lastAction?.at);
      return Number.isFinite(t) ? t : undefined;
    }
  }
}

/** Sorts a copy; rows without a value last; ties broken by namespace/name so rows never jump. */
export function sortDeployments<T extends DeploymentStatus>(list: readonly T[], s: SortSpec): T[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  return [...list].sort((a, b) => {
    const va = sortValue(a, s.key);
    const vb = sortValue(b, s.key);
    if (va === undefined && vb !== undefined) return 1;
    if (vb === undefined && va !== undefined) return -1;
    if (va !== undefined && vb !== undefined && va !== vb) {
      const cmp =
        typeof va === 'number' && typeof vb === 'number'
          ? va - vb
          : String(va).localeCompare(String(vb));
      if (cmp !== 0) return sign * cmp;
    }
    return deploymentKey(a).localeCompare(deploymentKey(b));
  });
}

/** Clicking a column: the same column flips direction; a new one starts in its natural order. */
export function nextSort(current: SortSpec, key: SortKey): SortSpec {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  const descFirst: SortKey[] = ['risk', 'state', 'attempts', 'lastAction'];
  return { key, dir: descFirst.includes(key) ? 'desc' : 'asc' };
}

export function namespacesOf(list: readonly DeploymentStatus[]): string[] {
  return [...new Set(list.map((d) => d.namespace))].sort();
}

export interface Summary {
  total: number;
  byLevel: Record<LevelFilterKey, number>;
  healing: number;
  needsAttention: number;
  actionsLastHour: number;
}

const HOUR_MS = 3_600_000;

/**
 * The summary strip. `actions` is every action the dashboard knows of (each deployment's last action
 * from the snapshot plus everything streamed since), so "last hour" counts each distinct action once.
 */
export function summarize(
  list: readonly DeploymentStatus[],
  actions: readonly ActionRecord[],
  now: number,
): Summary {
  const byLevel = Object.fromEntries([...RISK_LEVELS, 'unknown'].map((l) => [l, 0])) as Record<
    LevelFilterKey,
    number
  >;
  let healing = 0;
  let needsAttention = 0;
  for (const d of list) {
    const level: LevelFilterKey = d.level && d.level in byLevel ? d.level : 'unknown';
    byLevel[level] += 1;
    if (d.state === 'healing') healing += 1;
    if (d.state === 'needs_attention') needsAttention += 1;
  }
  const actionsLastHour = actions.filter((a) => {
    const t = parseTime(a.at);
    return Number.isFinite(t) && now - t <= HOUR_MS && t - now <= HOUR_MS;
  }).length;
  return { total: list.length, byLevel, healing, needsAttention, actionsLastHour };
}

/** Reads filter and sort from the overview's hash query (`#/?ns=prod&level=high&sort=name:asc`). */
export function parseOverviewQuery(q: URLSearchParams): { filter: OverviewFilter; sort: SortSpec } {
  const levels: readonly string[] = [...RISK_LEVELS, 'unknown'];
  const states: readonly string[] = Object.keys(STATE_SEVERITY).concat('dry_run');
  const level = q.get('level') ?? '';
  const state = q.get('state') ?? '';
  const [key, dir] = (q.get('sort') ?? '').split(':');
  const keys: readonly string[] = ['risk', 'name', 'namespace', 'state', 'attempts', 'lastAction'];
  return {
    filter: {
      namespace: q.get('ns') ?? '',
      level: levels.includes(level) ? (level as LevelFilterKey) : '',
      state: states.includes(state) ? (state as StateFilterKey) : '',
      text: q.get('q') ?? '',
    },
    sort:
      key && keys.includes(key) && (dir === 'asc' || dir === 'desc')
        ? { key: key as SortKey, dir }
        : DEFAULT_SORT,
  };
}

export function formatOverviewQuery(filter: OverviewFilter, sort: SortSpec): string {
  const q = new URLSearchParams();
  if (filter.namespace) q.set('ns', filter.namespace);
  if (filter.level) q.set('level', filter.level);
  if (filter.state) q.set('state', filter.state);
  if (filter.text) q.set('q', filter.text);
  if (sort.key !== DEFAULT_SORT.key || sort.dir !== DEFAULT_SORT.dir)
    q.set('sort', `${sort.key}:${sort.dir}`);
  return q.toString();
}

export function isEmptyFilter(f: OverviewFilter): boolean {
  return f.namespace === '' && f.level === '' && f.state === '' && f.text.trim() === '';
}
