/**
 * Features from Prometheus: one instant query per feature for every watched deployment at once
 * (the templates aggregate `by (namespace, deployment)`), plus one freshness query, so the number
 * of queries per cycle does not grow with the number of deployments.
 *
 * Fresh data: an instant query stamps every result with the evaluation time, so the age of the
 * data behind a feature is read from the samples' own timestamps (`timestamp()`) in one more
 * query, built from the metric names the templates use — whatever the features are. A feature
 * whose newest underlying sample is older than `maxSampleAgeMs` is stale. A response carrying
 * `warnings` (a Thanos or Mimir partial response) is not trusted: inconclusive.
 *
 * With the recording rules, the rules' own lag is one series per rule group (`evaluations`, sent
 * first): a recorded feature is as old as its group's last evaluation.
 *
 * Beside them, the same way, the context of each deployment: its baseline statistics (quantiles
 * over a trailing window, last week, slope — its own normal) and its SLO windows — recorded ones
 * read once per evaluation of their rule group and kept until it evaluates again (then re-read a
 * few per cycle, the SLO windows first, then the group that evaluates next: `contextRefreshesPerCycle`,
 * `pickContextRefreshes`). After a start the baseline statistics are read a few per cycle too
 * (`contextWarmupPerCycle`), and every deployment is returned `warming` until the last is read.
 *
 * The files, in the order the data flows: `plan.ts` (which PromQL a cycle sends), `probe.ts`
 * (which recorded series Prometheus has), `cycleQueries.ts` (the cycle's queries, a few at once,
 * given up after a critical failure) over `query.ts` (one instant query over HTTP, its answer
 * parsed by `vectorAnswer.ts`), `freshness.ts` (the rule groups' evaluations and the samples' own
 * timestamps), `columns.ts` (the answers read into columns indexed like the targets),
 * `contextCache.ts` (the context columns kept and re-read), then `vector.ts` and `context.ts` (each
 * deployment's `/predict` instance and context). This file wires them into one cycle (`fetch`).
 */
import type { PodJoin, QueryScope } from '@aiops/model/queries';
import { metricNames } from '@aiops/model/recording';
import type { FeatureName } from '@aiops/model/schema';
import { DEFAULT_BASELINE_WINDOWS, type BaselineWindows } from '@aiops/model/features/windows';
import {
  failedColumn,
  featureColumnReader,
  indexTargets,
  samplesAt,
  type FeatureColumn,
} from './columns.js';
import { ContextColumns } from './context.js';
import { ContextColumnCache, warmingReason, type ContextBudgets } from './contextCache.js';
import { CycleQueries } from './cycleQueries.js';
import {
  applyGroups,
  applySampleTimes,
  FRESHNESS,
  readFreshness,
  readGroups,
} from './freshness.js';
import { createLimiter, type Limiter } from './limit.js';
import { planQueries, targetScope, type Available, type QueryPlan } from './plan.js';
import { RecordProbe, type RecordProbeOptions } from './probe.js';
import { HttpPrometheusQuerier, type HttpQuerierOptions, type PrometheusQuerier } from './query.js';
import { targetKey, type FeatureResult, type FeatureSource, type Target } from './types.js';
import { buildInstance } from './vector.js';

export { freshnessTemplate, metricNames } from '@aiops/model/recording';
export { parseSampleValue } from './vectorAnswer.js';
export { EVALUATIONS, FRESHNESS } from './freshness.js';
export { POD_JOIN_PROBE } from './probe.js';
export { PrometheusQueryError, type QueryAnswerStats } from './query.js';

/** How the feature, freshness and SLO-window queries read the recording rules. */
export type FeatureRules = 'recorded' | 'inline' | 'auto';

/**
 * The source's options; those of its parts are theirs: the HTTP querier's (`url`, `timeoutMs`,
 * `retries`, `sleep`, `random`, `onQuery`, `compressAnswers`), the probe's (`podJoinProbeMs`,
 * `onPodJoin`) and the context cache's (`contextRefreshesPerCycle`, `contextWarmupPerCycle`).
 */
