/**
 * The context columns (baseline statistics, SLO windows) a cycle reads, and the ones it keeps: a
 * recorded column is read once per evaluation of its rule group and kept until the group
 * evaluates again, then re-read a few per cycle (`contextRefreshesPerCycle`, the pick in
 * `refresh.ts`); after a start the columns this process has not read yet are read a few per cycle
 * too (`contextWarmupPerCycle`), and until the last is read every deployment is `warming`.
 * Context is best effort: a column that cannot be read is NaN, "no history" to the model.
 */
import { targetKey, type Target } from './types.js';
import { contextColumnReader, emptyColumn, type IndexOf } from './columns.js';
import type { CycleQueries } from './cycleQueries.js';
import type { Groups } from './freshness.js';
import type { ContextQuery, GroupState } from './plan.js';
import { pickContextRefreshes } from './refresh.js';

/**
 * A context column read once per evaluation of its rule group (in its turn,
 * `contextRefreshesPerCycle`): the group's evaluation time it was read at, the values indexed like
 * the targets it was last indexed for (`cached.keys`).
 */
interface CachedColumn {
  at: number;
  values: Float64Array;
}

export interface ContextBudgets {
  /** Columns whose group evaluated since they were read, re-read per cycle (default Infinity). */
  contextRefreshesPerCycle?: number;
  /** Columns not read yet since the start, read per cycle (default Infinity: no warm-up). */
  contextWarmupPerCycle?: number;
}

/** What one cycle reads of the context. */
export interface ContextRead {
  /** Each context query's values in plan order, indexed like the targets (NaN: none). */
  columns: Promise<Float64Array>[];
  /** Columns not read by this process yet, nor this cycle: a later cycle's warm-up. */
  pending: number;
}

/**
 * Why every deployment is held while `pending` of the `total` context columns are not read yet
 * (the warm-up after a start); undefined when none are.
 */
export function warmingReason(
  pending: number,
  total: number,
  perCycle: number | undefined,
): string | undefined {
  return pending === 0
    ? undefined
    : `own-normal context not read yet since the healer started: ${pending} of ${total} context statistics pending, ${perCycle} read per cycle (prometheus.contextWarmupPerCycle)`;
}

export class ContextColumnCache {
  /**
   * Context columns (`ContextQuery.id`) this process has read or tried to read, whatever the
   * scope: the others are the cold start's (`contextWarmupPerCycle`).
   */
  private readonly settled = new Set<string>();

  private cached: { keys: string[]; columns: Map<string, CachedColumn> } = {
    keys: [],
    columns: new Map(),
  };

  constructor(private readonly budgets: ContextBudgets) {}

  /**
   * Sends this cycle's context queries through `cycle` (not critical: a failed one is no history),
   * after the features' and the freshness'. A column up to date, or whose turn to be re-read is a
   * later cycle's, keeps its cached values; one not read yet whose turn is a later cycle's is NaN
   * (`pending`); one whose rule group stopped is NaN too.
   */
  read(
    targets: readonly Target[],
    context: readonly ContextQuery[],
    { groups, failed }: Groups,
    cycle: CycleQueries,
    indexOf: IndexOf,
  ): ContextRead {
    const n = targets.length;
    const cache = this.follow(targets, context);
    const stateOf = (c: ContextQuery): GroupState | undefined =>
      c.group && failed === undefined ? groups.get(c.group.group) : undefined;
    // The recorded columns whose group evaluated since they were read: a few per cycle; after a
    // start, the ones not read yet a few per cycle too (`warming`).
    const cachedColumns = context.flatMap((c, k) => {
      const state = stateOf(c);
      return state && 'at' in state
        ? [{ k, at: state.at, intervalMs: c.group!.intervalMs ?? 0 }]
        : [];
    });
    const refresh = pickContextRefreshes(
      cachedColumns.map(({ k, at, intervalMs }) => {
        const c = context[k]!;
        const cachedAt = cache.get(c.query)?.at;
        return {
          ...(cachedAt === undefined ? {} : { cachedAt }),
          groupAt: at,
          intervalMs,
          first: c.spec.kind === 'slo',
          warming: !this.settled.has(c.id),
        };
      }),
      this.budgets.contextRefreshesPerCycle ?? Infinity,
      this.budgets.contextWarmupPerCycle ?? Infinity,
    );
    const keep = new Set<number>();
    /** Not read by this process yet, nor this cycle: a later cycle's warm-up. */
    const pending = new Set<number>();
    cachedColumns.forEach(({ k }, j) => {
      if (refresh.has(j)) return;
      if (cache.has(context[k]!.query)) keep.add(k);
      else pending.add(k);
    });
    const columns = context.map(async (c, k) => {
      // up to date, or its turn to be re-read is a later cycle's
      if (keep.has(k)) return cache.get(c.query)!.values;
      if (pending.has(k)) return emptyColumn(n);
      const state = stateOf(c);
      if (c.group && (!state || 'stale' in state)) {
        // its rule group stopped: no history rather than values that cannot be vouched for
        cache.delete(c.query);
        // (known stopped, not unknown for a failed evaluations query: then warming still)
        if (state) this.settled.add(c.id);
        return emptyColumn(n);
      }
      try {
        const column = await cycle.send(c.feature, c.query, false, () =>
          contextColumnReader(n, indexOf),
        );
        if (state && 'at' in state) cache.set(c.query, { at: state.at, values: column });
        // read once: from now on re-read as before, a failed read at once
        this.settled.add(c.id);
        return column;
      } catch {
        // context is best effort: without it, the model has no history for that signal
        cache.delete(c.query);
        // Prometheus failed this read: read again at once, as before. A cycle that gave up
        // (every deployment inconclusive) sent the rest not at all: they stay in the warm-up,
        // so a Prometheus that fails at the start costs no burst when it answers again.
        if (cycle.gaveUp === undefined) this.settled.add(c.id);
        return emptyColumn(n);
      }
    });
    return { columns, pending: pending.size };
  }

  /**
   * The cached context columns for these targets and this plan: re-indexed when the targets
   * changed, and only the plan's queries kept (a changed scope is a new query).
   */
  private follow(
    targets: readonly Target[],
    context: readonly { query: string; group?: unknown }[],
  ): Map<string, CachedColumn> {
    const { keys: before, columns } = this.cached;
    const keys = targets.map(targetKey);
    if (keys.length !== before.length || keys.some((k, i) => k !== before[i])) {
      const was = new Map(before.map((k, i) => [k, i]));
      for (const c of columns.values())
        c.values = Float64Array.from(keys, (k) => {
          const i = was.get(k);
          return i === undefined ? Number.NaN : c.values[i]!;
        });
      this.cached.keys = keys;
    }
    const wanted = new Set(context.filter((c) => c.group !== undefined).map((c) => c.query));
    for (const q of columns.keys()) if (!wanted.has(q)) columns.delete(q);
    return columns;
  }
}
