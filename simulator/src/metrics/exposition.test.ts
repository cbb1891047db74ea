import { describe, expect, it } from '@jest/globals';
import { Exposition } from './exposition.js';

describe('Exposition at fleet scale', () => {
  it('renders a family of 200,000 samples (10,000 pods × 20 series) without overflowing the stack', () => {
    const e = new Exposition();
    e.family('big_total', 'counter', 'many samples');
    for (let i = 0; i < 200_000; i++) e.sample('big_total', 'big_total', { pod: `p${i}` }, i);
    const lines = e.render().split('\n');
    expect(lines).toHaveLength(200_000 + 3); // HELP, TYPE, the samples, the final newline
    expect(lines[2]).toBe('big_total{pod="p0"} 0');
  });

  it.each([
    ['plain', 'a', 'a'],
    ['a quote', 'say "hi"', 'say \\"hi\\"'],
    ['a backslash', 'c:\\x', 'c:\\\\x'],
    ['a newline', 'a\nb', 'a\\nb'],
    ['empty', '', ''],
  ])('escapes label values: %s', (_name, value, escaped) => {
    const e = new Exposition();
    e.family('x', 'gauge', 'x');
    e.sample('x', 'x', { a: value, b: 'two' }, 1);
    expect(e.render().split('\n')[2]).toBe(`x{a="${escaped}",b="two"} 1`);
  });
});