export interface PrometheusSourceOptions
  extends HttpQuerierOptions, RecordProbeOptions, ContextBudgets {
  window: string;
  queries: Record<FeatureName, string>;
  maxSampleAgeMs: number;
  now: () => number;
  /** Read the samples' own timestamps (one more query per cycle). Default true. */
  checkSampleAge?: boolean;
  /**
   * The pod → deployment join: `recorded` reads the recording rule's series
   * (deploy/prometheus/recording.yml), `inline` evaluates it in every query, `auto` (default)
   * reads the recorded series when Prometheus has them (one probe per `podJoinProbeMs`).
   */
  podJoin?: PodJoin | 'auto';
  /**
   * The per-deployment feature, freshness and SLO-window series: `recorded` reads the recording
   * rules' series (`@aiops/model/recording`), `inline` evaluates the templates at query time,
   * `auto` (default) reads each recorded series Prometheus has (same probe as the join).
   */
  featureRules?: FeatureRules;
  /**
   * Called when the recorded series the cycle wanted but Prometheus lacks change (first cycle and
   * each change): empty means every eligible query reads a recorded series.
   */
  onMissingRecords?: (missing: readonly string[]) => void;
  /**
   * Windows of the baseline queries (default: the model's, 1 h ending 5 min ago on a 1-min grid),
   * or false to send no baseline.
   */
  baseline?: BaselineWindows | false;
  /** Query the SLO windows for the SLO layer (default true). */
  slo?: boolean;
  /** Queries in flight at once (default 4): the rest wait their turn. */
  maxConcurrentQueries?: number;
}

export class PrometheusFeatureSource implements FeatureSource {
  private readonly querier: PrometheusQuerier;
  private readonly limit: Limiter;
  private readonly probe: RecordProbe;
  private readonly context: ContextColumnCache;
  private lastMissing: string | undefined;

  constructor(private readonly opts: PrometheusSourceOptions) {
    this.querier = new HttpPrometheusQuerier(opts);
    this.limit = createLimiter(opts.maxConcurrentQueries ?? 4);
    this.probe = new RecordProbe(this.querier, opts);
    this.context = new ContextColumnCache(opts);
  }

  /**
   * The join to render: as configured, or with `auto` whether Prometheus has the recorded
   * series for these namespaces (a failed probe keeps the last answer, else inline).
   */
  async podJoin(namespace: string, now: number): Promise<PodJoin> {
    const mode = this.opts.podJoin ?? 'auto';
    if (mode !== 'auto') return mode;
    return (await this.probe.find(namespace, now)).join;
  }

  /** The recorded series to read: all (`recorded`), none (`inline`), or what the probe found. */
  private async available(namespace: string, now: number): Promise<Available> {
    const mode = this.opts.featureRules ?? 'auto';
    if (mode === 'recorded') return 'all';
    if (mode === 'inline') return new Set();
    return (await this.probe.find(namespace, now)).records;
  }

  /**
   * The cycle's queries: first as if nothing were recorded, and only when that plan would read a
   * recorded series, again with the series Prometheus has (no probe when nothing could be
   * recorded: custom templates everywhere, no SLO, …). Reports a change of the series missing.
   */
  private async plan(scope: QueryScope, now: number): Promise<QueryPlan> {
    const join = await this.podJoin(scope.namespace, now);
    const planFor = (available: Available): QueryPlan =>
      planQueries({
        queries: this.opts.queries,
        scope,
        join,
        available,
        ...(this.opts.checkSampleAge === false ? {} : { maxSampleAgeMs: this.opts.maxSampleAgeMs }),
        baseline: this.opts.baseline === undefined ? DEFAULT_BASELINE_WINDOWS : this.opts.baseline,
        slo: this.opts.slo !== false,
      });
    const offline = planFor(new Set());
    const plan =
      offline.missing.length === 0 ? offline : planFor(await this.available(scope.namespace, now));
    const missing = plan.missing.join(',');
    if (missing !== this.lastMissing) {
      this.lastMissing = missing;
      this.opts.onMissingRecords?.(plan.missing);
    }
    return plan;
  }

