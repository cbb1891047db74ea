/**
 * One cycle's queries: `maxConcurrentQueries` in flight at once (`limit.ts`), and once a critical
 * query has failed (a feature, the freshness) every deployment is inconclusive this cycle whatever
 * the rest answer, so the queries still queued are not sent: a Prometheus that times out costs a
 * cycle one timeout (with its retries), not one per queued query.
 */
import type { Limiter } from './limit.js';
import { PrometheusQueryError, type AnswerReader, type PrometheusQuerier } from './query.js';

/** Sends one query of the cycle; `critical`: its failure leaves every deployment inconclusive. */
export type Send = <T>(
  feature: string,
  query: string,
  critical: boolean,
  read: () => AnswerReader<T>,
) => Promise<T>;

export class CycleQueries {
  /** Why the cycle gave up (a critical query failed): the queries not sent yet never are. */
  gaveUp: string | undefined;

  constructor(
    private readonly querier: PrometheusQuerier,
    private readonly limit: Limiter,
    /** The cycle's evaluation time, ms since epoch. */
    private readonly now: number,
  ) {}

  readonly send: Send = (feature, query, critical, read) =>
    this.limit(async () => {
      if (this.gaveUp !== undefined)
        throw new PrometheusQueryError(feature, `not sent: ${this.gaveUp}`);
      try {
        return await this.querier.query(feature, query, this.now, read);
      } catch (err) {
        // set before the slot passes to the next query in line, so that one is not sent
        if (critical) this.gaveUp ??= err instanceof Error ? err.message : String(err);
        throw err;
      }
    });
}
