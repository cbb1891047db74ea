import { describe, expect, it } from '@jest/globals';
import { matchesSelector, parseSelector } from './selector.js';

const labels = { app: 'web', tier: 'front', 'aiops.io/autoheal': 'enabled' };

describe('label selectors', () => {
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app!=api', true],
    ['tier,app=web', true],
    ['canary', false],
    ['!canary', true],
    ['!app', false],
    ['app in (api, web)', true],
    ['app notin (web)', false],
    ['aiops.io/autoheal=enabled,tier in (front)', true],
  ])('%s → %s', (sel, expected) => {
    expect(matchesSelector(parseSelector(sel), labels)).toBe(expected);
  });
  it.each(['', 'app in (', '=web', 'a b=c', 'app=a b'])('rejects %j', (sel) => {
    expect(() => parseSelector(sel)).toThrow(/label selector/);
  });
});
