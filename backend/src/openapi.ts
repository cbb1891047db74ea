/**
 * The OpenAPI 3.1 document of the service, generated from the same feature schema the
 * validator is compiled from, so the two cannot drift. openapi.test.ts checks real responses
 * against it.
 */
import {
  BASELINE_FEATURES,
  BASELINE_STATS,
  LEVEL_CUTS,
  RISK_LEVELS,
  SLO_LIMITS,
  SLO_WINDOWS,
  SLO_WINDOW_FIELDS,
  type FeatureSpec,
} from '@aiops/model';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string): Schema => ({
  description,
  content: { 'application/json': { schema } },
});
const errorResponse = (description: string): Schema => json(ref('Error'), description);

export function buildOpenApi(features: readonly FeatureSpec[], batchLimit: number): Schema {
  const featureNames = features.map((f) => f.name);
  const featureInput: Schema = {
    type: 'object',
    description:
      "One deployment's signals. Required features must be sent; optional ones are imputed from their default when omitted. Unknown fields are rejected.",
    properties: Object.fromEntries(
      features.map((f) => [
        f.name,
        {
          type: f.integer ? 'integer' : 'number',
          minimum: f.min,
          maximum: f.max,
          description: `${f.description} Unit: ${f.unit}.${f.required ? '' : ` Optional, default ${f.default}.`}`,
        },
      ]),
    ),
    required: features.filter((f) => f.required).map((f) => f.name),
    additionalProperties: false,
  };
  (featureInput.properties as Schema).baseline = ref('Baseline');
  (featureInput.properties as Schema).slo = ref('Slo');
  const byName = new Map(features.map((f) => [f.name, f]));
  const baselineFeatures = BASELINE_FEATURES.filter((f) => byName.has(f));
  const baseline: Schema = {
    type: 'object',
    description:
      "The deployment's own normal, per signal: quantiles of its trailing hour (ending 5 min ago, 1-min grid), the median of the last 3 min, last week's median around the same hour, and the 10-min slope per minute (the healer's PromQL, model/src/queries.ts). Every part is optional: a missing statistic means no history. p10 ≤ p50 ≤ p90.",
    properties: Object.fromEntries(
      baselineFeatures.map((f) => {
        const spec = byName.get(f)!;
        const level = { type: 'number', minimum: spec.min, maximum: spec.max };
        return [
          f,
          {
            type: 'object',
            properties: Object.fromEntries(
              BASELINE_STATS.map((st) => [
                st,
                st === 'slope' ? { type: 'number', description: `${spec.unit} per minute` } : level,
              ]),
            ),
            additionalProperties: false,
          },
        ];
      }),
    ),
    additionalProperties: false,
  };
  /** One value per row: the feature's range, `null` (omitted) where the row form may omit it. */
  const column = (
    r: { min: number; max: number; integer?: boolean },
    nullable: boolean,
    description: string,
  ): Schema => ({
    type: 'array',
    minItems: 1,
    maxItems: batchLimit,
    items: {
      type: [r.integer ? 'integer' : 'number', ...(nullable ? ['null'] : [])],
      minimum: r.min,
      maximum: r.max,
    },
    description,
  });
  const columnarRequest: Schema = {
    type: 'object',
    description:
      'The same rows as `{instances: [...]}`, sent as one array per field: row r is entry r of every array, and every array holds one entry per row (400 `length` otherwise). `null` stands for a field the row does not send (an optional feature imputed, a missing baseline statistic, no SLO). Validated and scored exactly as the row form; errors name the column and the row: `columns.cpu_usage_pct[3]`, `baseline.cpu_usage_pct.p50[3]`, `slo[3].availability`. A quarter of the bytes of the row form, and far cheaper to parse: what the healer sends.',
    properties: {
      columns: {
        type: 'object',
        description:
          'Feature name → its value for each row. Required features need a column without nulls; optional ones may be left out (imputed for every row).',
        properties: Object.fromEntries(
          features.map((f) => [
            f.name,
            column(f, !f.required, `${f.description} Unit: ${f.unit}.`),
          ]),
        ),
        required: features.filter((f) => f.required).map((f) => f.name),
        additionalProperties: false,
      },
      baseline: {
        type: 'object',
        description:
          'Signal → statistic → its value for each row (see Baseline; p10 ≤ p50 ≤ p90 within each row).',
        properties: Object.fromEntries(
          baselineFeatures.map((f) => {
            const spec = byName.get(f)!;
            return [
              f,
              {
                type: 'object',
                properties: Object.fromEntries(
                  BASELINE_STATS.map((st) => [
                    st,
                    column(
                      st === 'slope' ? { min: -Number.MAX_VALUE, max: Number.MAX_VALUE } : spec,
                      true,
                      st,
                    ),
                  ]),
                ),
                additionalProperties: false,
              },
            ];
          }),
        ),
        additionalProperties: false,
      },
      slo: {
        type: 'array',
        description: "Each row's SLO, or null.",
        minItems: 1,
        maxItems: batchLimit,
        items: { oneOf: [ref('Slo'), { type: 'null' }] },
      },
    },
    required: ['columns'],
    additionalProperties: false,
  };
  const range = (r: { min: number; max: number }, description: string): Schema => ({
    type: 'number',
    minimum: r.min,
    maximum: r.max,
    description,
  });
  const slo: Schema = {
    type: 'object',
    description:
      "The deployment's SLO and its SLIs over the multiwindow burn-rate windows; the SLO layer fires (risk 1, layer `slo`) when the error budget burns ≥ 14.4× over 1 h and 5 m, or ≥ 6× over 6 h and 30 m (and 5 m), or p95 ≥ its objective over 5 m and 1 h — with at least `min_requests` in 5 m.",
    properties: {
      availability: range(
        SLO_LIMITS.availability,
        'Availability objective; without one the SLO layer fires no burn-rate alert (the healer sends the aiops.io/slo-availability annotation). Its error ceiling (5xx ≥ 5 % over both 30m and 5m, at least min_requests in 5m; rule error_ceiling) holds whatever is declared; an objective looser than 95 % raises it to its budget.',
      ),
      latency_p95_seconds: range(
        SLO_LIMITS.latency_p95_seconds,
        'p95 latency objective, s; no latency SLO without it.',
      ),
      min_requests: range(
        SLO_LIMITS.min_requests,
        'Fewer requests in 5 m never fire (default 20).',
      ),
      windows: {
        type: 'object',
        properties: Object.fromEntries(
          SLO_WINDOWS.map((w) => [
            w,
            {
              type: 'object',
              properties: Object.fromEntries(
                SLO_WINDOW_FIELDS.map((k) => [k, range(SLO_LIMITS[k], k)]),
              ),
              additionalProperties: false,
            },
          ]),
        ),
        additionalProperties: false,
      },
    },
    additionalProperties: false,
  };
  const predictionProperties: Schema = {
    risk: { type: 'number', minimum: 0, maximum: 1 },
    level: {
      type: 'string',
      enum: [...RISK_LEVELS],
      description: `low < ${LEVEL_CUTS.elevated} ≤ elevated < ${LEVEL_CUTS.high} ≤ high < ${LEVEL_CUTS.critical} ≤ critical`,
    },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    explanation: {
      type: 'array',
      description: "Every feature's signed contribution to the risk, largest |contribution| first.",
      items: ref('Contribution'),
    },
    imputed: { type: 'array', items: { type: 'string', enum: featureNames } },
    model: {
      type: 'object',
      properties: { version: { type: 'string' } },
      required: ['version'],
    },
    layer: {
      type: 'string',
      enum: ['model', 'slo', 'own_normal'],
      description:
        'Which layer set `risk`: the model, the SLO layer or the own-normal layer (each deterministic layer sets 1 when it fires).',
    },
    layers: ref('Layers'),
    inconclusive: {
      type: 'string',
      description:
        'Present when the model abstains (an input outside what it was trained on) and the SLO layer did not fire: treat the deployment as inconclusive, with this reason.',
    },
    shadow: ref('ShadowVerdict'),
  };
  const predictionRequired = [
    'risk',
    'level',
    'threshold',
    'explanation',
    'imputed',
    'model',
    'layer',
    'layers',
  ];
  const elapsed = {
    type: 'number',
    minimum: 0,
    description:
      'Server time in milliseconds from the request reaching the app to the answer being ready to serialise (body parsing, validation and inference).',
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'aiops-autoheal backend',
      version: '1.0.0',
      description:
        'Scores Kubernetes deployments: the probability that each is failing or about to fail, with an explanation.',
    },
    paths: {
      '/predict': {
        post: {
          summary:
            'Score one feature object, or a batch of them in `{instances: [...]}` or as columns (`{columns: {...}}`)',
          parameters: [
            {
              name: 'explain',
              in: 'query',
              required: false,
              description:
                'How many contributions each explanation keeps, largest first: `all` (default) or a whole number (0 for none). Keeps large batch answers small.',
              schema: { oneOf: [{ const: 'all' }, { type: 'string', pattern: '^\\d{1,3}$' }] },
            },
            {
              name: 'format',
              in: 'query',
              required: false,
              description:
                '`objects` (default): prediction objects as below. `columns`: the compact columnar answer (ColumnarPredictResponse), one array per field, for batch callers such as the healer; contributions in whole millionths of risk, values and references to 6 significant digits, risks exact. Shadow verdicts are only in `objects`.',
              schema: { type: 'string', enum: ['objects', 'columns'] },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    ref('FeatureInput'),
                    ref('BatchPredictRequest'),
                    ref('ColumnarPredictRequest'),
                  ],
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'The prediction (single body) or predictions in request order (batch).',
              content: {
                'application/json': {
                  schema: {
                    oneOf: [
                      ref('PredictResponse'),
                      ref('BatchPredictResponse'),
                      ref('ColumnarPredictResponse'),
                    ],
                  },
                },
              },
            },
            '400': errorResponse('Malformed JSON, or a body that breaks the feature schema.'),
            '413': errorResponse('Body larger than BODY_LIMIT.'),
            '415': errorResponse('Content-Type is not application/json.'),
            '503': errorResponse('The model is not loaded yet.'),
            default: errorResponse('405 for other methods; 500 for a server fault.'),
          },
        },
      },
      '/model': {
        get: {
          summary: 'Model metadata, feature schema, version, level cut points, evaluation',
          responses: {
            '200': json(ref('ModelInfo'), 'The loaded model.'),
            '503': errorResponse('The model is not loaded yet.'),
            default: errorResponse('405 for other methods.'),
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness: the process is up',
          responses: { '200': json(ref('Health'), 'Alive.') },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: the model is loaded and warmed up and the server is not draining',
          responses: {
            '200': json(ref('Readiness'), 'Ready.'),
            '503': json(ref('Readiness'), 'Loading or draining.'),
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: {
            '200': {
              description: 'Prometheus text exposition format 0.0.4.',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1.') },
        },
      },
    },
    components: {
      schemas: {
        FeatureInput: featureInput,
        Baseline: baseline,
        Slo: slo,
        ColumnarPredictRequest: columnarRequest,
        Layers: {
          type: 'object',
          properties: {
            model: {
              type: 'object',
              properties: {
                risk: { type: 'number', minimum: 0, maximum: 1 },
                reference_risk: {
                  type: 'number',
                  minimum: 0,
                  maximum: 1,
                  description:
                    "The model's risk at the deployment's own normal: the explanation's zero point.",
                },
                abstained: { type: ['string', 'null'] },
              },
              required: ['risk', 'reference_risk', 'abstained'],
              additionalProperties: false,
            },
            slo: {
              type: 'object',
              properties: {
                fired: { type: 'boolean' },
                rule: {
                  type: ['string', 'null'],
                  enum: [
                    'availability_fast_burn',
                    'availability_slow_burn',
                    'error_ceiling',
                    'latency',
                    null,
                  ],
                },
                reason: { type: 'string' },
              },
              required: ['fired', 'rule', 'reason'],
              additionalProperties: false,
            },
            own_normal: {
              type: 'object',
              description:
                "The own-normal layer: fires (risk 1, layer `own_normal`) when p95 latency (its own, or the p95 its callers measure: `http_caller_p95_latency_seconds`) or the 5xx ratio is far above the deployment's own baseline, or CPU is pinned at its limit when that is not its normal (these need `baseline`), or memory growth exhausts the limit within 2 minutes.",
              properties: {
                fired: { type: 'boolean' },
                signal: {
                  type: ['string', 'null'],
                  enum: [
                    'http_p95_latency_seconds',
                    'http_caller_p95_latency_seconds',
                    'http_5xx_error_rate',
                    'cpu_usage_pct',
                    'memory_growth_ratio_per_min',
                    null,
                  ],
                },
                reason: { type: 'string' },
              },
              required: ['fired', 'signal', 'reason'],
              additionalProperties: false,
            },
          },
          required: ['model', 'slo', 'own_normal'],
          additionalProperties: false,
        },
        ShadowVerdict: {
          type: 'object',
          description:
            'Shadow mode only: the candidate model’s verdict on the same row (not acted on).',
          properties: {
            model: {
              type: 'object',
              properties: { version: { type: 'string' } },
              required: ['version'],
            },
            risk: { type: 'number', minimum: 0, maximum: 1 },
            level: { type: 'string', enum: [...RISK_LEVELS] },
            layer: { type: 'string', enum: ['model', 'slo', 'own_normal'] },
            inconclusive: { type: 'string' },
          },
          required: ['model', 'risk', 'level', 'layer'],
          additionalProperties: false,
        },
        BatchPredictRequest: {
          type: 'object',
          properties: {
            instances: {
              type: 'array',
              items: ref('FeatureInput'),
              minItems: 1,
              maxItems: batchLimit,
            },
          },
          required: ['instances'],
          additionalProperties: false,
        },
        Contribution: {
          type: 'object',
          properties: {
            feature: { type: 'string', enum: featureNames },
            value: { type: 'number' },
            contribution: {
              type: 'number',
              description:
                'Exact integrated gradients, risk units: the contributions sum to layers.model.risk − layers.model.reference_risk.',
            },
            reference: {
              type: 'number',
              description:
                "The deployment's normal for this feature: where the explanation starts.",
            },
          },
          required: ['feature', 'value', 'contribution'],
          additionalProperties: false,
        },
        Prediction: {
          type: 'object',
          properties: predictionProperties,
          required: predictionRequired,
          additionalProperties: false,
        },
        PredictResponse: {
          type: 'object',
          properties: { ...predictionProperties, elapsed_ms: elapsed },
          required: [...predictionRequired, 'elapsed_ms'],
          additionalProperties: false,
        },
        BatchPredictResponse: {
          type: 'object',
          properties: {
            predictions: { type: 'array', items: ref('Prediction') },
            elapsed_ms: elapsed,
          },
          required: ['predictions', 'elapsed_ms'],
          additionalProperties: false,
        },
        ColumnarPredictResponse: columnarResponse(featureNames),
        ErrorDetail: {
          type: 'object',
          properties: {
            field: { type: 'string', examples: ['instances[3].cpu_usage_pct'] },
            rule: {
              type: 'string',
              enum: [
                'required',
                'type',
                'finite',
                'integer',
                'min',
                'max',
                'unknown',
                'min_items',
                'max_items',
                'order',
              ],
            },
            got: { description: 'The value received (bounded echo).' },
            message: { type: 'string' },
          },
          required: ['field', 'rule', 'got', 'message'],
          additionalProperties: false,
        },
        Error: {
          type: 'object',
          properties: {
            error: { type: 'string' },
            details: { type: 'array', items: ref('ErrorDetail'), maxItems: 100 },
          },
          required: ['error'],
          additionalProperties: false,
        },
        ModelInfo: {
          type: 'object',
          properties: {
            version: {
              type: 'string',
              description: 'The serving model (its folder under model/artifacts).',
            },
            shadow: {
              type: ['object', 'null'],
              description:
                'Shadow mode (SHADOW_MODEL_DIR or --shadow): the candidate scored beside it.',
              properties: { version: { type: 'string' }, threshold: { type: 'number' } },
            },
            threshold: { type: 'number' },
            engine: { type: 'string' },
            levels: {
              type: 'object',
              properties: {
                names: { type: 'array', items: { type: 'string' } },
                cuts: {
                  type: 'object',
                  properties: {
                    elevated: { type: 'number' },
                    high: { type: 'number' },
                    critical: { type: 'number' },
                  },
                  required: ['elevated', 'high', 'critical'],
                },
              },
              required: ['names', 'cuts'],
            },
            features: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  kind: { type: 'string' },
                  unit: { type: 'string' },
                  min: { type: 'number' },
                  max: { type: 'number' },
                  integer: { type: 'boolean' },
                  required: { type: 'boolean' },
                  default: { type: 'number' },
                  description: { type: 'string' },
                },
                required: ['name', 'kind', 'unit', 'min', 'max', 'required', 'default'],
              },
            },
            batch_limit: { type: 'integer', minimum: 1 },
            evaluation: {
              type: 'object',
              properties: {
                validation: {
                  type: ['object', 'null'],
                  description:
                    'Validation-split metrics recorded at training time (ROC-AUC, Brier, ECE, …).',
                  additionalProperties: { type: 'number' },
                },
                heldout: {
                  type: ['object', 'null'],
                  description:
                    "Summary of the evaluation report beside the artifact (report.json): synthetic held-out scores beside the rule baselines, and each real day's detections beside its baselines.",
                },
              },
              required: ['validation', 'heldout'],
            },
            metadata: {
              type: 'object',
              description: "The model artifact's metadata: training data, evaluation summary.",
            },
          },
          required: [
            'version',
            'shadow',
            'threshold',
            'engine',
            'levels',
            'features',
            'batch_limit',
            'metadata',
          ],
          additionalProperties: false,
        },
        Health: {
          type: 'object',
          properties: { status: { const: 'ok' } },
          required: ['status'],
        },
        Readiness: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['loading', 'ready', 'draining'] },
            model: { type: 'object', properties: { version: { type: 'string' } } },
            error: { type: 'string' },
          },
          required: ['status'],
        },
      },
    },
  };
}

