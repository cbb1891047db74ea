/**
 * Where features come from. One method, like Flagger's metric providers: given the watched
 * deployments, return each one's feature vector or why it is inconclusive.
 */
import type { FeatureInput, FeatureName } from '@aiops/model';
import type { ContextRow } from './context.js';

/** A watched deployment, as the sources see it. */
export interface Target {
  namespace: string;
  name: string;
  /**
   * Its annotations, when the caller has them: `aiops.io/slo-availability` (e.g. `0.999`) and
   * `aiops.io/slo-latency-p95-seconds` set the SLO the SLO layer judges.
   */
  annotations?: Readonly<Record<string, string>>;
}

export type FeatureResult =
  | {
      kind: 'ok';
      /**
       * The model input; its baseline statistics and SLO may be kept in `context` instead (the
       * Prometheus source), which the `/predict` request is written from.
       */
      features: FeatureInput;
      /** The deployment's row of the cycle's context columns (`inputOf` joins the two). */
      context?: ContextRow;
      /** Optional features left out (missing/NaN/stale/out of range): the backend imputes them. */
      omitted: { feature: FeatureName; reason: string }[];
      /**
       * Part of its own-normal context is not read yet (the source's warm-up after a start): a
       * verdict that depends on it must not be acted on. Why, for people.
       */
      warming?: string;
    }
  | {
      kind: 'inconclusive';
      reason: string;
      /** The source itself failed (a query or the request), not just this deployment's data. */
      sourceFailed?: boolean;
    };

export interface FeatureSource {
  /** Never rejects for a single deployment's trouble: that deployment is inconclusive instead. */
  fetch(targets: readonly Target[]): Promise<Map<string, FeatureResult>>;
}

/** The whole model input of a conclusive result: its features with its context as objects. */
export function inputOf(r: Extract<FeatureResult, { kind: 'ok' }>): FeatureInput {
  return r.context === undefined
    ? r.features
    : { ...r.features, ...r.context.columns.contextOf(r.context.row) };
}

export function targetKey(t: Target): string {
  return `${t.namespace}/${t.name}`;
}