  async fetch(targets: readonly Target[]): Promise<Map<string, FeatureResult>> {
    const out = new Map<string, FeatureResult>();
    if (targets.length === 0) return out;
    const now = this.opts.now();
    const scope = targetScope(targets, this.opts.window);
    const plan = await this.plan(scope, now);
    const n = targets.length;
    const indexOf = indexTargets(targets);

    // Each answer is parsed from its bytes as they arrive straight into typed arrays indexed like
    // the targets (no answer string, no object per sample), `maxConcurrentQueries` at once; once
    // a feature query has failed the queries still queued are not sent (`CycleQueries`).
    const cycle = new CycleQueries(this.querier, this.limit, now);
    // The rule groups' evaluations first (a handful of series): whether each group still
    // evaluates, and whether a slow group has new values since its cached ones.
    const groups = await readGroups(
      plan,
      cycle.send,
      now,
      this.opts.checkSampleAge === false ? undefined : this.opts.maxSampleAgeMs,
    );
    // Then, in this order in the queue: the features, the freshness, the context.
    const columns = new Map<FeatureName, FeatureColumn>();
    const features = plan.features.map(async ({ feature, query }) => {
      try {
        columns.set(
          feature,
          await cycle.send(feature, query, true, () => featureColumnReader(n, indexOf)),
        );
      } catch (err) {
        // (the cycle gave up as it failed: the queries still queued are not sent)
        columns.set(feature, failedColumn(err instanceof Error ? err.message : String(err)));
      }
    });
    // With `freshnessDetail`, the per-metric times of the deployments found stale, in a second query.
    const detail = plan.freshnessDetail;
    const staleScope = (stale: readonly number[]): QueryScope =>
      targetScope(
        stale.map((i) => targets[i]!),
        scope.window,
      );
    const fresh = readFreshness(
      plan.freshness,
      (q, read) => cycle.send(FRESHNESS, q, true, read),
      indexOf,
      detail && ((stale) => detail(staleScope(stale))),
    );
    const context = this.context.read(targets, plan.context, groups, cycle, indexOf);
    await Promise.all(features);
    const stale = await fresh;
    const contextColumns = await Promise.all(context.columns);

    const minPoints =
      this.opts.baseline === false ? 0 : (this.opts.baseline ?? DEFAULT_BASELINE_WINDOWS).minPoints;
    const recordOf = new Map(plan.features.map((f) => [f.feature, f.record]));
    const metricsOf = (f: FeatureName): readonly string[] => this.metricsOf(f);
    // Judged without statistics of its own normal that a later cycle reads: held, not scored as
    // if it had no history (a JVM that always sits at 85 % of its limit would look at risk).
    const warming = warmingReason(
      context.pending,
      plan.context.length,
      this.opts.contextWarmupPerCycle,
    );
    // Each deployment's context stays a row of the columns: the `/predict` request is written from
    // them (`requestContextOf`), without a baseline and SLO object per deployment.
    const contextRows = new ContextColumns(
      plan.context.map((c) => c.spec),
      contextColumns,
      minPoints,
      targets.map((t) => t.annotations),
    );
    targets.forEach((t, i) => {
      const samples = samplesAt(columns, i, t);
      applySampleTimes(samples, stale, i, recordOf, metricsOf);
      applyGroups(samples, plan.features, groups.groups, groups.failed);
      const r = buildInstance(samples, now, this.opts.maxSampleAgeMs);
      if (r.kind === 'ok') {
        r.context = { columns: contextRows, row: i };
        if (warming !== undefined) r.warming = warming;
      }
      out.set(targetKey(t), r);
    });
    return out;
  }

  private readonly metricCache = new Map<FeatureName, string[]>();
  /** The metric names a feature's template reads (for its freshness), once per feature. */
  private metricsOf(f: FeatureName): string[] {
    let m = this.metricCache.get(f);
    if (!m) this.metricCache.set(f, (m = metricNames(this.opts.queries[f])));
    return m;
  }
}