/** `?format=columns`: one array per field, each with one entry per row, in request order. */
function columnarResponse(featureNames: readonly string[]): Schema {
  const rows = (items: Schema, description?: string): Schema => ({
    type: 'array',
    items,
    ...(description ? { description } : {}),
  });
  const nullable = (type: string): Schema => ({ type: [type, 'null'] });
  const perRank = (items: Schema, description: string): Schema =>
    rows({ type: 'array', items }, description);
  const index = { type: 'integer', minimum: 0, maximum: featureNames.length - 1 };
  return {
    type: 'object',
    description:
      'The compact batch answer: per-row arrays instead of objects. The explanation arrays are per row, largest |contribution| first; feature indices refer to `features`.',
    properties: {
      format: { const: 'columns' },
      model: {
        type: 'object',
        properties: { version: { type: 'string' } },
        required: ['version'],
        additionalProperties: false,
      },
      threshold: { type: 'number' },
      features: { type: 'array', items: { type: 'string', enum: [...featureNames] } },
      risk: rows({ type: 'number', minimum: 0, maximum: 1 }, 'Exact, as in the default answer.'),
      level: rows({ type: 'string', enum: [...RISK_LEVELS] }),
      layer: rows({ type: 'string', enum: ['model', 'slo', 'own_normal'] }),
      rule: rows(
        nullable('string'),
        'The SLO rule or own-normal signal where that layer set the risk, else null.',
      ),
      reason: rows(nullable('string'), "That layer's reason where it set the risk, else null."),
      inconclusive: rows(
        nullable('string'),
        'Why the model abstains (hold, do not act), else null.',
      ),
      imputed: rows({ type: 'array', items: index }, 'Indices of the imputed features.'),
      model_risk: rows({ type: 'number', minimum: 0, maximum: 1 }),
      reference_risk: rows({ type: 'number', minimum: 0, maximum: 1 }),
      explanation: {
        type: 'object',
        properties: {
          feature: perRank(index, 'Feature indices, largest |contribution| first.'),
          contribution: perRank(
            { type: 'integer' },
            'Contributions in whole millionths of risk (contribution × 1e6, rounded).',
          ),
          value: perRank({ type: 'number' }, 'The values used, to 6 significant digits.'),
          reference: perRank({ type: 'number' }, 'The references, to 6 significant digits.'),
        },
        required: ['feature', 'contribution', 'value', 'reference'],
        additionalProperties: false,
      },
      elapsed_ms: { type: 'number', minimum: 0 },
    },
    required: [
      'format',
      'model',
      'threshold',
      'features',
      'risk',
      'level',
      'layer',
      'rule',
      'reason',
      'inconclusive',
      'imputed',
      'model_risk',
      'reference_risk',
      'explanation',
      'elapsed_ms',
    ],
    additionalProperties: false,
  };
}
