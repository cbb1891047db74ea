import { describe, expect, it } from '@jest/globals';
import { guardStep } from './guardStep.js';

describe('guardStep', () => {
  it('logs a throwing step once per distinct error and keeps running it', () => {
    const lines: string[] = [];
    let n = 0;
    const errors = ['boom', 'boom', 'bang', undefined];
    const step = guardStep(
      () => {
        n++;
        const e = errors[n - 1];
        if (e) throw new Error(e);
      },
      'agent',
      (l) => lines.push(l.split('\n')[0]!),
    );
    for (let i = 0; i < 4; i++) step();
    expect(n).toBe(4);
    expect(lines).toEqual(['agent: step failed: Error: boom', 'agent: step failed: Error: bang']);
  });

  it('logs a non-Error throw as text', () => {
    const lines: string[] = [];
    guardStep(
      () => {
        throw 'plain';
      },
      'simulator',
      (l) => lines.push(l),
    )();
    expect(lines).toEqual(['simulator: step failed: plain']);
  });
});
