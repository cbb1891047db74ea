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
 */
import { POD_DEPLOYMENT_RECORD, type PodJoin } from '@aiops/model/queries';
import { RULE_GROUP_EVALUATION_RECORD, metricNames } from '@aiops/model/recording';
import { FEATURE_NAMES, type FeatureName } from '@aiops/model/schema';
import { DEFAULT_BASELINE_WINDOWS, type BaselineWindows } from '@aiops/model/features/windows';
import { ContextColumns } from './context.js';
import { pickContextRefreshes } from './refresh.js';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { withRetry, type Sleep } from '../retry.js';
import { createLimiter, type Limiter } from './limit.js';
import {
  assessGroups,
  planQueries,
  RECORD_NAME_PATTERN,
  type Available,
  type GroupState,
} from './plan.js';
import { targetKey, type FeatureResult, type FeatureSource, type Target } from './types.js';
import { buildInstance, type Sample } from './vector.js';
import { VectorAnswerError, VectorAnswerParser, type SampleVisitor } from './vectorAnswer.js';

export { freshnessTemplate, metricNames } from '@aiops/model/recording';
export { parseSampleValue } from './vectorAnswer.js';

/** A PromQL query that failed after its retries; `feature` names which one. */
export class PrometheusQueryError extends Error {
  override readonly name = 'PrometheusQueryError';
  constructor(
    /** The feature, or `(freshness)`. */
    readonly feature: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`query for ${feature}: ${message}`, options);
  }
}

/** How the feature, freshness and SLO-window queries read the recording rules. */
export type FeatureRules = 'recorded' | 'inline' | 'auto';

export interface PrometheusSourceOptions {
  url: string;
  window: string;
  queries: Record<FeatureName, string>;
  maxSampleAgeMs: number;
  timeoutMs: number;
  retries: number;
  now: () => number;
  sleep?: Sleep;
  random?: () => number;
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
  podJoinProbeMs?: number;
  /** Called when `auto` picks a join (first probe and each change), with why. */
  onPodJoin?: (join: PodJoin, why: string) => void;
  /**
   * Called when the recorded series the cycle wanted but Prometheus lacks change (first cycle and
   * each change): empty means every eligible query reads a recorded series.
   */
  onMissingRecords?: (missing: readonly string[]) => void;
  /**
   * Called once per HTTP query (for metrics and the benchmark): a feature or `(freshness)`, with
   * where its time went when an answer arrived — waiting for Prometheus (its evaluation and the
   * transfer) against parsing the answer's bytes here as they arrive — and the answer's size.
   */
  onQuery?: (query: string, ok: boolean, seconds: number, answer?: QueryAnswerStats) => void;
  /**
   * Windows of the baseline queries (default: the model's, 1 h ending 5 min ago on a 1-min grid),
   * or false to send no baseline.
   */
  baseline?: BaselineWindows | false;
  /** Query the SLO windows for the SLO layer (default true). */
  slo?: boolean;
  /**
   * Recorded context columns (baseline statistics, SLO windows) re-read per cycle once their rule
   * group evaluated (`pickContextRefreshes`): the rest keep their last values, at most one
   * evaluation of their group behind, until their turn. Default Infinity: all at once.
   */
  contextRefreshesPerCycle?: number;
  /**
   * Recorded context columns this process has not read yet (the cold start) read per cycle, the
   * SLO windows all on the first; until the last is read every deployment is `warming` (held by
   * the policy). Default Infinity: all on the first cycle, no warm-up.
   */
  contextWarmupPerCycle?: number;
  /** Queries in flight at once (default 4): the rest wait their turn. */
  maxConcurrentQueries?: number;
  /**
   * Ask for gzip-compressed answers (default false: `Accept-Encoding: identity`). Compressing tens
   * of MB of answers per cycle costs Prometheus and the healer CPU on every cycle; worth it only
   * when the bandwidth between them is scarce (a Prometheus across a WAN).
   */
  compressAnswers?: boolean;
}

/** Where one query's time went: waiting for Prometheus' answer, parsing it; its size. */
export interface QueryAnswerStats {
  waitSeconds: number;
  parseSeconds: number;
  /** The answer's bytes (decompressed). */
  bytes: number;
}

/**
 * What a query makes of its answer's samples as they are parsed: one per attempt (a retry starts
 * over), its `result` kept only when the answer was whole and a valid vector.
 */
