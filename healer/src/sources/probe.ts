/**
 * Which recorded series Prometheus has (`podJoin` / `featureRules: auto`): one probe per
 * `podJoinProbeMs` for the pod → deployment join's series, the features' and context's recorded
 * series and the rule groups' evaluation series, by name. A failed probe keeps the last answer,
 * else none (the inline join, every template evaluated at query time).
 */
import { POD_DEPLOYMENT_RECORD, type PodJoin } from '@aiops/model/queries';
import { RULE_GROUP_EVALUATION_RECORD } from '@aiops/model/recording';
import { RECORD_NAME_PATTERN } from './plan.js';
import type { PrometheusQuerier } from './query.js';

/** The probe for the recorded series (`podJoin` / `featureRules: auto`). */
export const POD_JOIN_PROBE = '(pod join)';

/** What a probe found: the join to render and the recorded series present, by name. */
export interface Probed {
  join: PodJoin;
  records: Set<string>;
}

export interface RecordProbeOptions {
  /** How long an answer holds (default 300,000 ms). */
  podJoinProbeMs?: number;
  /** Called when `auto` picks a join (first probe and each change), with why. */
  onPodJoin?: (join: PodJoin, why: string) => void;
}

/** The probe's PromQL: the recorded series' names in these namespaces, and the groups'. */
export function probeQuery(namespace: string): string {
  // `or` matches on the labels but the name: the groups' series keep `rule_group`, or the left
  // side's rows (no label but their name) would hide them.
  return `count by (__name__) ({__name__=~"${POD_DEPLOYMENT_RECORD}|${RECORD_NAME_PATTERN}", namespace=~"${namespace}"}) or count by (__name__, rule_group) (${RULE_GROUP_EVALUATION_RECORD})`;
}

/** The join the recorded series allow, and why (for the log). */
export function joinOf(records: ReadonlySet<string>): { join: PodJoin; why: string } {
  return records.has(POD_DEPLOYMENT_RECORD)
    ? { join: 'recorded', why: `Prometheus records ${POD_DEPLOYMENT_RECORD}` }
    : {
        join: 'inline',
        why: `Prometheus has no ${POD_DEPLOYMENT_RECORD} series: load deploy/prometheus/recording.yml (in the PrometheusRule) — the inline join costs Prometheus ~10× more per cycle`,
      };
}

export class RecordProbe {
  private probed: (Probed & { at: number }) | undefined;

  constructor(
    private readonly querier: PrometheusQuerier,
    private readonly opts: RecordProbeOptions,
  ) {}

  /**
   * The recorded series Prometheus has for these namespaces, by name: one probe per
   * `podJoinProbeMs` (a failed probe keeps the last answer, else none).
   */
  async find(namespace: string, now: number): Promise<Probed> {
    if (this.probed && now - this.probed.at < (this.opts.podJoinProbeMs ?? 300_000))
      return this.probed;
    let found: Probed;
    let why: string;
    try {
      const records = await this.querier.query(POD_JOIN_PROBE, probeQuery(namespace), now, () => {
        const names = new Set<string>();
        return {
          labels: ['__name__'],
          sample: ([name]) => void names.add(name ?? ''),
          result: () => names,
        };
      });
      const picked = joinOf(records);
      found = { join: picked.join, records };
      why = picked.why;
    } catch (err) {
      found = this.probed ?? { join: 'inline', records: new Set() };
      why = `probe failed (${err instanceof Error ? err.message : String(err)})`;
    }
    if (found.join !== this.probed?.join) this.opts.onPodJoin?.(found.join, why);
    this.probed = { ...found, at: now };
    return found;
  }
}
