/**
 * One cycle's queries over a fake querier (the network boundary): a failed critical query stops
 * the queries still queued, a failed context query does not.
 */
import { describe, expect, it } from '@jest/globals';
import { CycleQueries } from './cycleQueries.js';
import { createLimiter } from './limit.js';
import { PrometheusQueryError, type AnswerReader, type PrometheusQuerier } from './query.js';

/** Answers every query with its name, but fails those named in `failing`; records what was sent. */
function fakeQuerier(failing: readonly string[]): PrometheusQuerier & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    query: <T>(feature: string, _q: string, _now: number, read: () => AnswerReader<T>) => {
      sent.push(feature);
      return failing.includes(feature)
        ? Promise.reject(new PrometheusQueryError(feature, 'HTTP 503 '))
        : Promise.resolve(read().result());
    },
  };
}
const reader = (): AnswerReader<string> => ({ labels: [], sample: () => {}, result: () => 'ok' });

describe('CycleQueries', () => {
  it.each<[string, string[], boolean, string[], string[], string | undefined]>([
    [
      'nothing fails: every query is sent',
      [],
      true,
      ['a', 'b', 'c'],
      ['ok', 'ok', 'ok'],
      undefined,
    ],
    [
      'a critical query fails: the ones queued after it are not sent',
      ['a'],
      true,
      ['a'],
      [
        'query for a: HTTP 503 ',
        'query for b: not sent: query for a: HTTP 503 ',
        'query for c: not sent: query for a: HTTP 503 ',
      ],
      'query for a: HTTP 503 ',
    ],
    [
      'the last one fails: the others were sent already',
      ['c'],
      true,
      ['a', 'b', 'c'],
      ['ok', 'ok', 'query for c: HTTP 503 '],
      'query for c: HTTP 503 ',
    ],
    [
      'a context query (not critical) fails: the rest are sent',
      ['a'],
      false,
      ['a', 'b', 'c'],
      ['query for a: HTTP 503 ', 'ok', 'ok'],
      undefined,
    ],
  ])('%s', async (_n, failing, critical, sent, outcomes, gaveUp) => {
    const querier = fakeQuerier(failing);
    const cycle = new CycleQueries(querier, createLimiter(1), 0);
    const results = await Promise.allSettled(
      ['a', 'b', 'c'].map((f) => cycle.send(f, `Q:${f}`, critical, reader)),
    );
    expect(querier.sent).toEqual(sent);
    expect(
      results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason.message))),
    ).toEqual(outcomes);
    expect(cycle.gaveUp).toBe(gaveUp);
  });
});
