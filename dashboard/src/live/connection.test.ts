import { describe, expect, it } from 'vitest';
import { connectionReducer, INITIAL_CONNECTION, retryDelayMs } from './connection';

describe('connectionReducer', () => {
  it('connecting → live → reconnecting (lost time kept across retries) → live', () => {
    let c = connectionReducer(INITIAL_CONNECTION, { type: 'error', at: 100 });
    expect(c).toMatchObject({ status: 'connecting', since: 100, failures: 1, everOpen: false });
    c = connectionReducer(c, { type: 'open', at: 200 });
    expect(c).toEqual({ status: 'live', since: 200, failures: 0, everOpen: true });
    c = connectionReducer(c, { type: 'error', at: 300 });
    expect(c).toMatchObject({ status: 'reconnecting', since: 300, failures: 1 });
    c = connectionReducer(c, { type: 'error', at: 900 });
    expect(c).toMatchObject({ status: 'reconnecting', since: 300, failures: 2 });
    c = connectionReducer(c, { type: 'open', at: 1000 });
    expect(c).toEqual({ status: 'live', since: 1000, failures: 0, everOpen: true });
  });
});

it.each([
  [0, 1000],
  [1, 1000],
  [2, 2000],
  [3, 4000],
  [6, 30_000],
  [1000, 30_000],
  [Number.NaN, 1000],
])('retryDelayMs(%p) = %p', (failures, ms) => {
  expect(retryDelayMs(failures)).toBe(ms);
});
