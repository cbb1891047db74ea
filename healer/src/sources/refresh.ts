/**
 * Which cached context columns a cycle re-reads: pure, so the spread is table-tested apart from
 * HTTP. A recorded context column (baseline statistics, SLO windows) changes once per evaluation
 * of its rule group; read all at once when the groups evaluate, a cycle at 10,000 deployments
 * would read up to 75 answers (~130 MB) where the others read none. Instead at most `budget`
 * columns whose group evaluated since they were read are re-read per cycle, earliest deadline
 * first (the group that evaluates next), and the others keep their last values until their turn:
 * so every cycle sends about the same number of queries, and a statistic the model reads is at
 * most one evaluation of its group behind.
 *
 * Always read, whatever the budget: a column never read (a changed scope, a failed read) — no
 * values to keep — and a column more than one evaluation behind (read before the evaluation before
 * the group's last one): the bound on its age does not depend on the budget. A budget too small
 * for the groups' rate of change thus costs bursts, never staler values.
 *
 * The cold start is the exception (`warming`: a column this process has not read yet): reading
 * every column at once made the first cycle after each start read all 91 answers (~133 MB at
 * 10,000 deployments). A warming column that is not `first` waits its turn, at most `warmupBudget`
 * per cycle, so warm-up ends after ⌈warming columns / warmupBudget⌉ cycles whatever the fleet
 * size; the caller holds every deployment judged without them until then (`warming up`). The SLO
 * windows (`first`) are read on the first cycle all the same.
 *
 * Among the due columns the SLO windows (`first`) go before the baseline statistics: the burn-rate
 * alerts and the error ceiling page on them, so they are re-read on the first cycle after their
 * group evaluates, as without a budget; a trailing quantile moves slowly and absorbs the spread.
 */

/** One context column as the cycle finds it. */
export interface ContextColumnState {
  /** Its group's evaluation time the cached values were read at; undefined: not cached. */
  cachedAt?: number;
  /** Its group's last evaluation time (ms since epoch). */
  groupAt: number;
  /** Its group's evaluation interval (ms); 0 when unknown (the global interval). */
  intervalMs: number;
  /** Read before the other due columns (an SLO window: a page waits on it). */
  first?: boolean;
  /**
   * Not read by this process yet (the cold start): read within `warmupBudget`, not at once,
   * unless `first`. Only meaningful without `cachedAt`.
   */
  warming?: boolean;
}

/**
 * The indexes (into `columns`) to read this cycle: the ones that must be read, then up to
 * `budget` in all of the ones whose group evaluated since: the `first` ones first, then the group
 * that evaluates next, then the oldest cached values, then index order. `budget` Infinity: every
 * column whose group evaluated since (no spread). Beside them, up to `warmupBudget` warming columns
 * (not `first`) in index order; Infinity: all at once (no warm-up).
 */
export function pickContextRefreshes(
  columns: readonly ContextColumnState[],
  budget: number,
  warmupBudget = Infinity,
): Set<number> {
  const read = new Set<number>();
  const due: number[] = [];
  let warmups = 0;
  columns.forEach((c, i) => {
    if (c.cachedAt === undefined || !Number.isFinite(c.cachedAt)) {
      if (!c.warming || c.first) read.add(i);
      else if (warmups < warmupBudget) {
        warmups++;
        read.add(i);
      }
    } else if (c.cachedAt >= c.groupAt) return;
    // read before the previous evaluation (half an interval's slack for the evaluation times'
    // jitter): more than one evaluation behind
    else if (c.intervalMs <= 0 || c.cachedAt < c.groupAt - 1.5 * c.intervalMs) read.add(i);
    else due.push(i);
  });
  // the SLO windows first; then earliest deadline first: the column whose group evaluates next (and would leave it two
  // evaluations behind) — the 1-minute columns before the 5-minute ones read since their last
  // evaluation, so these wait their turn, not the fast ones; then the oldest values
  const deadline = (c: ContextColumnState): number => c.groupAt + c.intervalMs;
  const rank = (c: ContextColumnState): number => (c.first ? 0 : 1);
  due.sort(
    (a, b) =>
      rank(columns[a]!) - rank(columns[b]!) ||
      deadline(columns[a]!) - deadline(columns[b]!) ||
      columns[a]!.cachedAt! - columns[b]!.cachedAt! ||
      a - b,
  );
  // the warm-up reads have their own budget: they do not crowd out the due re-reads
  let refreshes = read.size - warmups;
  for (const i of due) {
    if (refreshes >= budget) break;
    read.add(i);
    refreshes++;
  }
  return read;
}
