import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SORT,
  EMPTY_FILTER,
  filterDeployments,
  isEmptyFilter,
  formatOverviewQuery,
  namespacesOf,
  nextSort,
  parseOverviewQuery,
  sortDeployments,
  summarize,
  type OverviewFilter,
  type SortSpec,
} from './overview';
import { action, status } from '../testing/fixtures';

const LIST = [
  status({
    namespace: 'prod',
    name: 'checkout',
    risk: 0.93,
    level: 'critical',
    state: 'healing',
    step: 1,
    attempts: 1,
    lastAction: action({ at: '2026-01-01T11:58:00Z' }),
  }),
  status({ namespace: 'prod', name: 'cart', risk: 0.12, level: 'low', state: 'healthy' }),
  status({ namespace: 'dev', name: 'search', risk: null, level: null, state: 'inconclusive' }),
  status({
    namespace: 'dev',
    name: 'api',
    risk: 0.45,
    level: 'elevated',
    state: 'watching',
    dryRun: true,
    attempts: 2,
    lastAction: action({ at: '2026-01-01T10:00:00Z', dryRun: true }),
  }),
  status({
    namespace: 'staging',
    name: 'cart',
    risk: Number.NaN,
    level: null,
    state: 'needs_attention',
    attempts: 4,
  }),
];
const names = (l: { namespace: string; name: string }[]): string[] =>
  l.map((d) => `${d.namespace}/${d.name}`);

describe('filterDeployments', () => {
  it.each<[string, Partial<OverviewFilter>, string[]]>([
    ['nothing set', {}, ['prod/checkout', 'prod/cart', 'dev/search', 'dev/api', 'staging/cart']],
    ['namespace', { namespace: 'dev' }, ['dev/search', 'dev/api']],
    ['level', { level: 'critical' }, ['prod/checkout']],
    ['unknown level', { level: 'unknown' }, ['dev/search', 'staging/cart']],
    ['state', { state: 'healing' }, ['prod/checkout']],
    ['dry-run', { state: 'dry_run' }, ['dev/api']],
    ['text on name', { text: 'CART' }, ['prod/cart', 'staging/cart']],
    ['text on namespace/name', { text: ' prod/c ' }, ['prod/checkout', 'prod/cart']],
    ['combined', { namespace: 'prod', level: 'low' }, ['prod/cart']],
    ['no match', { namespace: 'nowhere' }, []],
  ])('%s', (_label, f, expected) => {
    expect(names(filterDeployments(LIST, { ...EMPTY_FILTER, ...f }))).toEqual(expected);
  });
  it('an empty list stays empty', () => {
    expect(filterDeployments([], { ...EMPTY_FILTER, level: 'high' })).toEqual([]);
  });
});

describe('sortDeployments', () => {
  it.each<[SortSpec, string[]]>([
    [
      { key: 'risk', dir: 'desc' },
      ['prod/checkout', 'dev/api', 'prod/cart', 'dev/search', 'staging/cart'],
    ],
    // unknown risk (null, NaN) stays last either way
    [
      { key: 'risk', dir: 'asc' },
      ['prod/cart', 'dev/api', 'prod/checkout', 'dev/search', 'staging/cart'],
    ],
    [
      { key: 'name', dir: 'asc' },
      ['dev/api', 'prod/cart', 'staging/cart', 'prod/checkout', 'dev/search'],
    ],
    [
      { key: 'namespace', dir: 'asc' },
      ['dev/api', 'dev/search', 'prod/cart', 'prod/checkout', 'staging/cart'],
    ],
    [
      { key: 'state', dir: 'desc' },
      ['staging/cart', 'prod/checkout', 'dev/search', 'dev/api', 'prod/cart'],
    ],
    [
      { key: 'attempts', dir: 'desc' },
      ['staging/cart', 'dev/api', 'prod/checkout', 'dev/search', 'prod/cart'],
    ],
    [
      { key: 'lastAction', dir: 'desc' },
      ['prod/checkout', 'dev/api', 'dev/search', 'prod/cart', 'staging/cart'],
    ],
  ])('%j', (spec, expected) => {
    expect(names(sortDeployments(LIST, spec))).toEqual(expected);
  });
  it('does not mutate its input', () => {
    const copy = [...LIST];
    sortDeployments(LIST, { key: 'name', dir: 'desc' });
    expect(LIST).toEqual(copy);
  });
});

it.each<[SortSpec, SortSpec['key'], SortSpec]>([
  [DEFAULT_SORT, 'risk', { key: 'risk', dir: 'asc' }],
  [{ key: 'risk', dir: 'asc' }, 'risk', { key: 'risk', dir: 'desc' }],
  [DEFAULT_SORT, 'name', { key: 'name', dir: 'asc' }],
  [{ key: 'name', dir: 'asc' }, 'attempts', { key: 'attempts', dir: 'desc' }],
])('nextSort(%j, %s) → %j', (cur, key, expected) => {
  expect(nextSort(cur, key)).toEqual(expected);
});

it('namespacesOf is sorted and distinct', () => {
  expect(namespacesOf(LIST)).toEqual(['dev', 'prod', 'staging']);
  expect(namespacesOf([])).toEqual([]);
});

describe('summarize', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('counts levels, states and actions of the last hour', () => {
    const actions = [
      action({ at: '2026-01-01T11:58:00Z' }),
      action({ at: '2026-01-01T11:00:00Z' }), // exactly one hour: counts
      action({ at: '2026-01-01T10:59:59Z' }), // older: does not
      action({ at: 'garbage' }),
    ];
    expect(summarize(LIST, actions, now)).toEqual({
      total: 5,
      byLevel: { low: 1, elevated: 1, high: 0, critical: 1, unknown: 2 },
      healing: 1,
      needsAttention: 1,
      actionsLastHour: 2,
    });
  });
  it('is all zeros for an empty list', () => {
    expect(summarize([], [], now)).toEqual({
      total: 0,
      byLevel: { low: 0, elevated: 0, high: 0, critical: 0, unknown: 0 },
      healing: 0,
      needsAttention: 0,
      actionsLastHour: 0,
    });
  });
});

describe('overview query', () => {
  it('round-trips filter and sort', () => {
    const filter: OverviewFilter = {
      namespace: 'prod',
      level: 'high',
      state: 'dry_run',
      text: 'cart',
    };
    const sort: SortSpec = { key: 'name', dir: 'asc' };
    const q = formatOverviewQuery(filter, sort);
    expect(parseOverviewQuery(new URLSearchParams(q))).toEqual({ filter, sort });
  });
  it('leaves defaults out of the URL', () => {
    expect(formatOverviewQuery(EMPTY_FILTER, DEFAULT_SORT)).toBe('');
  });
  it('ignores values it does not know', () => {
    expect(
      parseOverviewQuery(new URLSearchParams('level=purple&state=on_fire&sort=colour:up')),
    ).toEqual({
      filter: EMPTY_FILTER,
      sort: DEFAULT_SORT,
    });
  });
});

it('isEmptyFilter ignores whitespace-only search', () => {
  expect(isEmptyFilter({ ...EMPTY_FILTER, text: '  ' })).toBe(true);
  expect(isEmptyFilter({ ...EMPTY_FILTER, namespace: 'prod' })).toBe(false);
});
