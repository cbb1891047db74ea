/**
 * A small deterministic RiskScorer for route tests: a logistic score over a few features with
 * linear contributions. It is an interface fake, not the model; model-backed tests use the real
 * Predictor.
 */
import {
  FEATURES,
  riskLevel,
  type Contribution,
  type FeatureInput,
  type FeatureName,
  type Prediction,
} from '@aiops/model';
import type { RiskScorer } from '../src/types.js';

const WEIGHTS: Partial<Record<FeatureName, number>> = {
  restart_count_last_5m: 0.8,
  ready_replica_ratio: -4,
  http_5xx_error_rate: 6,
  unavailable_replicas: 0.5,
};

export class FakeScorer implements RiskScorer {
  constructor(readonly version = 'fake-1') {}
  readonly threshold = 0.5;
  readonly backendName = 'fake';
  readonly metadata = { metrics: { validationRocAuc: 0.5 }, note: 'test fake' };
  calls = 0;

  predict(rows: readonly FeatureInput[]): Prediction[] {
    this.calls++;
    return rows.map((row) => {
      const values = row as Partial<Record<FeatureName, number>>;
      const imputed: FeatureName[] = [];
      const explanation: Contribution[] = FEATURES.map((f) => {
        let value = values[f.name];
        if (value === undefined) {
          imputed.push(f.name);
          value = f.default;
        }
        return { feature: f.name, value, contribution: (WEIGHTS[f.name] ?? 0) * value };
      });
      const z = 2 + explanation.reduce((s, c) => s + c.contribution, 0);
      const risk = 1 / (1 + Math.exp(-z));
      explanation.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
      return {
        risk,
        level: riskLevel(risk),
        threshold: this.threshold,
        explanation,
        imputed,
        model: { version: this.version },
        layer: 'model' as const,
        layers: {
          model: { risk, reference_risk: 0.1, abstained: null },
          slo: { fired: false, rule: null, reason: 'no SLO windows sent' },
          own_normal: { fired: false, signal: null, reason: 'no baseline for latency or errors' },
        },
      };
    });
  }
}
