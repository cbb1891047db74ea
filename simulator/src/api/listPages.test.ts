import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../cluster/types.js';
import { listPage } from './listPages.js';

const obj = (namespace: string, name: string): KubeObject =>
  ({ metadata: { namespace, name } }) as KubeObject;
const items = [obj('b', 'x'), obj('a', 'z'), obj('a', 'y'), obj('c', 'w')];
const names = (l: { items: KubeObject[] }): string[] =>
  l.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
const always = (): boolean => true;

describe('listPage', () => {
  it('no limit: every object, in the store order, no token', () => {
    const l = listPage(items, {}, '7', always);
    expect(names(l)).toEqual(['b/x', 'a/z', 'a/y', 'c/w']);
    expect(l).toMatchObject({ resourceVersion: '7' });
    expect(l.continue).toBeUndefined();
  });

  it('pages in key order; every page carries the first page resourceVersion; the last has no token', () => {
    const first = listPage(items, { limit: '3' }, '7', always);
    expect(names(first)).toEqual(['a/y', 'a/z', 'b/x']);
    expect(first.continue).toBeDefined();
    // the store moved on between the pages: the page is still of the first one's snapshot rv
    const second = listPage(items, { limit: '3', continue: first.continue }, '9', always);
    expect(names(second)).toEqual(['c/w']);
    expect(second.resourceVersion).toBe('7');
    expect(second.continue).toBeUndefined();
  });

  it('a list that fits one page keeps the store order, as unpaged (kubectl asks for 500)', () => {
    expect(names(listPage(items, { limit: '500' }, '7', always))).toEqual([
      'b/x',
      'a/z',
      'a/y',
      'c/w',
    ]);
  });

  it('a limit of exactly the rest leaves no token', () => {
    expect(listPage(items, { limit: '4' }, '7', always).continue).toBeUndefined();
  });

  it('a token whose resourceVersion the history no longer reaches is 410 Expired', () => {
    const first = listPage(items, { limit: '1' }, '7', always);
    expect(() =>
      listPage(items, { limit: '1', continue: first.continue }, '50', () => false),
    ).toThrow(expect.objectContaining({ code: 410, reason: 'Expired' }));
  });

  it.each([
    [{ limit: '-1' }, 'invalid limit'],
    [{ limit: 'x' }, 'invalid limit'],
    [{ continue: 'not-a-token' }, 'invalid continue token'],
  ])('%p is a 400', (opts, message) => {
    expect(() => listPage(items, opts, '7', always)).toThrow(
      expect.objectContaining({ code: 400, message: expect.stringContaining(message) }),
    );
  });
});
