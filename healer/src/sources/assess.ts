/**
 * Assessment: the features of every watched deployment (one `FeatureSource.fetch`) scored in one
 * batched `/predict`. A failure of either is data, not a crash: the deployments it concerns are
 * inconclusive, and the dependency is reported as failing so the loop can warn once and hold.
 */
import {
  FEATURE_NAMES,
  type FeatureInput,
  type FeatureName,
  type Prediction,
} from '@aiops/model/schema';
import { describeError } from '../actions/kube.js';
import type { Assessment } from '../policy/types.js';
import type { RequestContext } from '@aiops/model/scoring/requestColumns';
import { requestContextOf, type ContextRow } from './context.js';
import { targetKey, type FeatureResult, type FeatureSource, type Target } from './types.js';

/** The backend's `/predict`, batched (implemented by `PredictClient`). */
export interface Predictor {
  /**
   * Scores the instances; with a `context`, instance r's baseline statistics and SLO are its row
   * r (`RequestContext`), not objects on the instance.
   */
  predict(instances: readonly FeatureInput[], context?: RequestContext): Promise<Prediction[]>;
}

/** A shared dependency's state after this cycle's assessment. */
export interface DependencyReport {
  name: 'prometheus' | 'predict';
  ok: boolean;
  /** For people: `Prometheus unreachable or failing`. */
  title?: string;
  detail?: string;
}

export interface AssessmentBatch {
  assessments: Map<string, Assessment>;
  /** Cycle-level failures, for the cycle report. */
  errors: string[];
  /** Only the dependencies that were asked this cycle. */
  dependencies: DependencyReport[];
}

export interface AssessorDeps {
  source: FeatureSource;
  predictor: Predictor;
  /** Stamps each assessment with the time its features were read. */
  now: () => number;
  /** Counts each `/predict` call by result. */
  onPredict?: (ok: boolean) => void;
}

/** Features and risk for every target: the conclusive ones are scored in one `/predict` call. */
export class Assessor {
  constructor(private readonly deps: AssessorDeps) {}

  async assess(targets: readonly Target[]): Promise<AssessmentBatch> {
    const out: AssessmentBatch = { assessments: new Map(), errors: [], dependencies: [] };
    if (targets.length === 0) return out;
    const at = this.deps.now();
    let features: Map<string, FeatureResult>;
    try {
      features = await this.deps.source.fetch(targets);
    } catch (err) {
      const reason = `feature source failed: ${describeError(err)}`;
      out.errors.push(reason);
      for (const t of targets)
        out.assessments.set(targetKey(t), { kind: 'inconclusive', reason, at });
      return out;
    }
    const scored: { key: string; input: FeatureInput; context: ContextRow | undefined }[] = [];
    let failedQueries = 0;
    let firstFailure: string | undefined;
    for (const t of targets) {
      const key = targetKey(t);
      const f = features.get(key) ?? { kind: 'inconclusive', reason: 'no features' };
      if (f.kind === 'inconclusive') {
        if (f.sourceFailed) failedQueries++;
        firstFailure ??= f.reason;
        out.assessments.set(key, { kind: 'inconclusive', reason: f.reason, at });
      } else scored.push({ key, input: f.features, context: f.context });
    }
    if (failedQueries === targets.length) {
      const msg = `Prometheus queries failing: ${firstFailure ?? ''}`.slice(0, 500);
      out.errors.push(msg);
      out.dependencies.push({
        name: 'prometheus',
        ok: false,
        title: 'Prometheus unreachable or failing',
        detail: msg,
      });
    } else {
      out.dependencies.push({ name: 'prometheus', ok: true });
    }
    if (scored.length === 0) return out;
    try {
      const inputs = scored.map((s) => s.input);
      const predictions = scored.some((s) => s.context !== undefined)
        ? await this.deps.predictor.predict(
            inputs,
            requestContextOf(
              scored.map((s) => s.context),
              inputs,
            ),
          )
        : await this.deps.predictor.predict(inputs);
      this.deps.onPredict?.(true);
      out.dependencies.push({ name: 'predict', ok: true });
      scored.forEach((s, i) => {
        const p = predictions[i]!;
        const f = features.get(s.key);
        // Part of its own normal not read yet (the source's warm-up after a start): a verdict
        // without it is held. The SLO layer's is not: it reads the SLO windows only, all read.
        const warming = f?.kind === 'ok' ? f.warming : undefined;
        if (warming !== undefined && !(p.layer === 'slo' && p.layers?.slo.fired)) {
          out.assessments.set(s.key, {
            kind: 'inconclusive',
            reason: `warming up: ${warming}`,
            warming: true,
            at,
          });
          return;
        }
        // The model abstains (input unlike anything it was trained on) and no deterministic layer
        // fired: its risk is a guess, so the deployment is held like one without data.
        if (p.inconclusive) {
          out.assessments.set(s.key, {
            kind: 'inconclusive',
            reason: `the model abstains: ${p.inconclusive}`,
            at,
          });
          return;
        }
        out.assessments.set(s.key, {
          kind: 'scored',
          risk: p.risk,
          level: p.level,
          explanation: p.explanation ?? [],
          features: f?.kind === 'ok' ? featureValues(f.features) : {},
          imputed: p.imputed ?? [],
          ...causeOf(p),
          at,
        });
      });
    } catch (err) {
      this.deps.onPredict?.(false);
      const reason = describeError(err);
      out.errors.push(reason);
      out.dependencies.push({
        name: 'predict',
        ok: false,
        title: 'Risk backend (/predict) unreachable or failing',
        detail: reason,
      });
      for (const s of scored) out.assessments.set(s.key, { kind: 'inconclusive', reason, at });
    }
    return out;
  }
}

/**
 * The feature values of a model input, without its baseline statistics and SLO windows: what an
 * assessment keeps (the status row shows the values), so the ~15 context objects of each of
 * 10,000 inputs are garbage once `/predict` has answered rather than held through the cycle.
 */
export function featureValues(input: FeatureInput): Partial<Record<FeatureName, number>> {
  const out: Partial<Record<FeatureName, number>> = {};
  for (const name of FEATURE_NAMES) {
    const v = input[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** The deterministic layer that set a prediction's risk, with its reason (none: the model). */
export function causeOf(p: Prediction): { cause?: string } {
  if (p.layer === 'slo' && p.layers?.slo.fired) return { cause: `slo: ${p.layers.slo.reason}` };
  if (p.layer === 'own_normal' && p.layers?.own_normal?.fired)
    return { cause: `own-normal: ${p.layers.own_normal.reason}` };
  return {};
}
