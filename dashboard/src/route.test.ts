import { expect, it } from 'vitest';
import { hrefDetail, hrefOverview, hrefWhatIf, parseRoute } from './route';

it.each([
  ['', { page: 'overview' }],
  ['#', { page: 'overview' }],
  ['#/', { page: 'overview' }],
  ['#/d/prod/checkout', { page: 'detail', namespace: 'prod', name: 'checkout' }],
  ['#/d/a%20b/c%2Fd', { page: 'detail', namespace: 'a b', name: 'c/d' }],
  ['#/d/%E0%A4%A/x', { page: 'detail', namespace: '%E0%A4%A', name: 'x' }], // bad escape kept as typed
  ['#/what-if', { page: 'whatif' }],
  ['#/what-if/prod/checkout', { page: 'whatif', namespace: 'prod', name: 'checkout' }],
  ['#/d/prod', { page: 'notfound', path: '/d/prod' }],
  ['#/nope', { page: 'notfound', path: '/nope' }],
])('parseRoute(%p)', (hash, expected) => {
  const { query: _q, ...r } = parseRoute(hash) as { query?: unknown };
  expect(r).toEqual(expected);
});

it('keeps the overview query', () => {
  const r = parseRoute('#/?ns=prod&level=high');
  expect(r.page === 'overview' && r.query.get('level')).toBe('high');
});

it('hrefs round-trip through parseRoute', () => {
  expect(parseRoute(hrefDetail('a b', 'c/d'))).toEqual({
    page: 'detail',
    namespace: 'a b',
    name: 'c/d',
  });
  expect(parseRoute(hrefWhatIf('prod', 'x'))).toEqual({
    page: 'whatif',
    namespace: 'prod',
    name: 'x',
  });
  expect(hrefWhatIf()).toBe('#/what-if');
  expect(hrefOverview()).toBe('#/');
  expect(hrefOverview('ns=prod')).toBe('#/?ns=prod');
});
