/**
 * Whether the data behind a feature can be vouched for, beside the features' own answers: the
 * samples' own timestamps (the freshness query, `plan.freshness`: only the rows older than
 * `maxSampleAgeMs`, none in the steady state) and the rule groups' last evaluations (the
 * `evaluations` query, sent first: a recorded feature is as old as its group's last evaluation).
 * The reading is here; what it does to each deployment's samples is pure (`applySampleTimes`,
 * `applyGroups`).
 */
import type { FeatureName } from '@aiops/model/schema';
import { DEPLOYMENT_LABELS, type IndexOf } from './columns.js';
import type { Send } from './cycleQueries.js';
import { assessGroups, type GroupState, type QueryPlan } from './plan.js';
import type { AnswerReader } from './query.js';
import type { Sample } from './vector.js';

/** The query of the samples' own timestamps, named in errors and metrics. */
export const FRESHNESS = '(freshness)';
/** The query of the rule groups' last evaluation times, named in errors and metrics. */
export const EVALUATIONS = '(rule groups)';

/**
 * The stale source sample times by deployment index and metric (from the freshness query), or
 * why that query failed; undefined: no freshness query.
 */
export type StaleTimes = Map<number, Map<string, number>> | { failed: string } | undefined;

/** A freshness answer's row: the target's index, the source metric (none: stale) and its time, ms. */
export interface FreshnessRow {
  i: number;
  metric: string | undefined;
  at: number;
}

/** The rule groups' states, or why the evaluations query failed (the groups then are unknown). */
export interface Groups {
  groups: Map<string, GroupState>;
  failed?: string;
}

/**
 * Whether each rule group still evaluates, and whether a slow group has new values since its
 * cached ones: its last evaluation time, from the `evaluations` query (a handful of series), as
 * `assessGroups` judges it. No query in the plan: no groups.
 */
export async function readGroups(
  plan: Pick<QueryPlan, 'evaluations' | 'features' | 'context'>,
  send: Send,
  now: number,
  maxAgeMs: number | undefined,
): Promise<Groups> {
  if (plan.evaluations === undefined) return { groups: new Map() };
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
    return {
      groups: assessGroups(
        [...plan.features, ...plan.context].flatMap((q) => (q.group ? [q.group] : [])),
        evaluated,
        now,
        maxAgeMs,
      ),
    };
  } catch (err) {
    return { groups: new Map(), failed: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The stale source sample times per deployment index and metric, from the freshness query (it
 * returns only samples older than `maxSampleAgeMs`); a failed freshness query fails every
 * feature (the data cannot be vouched for). With `detail`, the query answers each deployment's
 * oldest source time (rows without `metric`), and `detail` of the stale ones asks which metrics.
 */
export async function readFreshness(
  query: string | undefined,
  send: (query: string, read: () => AnswerReader<FreshnessRow[]>) => Promise<FreshnessRow[]>,
  indexOf: IndexOf,
  detail: ((stale: readonly number[]) => string) | undefined,
): Promise<StaleTimes> {
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
 * deployment has no stale series of are skipped. A failed freshness query fails every value.
 */
export function applySampleTimes(
  samples: Map<FeatureName, Sample>,
  stale: StaleTimes,
  i: number,
  recordOf: ReadonlyMap<FeatureName, string | undefined>,
  metricsOf: (f: FeatureName) => readonly string[],
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
    const names = [...metricsOf(f), ...(record ? [record] : [])];
    const ts = names.map((m) => times.get(m)).filter((t) => t !== undefined);
    if (ts.length > 0) samples.set(f, { ...s, at: Math.min(s.at, ...ts) });
  }
}

/**
 * A recorded feature's sample time becomes its rule group's last evaluation (a group that
 * stopped evaluating leaves old values behind: stale); without an evaluation series for its
 * group, or when that query failed, the value cannot be vouched for.
 */
export function applyGroups(
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