interface AnswerReader<T> extends SampleVisitor {
  result(): T;
}

/** A freshness answer's row: the target's index, the source metric (none: stale) and its time, ms. */
interface FreshnessRow {
  i: number;
  metric: string | undefined;
  at: number;
}

/** The labels that place a sample: its deployment. */
const DEPLOYMENT_LABELS = ['namespace', 'deployment'] as const;
/** How much of an HTTP error's body its message quotes. */
const ERROR_BODY_CHARS = 200;

/** The query of the samples' own timestamps, named in errors and metrics. */
export const FRESHNESS = '(freshness)';
/** The probe for the recorded series (`podJoin` / `featureRules: auto`). */
export const POD_JOIN_PROBE = '(pod join)';
/** The query of the rule groups' last evaluation times, named in errors and metrics. */
export const EVALUATIONS = '(rule groups)';

/**
 * A context column read once per evaluation of its rule group (in its turn,
 * `contextRefreshesPerCycle`): the group's evaluation time it was read at, the values indexed like
 * the targets it was last indexed for (`cached.keys`).
 */
interface CachedColumn {
  at: number;
  values: Float64Array;
}

/**
 * One feature's answer for every deployment, in arrays indexed like the targets: a cycle at 10,000
 * deployments keeps 13 of these instead of 130,000 sample objects.
 */
interface FeatureColumn {
  value: Float64Array;
  /** ms since epoch of the evaluation; NaN: no series. */
  at: Float64Array;
  /** Deployments answered by several series (a template that does not aggregate). */
  duplicate?: Set<number>;
  failed?: string;
}

/** Above this many deployments the deployment regex becomes `.+` and results are filtered here. */
const MAX_NAMES_IN_REGEX = 50;

