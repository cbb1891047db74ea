/**
 * A bounded, throttled front for the risk-history range query: the same deployment and range are
 * answered from a cache for `cacheMs` (a dashboard polling every few seconds costs one query), the
 * same question in flight is asked once, and at most `maxConcurrent` queries reach Prometheus at a
 * time — beyond that the caller falls back to the in-memory ring instead of piling on.
 */
import type { RiskPoint } from '../api/types.js';
import type { HistoryRange } from '../api/server.js';
import type { RiskHistory } from './types.js';

/** Too many history queries in flight: serve what is in memory instead. */
export class HistoryBusyError extends Error {
  override readonly name = 'HistoryBusyError';
  constructor(limit: number) {
    super(`risk history: ${limit} Prometheus queries already in flight (maxHistoryQueries)`);
  }
}

export interface HistoryCacheOptions {
  /** How long an answer is reused. */
  cacheMs: number;
  /** Queries to Prometheus at once. */
  maxConcurrent: number;
  /** Answers kept (oldest dropped first). Default 500. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  at: number;
  points: Promise<RiskPoint[]>;
}

export class CachedRiskHistory implements RiskHistory {
  private readonly entries = new Map<string, Entry>();
  private inFlight = 0;

  constructor(
    private readonly source: RiskHistory,
    private readonly opts: HistoryCacheOptions,
  ) {}

  history(namespace: string, name: string, range: HistoryRange): Promise<RiskPoint[]> {
    const now = (this.opts.now ?? Date.now)();
    const span = range.end.getTime() - range.start.getTime();
    const key = `${namespace}/${name}|${span}|${range.stepSeconds}`;
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.opts.cacheMs) return hit.points;
    if (this.inFlight >= this.opts.maxConcurrent)
      return Promise.reject(new HistoryBusyError(this.opts.maxConcurrent));
    this.inFlight++;
    const points = this.source.history(namespace, name, range).finally(() => {
      this.inFlight--;
    });
    // A failed answer is not cached.
    points.catch(() => {
      if (this.entries.get(key)?.points === points) this.entries.delete(key);
    });
    this.entries.delete(key);
    this.entries.set(key, { at: now, points });
    while (this.entries.size > (this.opts.maxEntries ?? 500)) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return points;
  }
}