function regexOf(values: Iterable<string>): string {
  return [...new Set(values)].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/** Retry only what may pass next time: network errors, timeouts, 5xx, 429. */
function retryable(err: unknown): boolean {
  if (!axios.isAxiosError(err)) return false;
  const status = err.response?.status;
  return status === undefined || status >= 500 || status === 429;
}

export class PrometheusFeatureSource implements FeatureSource {
  private readonly http: AxiosInstance;
  private readonly limit: Limiter;

  constructor(private readonly opts: PrometheusSourceOptions) {
    this.http = axios.create({
      baseURL: opts.url,
      timeout: opts.timeoutMs,
      headers: { 'Accept-Encoding': opts.compressAnswers ? 'gzip' : 'identity' },
    });
    this.limit = createLimiter(opts.maxConcurrentQueries ?? 4);
  }

  private probed: { join: PodJoin; records: Set<string>; at: number } | undefined;
  private lastMissing: string | undefined;

  /**
   * The recorded series Prometheus has for these namespaces, by name: one probe per
   * `podJoinProbeMs` (a failed probe keeps the last answer, else none).
   */
  private async probe(
    namespace: string,
    now: number,
  ): Promise<{ join: PodJoin; records: Set<string> }> {
    if (this.probed && now - this.probed.at < (this.opts.podJoinProbeMs ?? 300_000))
      return this.probed;
    let found: { join: PodJoin; records: Set<string> };
    let why: string;
    try {
      // `or` matches on the labels but the name: the groups' series keep `rule_group`, or the
      // left side's rows (no label but their name) would hide them.
      const records = await this.query(
        POD_JOIN_PROBE,
        `count by (__name__) ({__name__=~"${POD_DEPLOYMENT_RECORD}|${RECORD_NAME_PATTERN}", namespace=~"${namespace}"}) or count by (__name__, rule_group) (${RULE_GROUP_EVALUATION_RECORD})`,
        now,
        () => {
          const names = new Set<string>();
          return {
            labels: ['__name__'],
            sample: ([name]) => void names.add(name ?? ''),
            result: () => names,
          };
        },
      );
      found = { join: records.has(POD_DEPLOYMENT_RECORD) ? 'recorded' : 'inline', records };
      why =
        found.join === 'recorded'
          ? `Prometheus records ${POD_DEPLOYMENT_RECORD}`
          : `Prometheus has no ${POD_DEPLOYMENT_RECORD} series: load deploy/prometheus/recording.yml (in the PrometheusRule) — the inline join costs Prometheus ~10× more per cycle`;
    } catch (err) {
      found = this.probed ?? { join: 'inline', records: new Set() };
      why = `probe failed (${err instanceof Error ? err.message : String(err)})`;
    }
    if (found.join !== this.probed?.join) this.opts.onPodJoin?.(found.join, why);
    this.probed = { ...found, at: now };
    return found;
  }

  /**
   * The join to render: as configured, or with `auto` whether Prometheus has the recorded
   * series for these namespaces (a failed probe keeps the last answer, else inline).
   */
  async podJoin(namespace: string, now: number): Promise<PodJoin> {
    const mode = this.opts.podJoin ?? 'auto';
    if (mode !== 'auto') return mode;
    return (await this.probe(namespace, now)).join;
  }

  /** The recorded series to read: all (`recorded`), none (`inline`), or what the probe found. */
  private async available(namespace: string, now: number): Promise<Available> {
    const mode = this.opts.featureRules ?? 'auto';
    if (mode === 'recorded') return 'all';
    if (mode === 'inline') return new Set();
    return (await this.probe(namespace, now)).records;
  }

  async fetch(targets: readonly Target[]): Promise<Map<string, FeatureResult>> {
    const out = new Map<string, FeatureResult>();
    if (targets.length === 0) return out;
    const now = this.opts.now();
    const scope = {
      namespace: regexOf(targets.map((t) => t.namespace)),
      deployment: targets.length <= MAX_NAMES_IN_REGEX ? regexOf(targets.map((t) => t.name)) : '.+',
      window: this.opts.window,
    };
    const join = await this.podJoin(scope.namespace, now);
    // No probe when nothing could be recorded (custom templates everywhere, no SLO, …).
    const offline = planQueries({
      queries: this.opts.queries,
      scope,
      join,
      available: new Set(),
      ...(this.opts.checkSampleAge === false ? {} : { maxSampleAgeMs: this.opts.maxSampleAgeMs }),
      baseline: this.opts.baseline === undefined ? DEFAULT_BASELINE_WINDOWS : this.opts.baseline,
      slo: this.opts.slo !== false,
    });
    const plan =
      offline.missing.length === 0
        ? offline
        : planQueries({
            queries: this.opts.queries,
            scope,
            join,
            available: await this.available(scope.namespace, now),
            ...(this.opts.checkSampleAge === false
              ? {}
              : { maxSampleAgeMs: this.opts.maxSampleAgeMs }),
            baseline:
              this.opts.baseline === undefined ? DEFAULT_BASELINE_WINDOWS : this.opts.baseline,
            slo: this.opts.slo !== false,
          });
    const missing = plan.missing.join(',');
    if (missing !== this.lastMissing) {
      this.lastMissing = missing;
      this.opts.onMissingRecords?.(plan.missing);
    }

    // By namespace, then name: a lookup per series of every answer (1.3 M per cold cycle at
    // 10,000 deployments) hashes the two label strings as they are, without building a key.
    const index = new Map<string, Map<string, number>>();
    targets.forEach((t, i) => {
      let names = index.get(t.namespace);
      if (!names) index.set(t.namespace, (names = new Map()));
      names.set(t.name, i);
    });
    const n = targets.length;
    /** A sample's target: its `namespace` and `deployment` labels' values. */
    const indexOf = (labels: readonly (string | undefined)[]): number | undefined => {
      const [namespace, deployment] = labels;
      return namespace === undefined || deployment === undefined
        ? undefined
        : index.get(namespace)?.get(deployment);
    };

    // Each answer is parsed from its bytes as they arrive straight into typed arrays indexed like
    // the targets (no answer string, no object per sample), `maxConcurrentQueries` at once.
    // Once a feature query has failed every deployment is inconclusive this cycle whatever the
    // rest answer, so the queries still queued are not sent: a Prometheus that times out costs a
    // cycle one timeout (with its retries), not one per queued query.
    let gaveUp: string | undefined;
    /** `critical`: its failure leaves every deployment inconclusive (a feature, the freshness). */
    const send = <T>(
      feature: string,
      query: string,
      critical: boolean,
      read: () => AnswerReader<T>,
    ): Promise<T> =>
      this.limit(async () => {
        if (gaveUp !== undefined) throw new PrometheusQueryError(feature, `not sent: ${gaveUp}`);
        try {
          return await this.query(feature, query, now, read);
        } catch (err) {
          // set before the slot passes to the next query in line, so that one is not sent
          if (critical) gaveUp ??= err instanceof Error ? err.message : String(err);
          throw err;
        }
      });
    // The rule groups' evaluations first (a handful of series): whether each group still
    // evaluates, and whether a slow group has new values since its cached ones.
    let groups = new Map<string, GroupState>();
    let evaluationsFailed: string | undefined;
    if (plan.evaluations !== undefined) {
      try {
        const evaluated = await send(EVALUATIONS, plan.evaluations, true, () => {
          const at = new Map<string, number>();
          return {
            labels: ['rule_group'],
            sample: ([group], _t, value) => {
              if (group !== undefined)
                at.set(group, Math.max(at.get(group) ?? -Infinity, value * 1000));
            },
            result: () => at,
          };
        });
        groups = assessGroups(
          [...plan.features, ...plan.context].flatMap((q) => (q.group ? [q.group] : [])),
          evaluated,
          now,
          this.opts.checkSampleAge === false ? undefined : this.opts.maxSampleAgeMs,
        );
      } catch (err) {
        evaluationsFailed = err instanceof Error ? err.message : String(err);
      }
    }
    const cache = this.contextCache(targets, plan.context);

    const columns = new Map<FeatureName, FeatureColumn>();
    const features = plan.features.map(async ({ feature, query }) => {
      try {
        columns.set(
          feature,
          await send(feature, query, true, () => {
            const col: FeatureColumn = {
              value: new Float64Array(n).fill(Number.NaN),
              at: new Float64Array(n).fill(Number.NaN),
            };
            return {
              labels: DEPLOYMENT_LABELS,
              sample: (labels, at, value) => {
                const i = indexOf(labels);
                if (i === undefined) return;
                if (!Number.isNaN(col.at[i]!)) (col.duplicate ??= new Set()).add(i);
                col.value[i] = value;
                col.at[i] = at * 1000;
              },
              result: () => col,
            };
          }),
        );
      } catch (err) {
        const failed = err instanceof Error ? err.message : String(err);
        columns.set(feature, { value: new Float64Array(0), at: new Float64Array(0), failed });
        gaveUp ??= failed;
      }
    });
    const detail = plan.freshnessDetail;
    const fresh = this.freshness(
      plan.freshness,
      (q, read) => send(FRESHNESS, q, true, read),
      indexOf,
      detail &&
        ((stale: readonly number[]) =>
          detail({
            namespace: regexOf(stale.map((i) => targets[i]!.namespace)),
            deployment:
              stale.length <= MAX_NAMES_IN_REGEX
                ? regexOf(stale.map((i) => targets[i]!.name))
                : '.+',
            window: scope.window,
          })),
    );
    const stateOf = (c: (typeof plan.context)[number]): GroupState | undefined =>
      c.group && evaluationsFailed === undefined ? groups.get(c.group.group) : undefined;
    // The recorded columns whose group evaluated since they were read: a few per cycle; after a
    // start, the ones not read yet a few per cycle too (`warming`).
    const cachedColumns = plan.context.flatMap((c, k) => {
      const state = stateOf(c);
      return state && 'at' in state
        ? [{ k, at: state.at, intervalMs: c.group!.intervalMs ?? 0 }]
        : [];
    });
    const refresh = pickContextRefreshes(
      cachedColumns.map(({ k, at, intervalMs }) => {
        const c = plan.context[k]!;
        const cachedAt = cache.get(c.query)?.at;
        return {
          ...(cachedAt === undefined ? {} : { cachedAt }),
          groupAt: at,
          intervalMs,
          first: c.spec.kind === 'slo',
          warming: !this.settled.has(c.id),
        };
      }),
      this.opts.contextRefreshesPerCycle ?? Infinity,
      this.opts.contextWarmupPerCycle ?? Infinity,
    );
    const keep = new Set<number>();
    /** Not read by this process yet, nor this cycle: a later cycle's warm-up. */
    const pending = new Set<number>();
    cachedColumns.forEach(({ k }, j) => {
      if (refresh.has(j)) return;
      if (cache.has(plan.context[k]!.query)) keep.add(k);
      else pending.add(k);
    });
    const context = plan.context.map(async (c, k) => {
      // up to date, or its turn to be re-read is a later cycle's
      if (keep.has(k)) return cache.get(c.query)!.values;
      if (pending.has(k)) return new Float64Array(n).fill(Number.NaN);
      const state = stateOf(c);
      if (c.group && (!state || 'stale' in state)) {
        // its rule group stopped: no history rather than values that cannot be vouched for
        cache.delete(c.query);
        // (known stopped, not unknown for a failed evaluations query: then warming still)
        if (state) this.settled.add(c.id);
        return new Float64Array(n).fill(Number.NaN);
      }
      try {
        const column = await send(c.feature, c.query, false, () => {
          const values = new Float64Array(n).fill(Number.NaN);
          return {
            labels: DEPLOYMENT_LABELS,
            sample: (labels, _at, value) => {
              const i = indexOf(labels);
              if (i !== undefined) values[i] = value;
            },
            result: () => values,
          };
        });
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
        if (gaveUp === undefined) this.settled.add(c.id);
        return new Float64Array(n).fill(Number.NaN);
      }
    });
    await Promise.all(features);
    const stale = await fresh;
    const contextColumns = await Promise.all(context);

    const minPoints =
      this.opts.baseline === false ? 0 : (this.opts.baseline ?? DEFAULT_BASELINE_WINDOWS).minPoints;
    const recordOf = new Map(plan.features.map((f) => [f.feature, f.record]));
    // Judged without statistics of its own normal that a later cycle reads: held, not scored as
    // if it had no history (a JVM that always sits at 85 % of its limit would look at risk).
    const warming =
      pending.size === 0
        ? undefined
        : `own-normal context not read yet since the healer started: ${pending.size} of ${plan.context.length} context statistics pending, ${this.opts.contextWarmupPerCycle} read per cycle (prometheus.contextWarmupPerCycle)`;
    // Each deployment's context stays a row of the columns: the `/predict` request is written from
    // them (`requestContextOf`), without a baseline and SLO object per deployment.
    const contextRows = new ContextColumns(
      plan.context.map((c) => c.spec),
      contextColumns,
      minPoints,
      targets.map((t) => t.annotations),
    );
    targets.forEach((t, i) => {
      const samples = new Map<FeatureName, Sample>();
      for (const f of FEATURE_NAMES) {
        const col = columns.get(f)!;
        if (col.failed !== undefined) samples.set(f, { kind: 'failed', reason: col.failed });
        else if (col.duplicate?.has(i))
          samples.set(f, { kind: 'failed', reason: `several series for ${targetKey(t)}` });
        else if (!Number.isNaN(col.at[i]!))
          samples.set(f, { kind: 'value', value: col.value[i]!, at: col.at[i]! });
      }
      this.applySampleTimes(samples, stale, i, recordOf);
      this.applyGroups(samples, plan.features, groups, evaluationsFailed);
      const r = buildInstance(samples, now, this.opts.maxSampleAgeMs);
      if (r.kind === 'ok') {
        r.context = { columns: contextRows, row: i };
        if (warming !== undefined) r.warming = warming;
      }
      out.set(targetKey(t), r);
    });
    return out;
  }

  /**
   * The stale source sample times per deployment index and metric, from the freshness query (it
   * returns only samples older than `maxSampleAgeMs`); a failed freshness query fails every
   * feature (the data cannot be vouched for).
   */
  private async freshness(
    query: string | undefined,
    send: (query: string, read: () => AnswerReader<FreshnessRow[]>) => Promise<FreshnessRow[]>,
    indexOf: (labels: readonly (string | undefined)[]) => number | undefined,
    detail: ((stale: readonly number[]) => string) | undefined,
  ): Promise<Map<number, Map<string, number>> | { failed: string } | undefined> {
    if (query === undefined) return undefined;
    try {
      const out = new Map<number, Map<string, number>>();
      /** Deployments whose oldest source time is stale (a row without `metric`). */
      const stale: number[] = [];
      // the stale rows only (none in the steady state): kept as rows until the answer is whole
      const read = (): AnswerReader<FreshnessRow[]> => {
        const rows: FreshnessRow[] = [];
        return {
          labels: [...DEPLOYMENT_LABELS, 'metric'],
          sample: (labels, _t, value) => {
            const i = indexOf(labels);
            if (i !== undefined) rows.push({ i, metric: labels[2], at: value * 1000 });
          },
          result: () => rows,
        };
      };
      const add = (rows: FreshnessRow[]): void => {
        for (const { i, metric, at } of rows) {
          if (detail && metric === undefined) {
            stale.push(i);
            continue;
          }
          const m = out.get(i) ?? new Map<string, number>();
          m.set(metric ?? '', at);
          out.set(i, m);
        }
      };
      add(await send(query, read));
      // which metrics are stale, for those deployments only: none in the steady state
      if (detail && stale.length > 0) add(await send(detail(stale), read));
      return out;
    } catch (err) {
      return { failed: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * A feature's sample time becomes the oldest of its metrics' newest samples (a ratio of a
   * fresh and a stale metric is stale), and of its recorded series' own sample; metrics this
   * deployment has no stale series of are skipped.
   */
  private applySampleTimes(
    samples: Map<FeatureName, Sample>,
    stale: Map<number, Map<string, number>> | { failed: string } | undefined,
    i: number,
    recordOf: ReadonlyMap<FeatureName, string | undefined>,
  ): void {
    if (stale === undefined) return;
    if (!(stale instanceof Map)) {
      for (const [f, s] of samples)
        if (s.kind === 'value') samples.set(f, { kind: 'failed', reason: stale.failed });
      return;
    }
    const times = stale.get(i);
    if (!times) return;
    for (const [f, s] of samples) {
      if (s.kind !== 'value') continue;
      const record = recordOf.get(f);
      const names = [...this.metricsOf(f), ...(record ? [record] : [])];
      const ts = names.map((m) => times.get(m)).filter((t) => t !== undefined);
      if (ts.length > 0) samples.set(f, { ...s, at: Math.min(s.at, ...ts) });
    }
  }

  /**
   * A recorded feature's sample time becomes its rule group's last evaluation (a group that
   * stopped evaluating leaves old values behind: stale); without an evaluation series for its
   * group, or when that query failed, the value cannot be vouched for.
   */
  private applyGroups(
    samples: Map<FeatureName, Sample>,
    features: readonly { feature: FeatureName; group?: { group: string } }[],
    groups: ReadonlyMap<string, GroupState>,
    failed: string | undefined,
  ): void {
    for (const { feature, group } of features) {
      const s = samples.get(feature);
      if (!group || s?.kind !== 'value') continue;
      const state = groups.get(group.group);
      if (failed !== undefined) samples.set(feature, { kind: 'failed', reason: failed });
      else if (!state || 'stale' in state)
        samples.set(feature, {
          kind: 'stale',
          reason: state?.stale ?? `rule group ${group.group} not assessed`,
        });
      else samples.set(feature, { ...s, at: Math.min(s.at, state.at) });
    }
  }

  /**
   * Context columns (`ContextQuery.id`) this process has read or tried to read, whatever the
   * scope: the others are the cold start's (`contextWarmupPerCycle`).
   */
  private readonly settled = new Set<string>();

  private cached: { keys: string[]; columns: Map<string, CachedColumn> } = {
    keys: [],
    columns: new Map(),
  };

  /**
   * The cached context columns for these targets and this plan: re-indexed when the targets
   * changed, and only the plan's queries kept (a changed scope is a new query).
   */
  private contextCache(
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

  private metricCache = new Map<FeatureName, string[]>();
  private metricsOf(f: FeatureName): string[] {
    let m = this.metricCache.get(f);
    if (!m) this.metricCache.set(f, (m = metricNames(this.opts.queries[f])));
    return m;
  }

  /**
   * One instant query: its answer parsed from the response's bytes as they arrive into `read`'s
   * reader (a fresh one per attempt), whose result is returned once the answer is whole and a
   * vector without warnings. `timeoutMs` bounds the wait for the answer's headers (axios) and
   * then each pause between its bytes: a long answer that keeps arriving is read, as axios read a
   * whole one.
   */
  private async query<T>(
    feature: string,
    query: string,
    now: number,
    read: () => AnswerReader<T>,
  ): Promise<T> {
    const started = performance.now();
    let answer: QueryAnswerStats | undefined;
    try {
      const result = await withRetry(
        async () => {
          const reader = read();
          const parser = new VectorAnswerParser(reader);
          const res = await this.http
            .get<Readable>('/api/v1/query', {
              params: { query, time: (now / 1000).toFixed(3) },
              responseType: 'stream',
            })
            .catch(readErrorBody);
          let parseMs = 0;
          const body = res.data;
          // From here the timer below alone bounds the pauses: the socket idle timeout axios's
          // redirect-following transport arms for `timeout` (and leaves armed after the headers)
          // could destroy the socket first, reported as a reset (ECONNRESET), not as the timeout
          // it is.
          (res.request as { socket?: Socket | null } | undefined)?.socket?.setTimeout(0);
          // Set when the answer stopped arriving and this timer ended it.
          let timedOut: AxiosError | undefined;
          const timer = setTimeout(
            () =>
              body.destroy(
                (timedOut = new AxiosError(
                  `timeout of ${this.opts.timeoutMs}ms exceeded`,
                  AxiosError.ECONNABORTED,
                  res.config,
                  res.request,
                )),
              ),
            this.opts.timeoutMs,
          );
          try {
            for await (const chunk of body as AsyncIterable<Buffer>) {
              timer.refresh();
              const t = performance.now();
              parser.write(chunk);
              parseMs += performance.now() - t;
            }
          } catch (err) {
            // Ended by the timer: a timeout, whichever error the destroyed socket surfaced first
            // (under load its reset, ECONNRESET, can win the race).
            if (timedOut !== undefined) throw timedOut;
            if (err instanceof VectorAnswerError || axios.isAxiosError(err)) throw err;
            // the connection broke mid-answer: as axios reports it for a whole answer (retried)
            throw AxiosError.from(err as Error, undefined, res.config, res.request);
          } finally {
            clearTimeout(timer);
          }
          const t = performance.now();
          try {
            parser.end();
          } finally {
            const done = performance.now();
            parseMs += done - t;
            answer = {
              waitSeconds: (done - started - parseMs) / 1000,
              parseSeconds: parseMs / 1000,
              bytes: parser.bytes,
            };
          }
          return reader.result();
        },
        {
          retries: this.opts.retries,
          retryable,
          ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
          ...(this.opts.random ? { random: this.opts.random } : {}),
        },
      );
      this.opts.onQuery?.(feature, true, (performance.now() - started) / 1000, answer);
      return result;
    } catch (err) {
      this.opts.onQuery?.(feature, false, (performance.now() - started) / 1000, answer);
      if (err instanceof PrometheusQueryError) throw err;
      if (err instanceof VectorAnswerError)
        throw new PrometheusQueryError(feature, answerProblem(err));
      const detail = axios.isAxiosError(err)
        ? err.response
          ? `HTTP ${err.response.status} ${(typeof err.response.data === 'string' ? err.response.data : JSON.stringify(err.response.data)).slice(0, ERROR_BODY_CHARS)}`
          : (err.code ?? err.message)
        : String(err);
      throw new PrometheusQueryError(feature, detail, { cause: err });
    }
  }
}

/** The message of an answer that cannot be used, as the source has always worded it. */
function answerProblem(err: VectorAnswerError): string {
  switch (err.kind) {
    case 'not-json':
      return `answer is not JSON: ${err.detail.slice(0, 100)}`;
    case 'not-vector':
      return `expected a vector, got ${err.detail.slice(0, 100)}`;
    case 'partial':
      // Thanos/Mimir answer with what they have and a warning: part of the data is missing.
      return `partial response, Prometheus warned: ${err.detail.slice(0, 200)}`;
    case 'malformed':
      return `answer is not a Prometheus vector: ${err.detail}`;
  }
}

/**
 * An HTTP error's body arrives as a stream too: its start is read into the error (for the
 * message, as a whole answer had it) and the rest dropped.
 */
async function readErrorBody(err: unknown): Promise<never> {
  const data: unknown = axios.isAxiosError(err) ? err.response?.data : undefined;
  if (
    axios.isAxiosError(err) &&
    err.response &&
    data &&
    typeof data === 'object' &&
    'pipe' in data
  ) {
    const stream = data as Readable;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= ERROR_BODY_CHARS * 4) break;
      }
    } catch {
      // what arrived is enough for the message
    }
    stream.destroy();
    err.response.data = Buffer.concat(chunks).toString('utf8');
  }
  throw err;
}
