/**
 * The feature schema: the one source of truth for every signal the risk model reads.
 *
 * The backend validates `/predict` bodies against it, the healer fetches exactly these features
 * from Prometheus, the dashboard labels its charts and what-if form with it, and the training
 * data generator produces vectors in this order. This module has no dependencies so that the
 * browser bundle can import it.
 */

/** How a value is measured; drives validation rules and the labels shown to people. */
export type FeatureKind =
  'count' | 'ratio' | 'percent' | 'bytes' | 'bytes_per_second' | 'seconds' | 'per_second';

export interface FeatureSpec {
  /** snake_case wire name, as in the original `/predict` body. */
  readonly name: string;
  readonly kind: FeatureKind;
  /** Unit for people: shown in the dashboard and the docs. */
  readonly unit: string;
  /** Inclusive valid range. Values outside it are rejected with a 400, never clamped. */
  readonly min: number;
  readonly max: number;
  /** Integer-valued (counts). */
  readonly integer: boolean;
  /**
   * Required features must be sent by clients (the original seven). Optional ones may be omitted:
   * they are then imputed from `default` and listed as imputed in the response.
   */
  readonly required: boolean;
  /** Value imputed when an optional feature is omitted: a healthy, unremarkable baseline. */
  readonly default: number;
  readonly description: string;
}

/** Every feature, in model input order. Do not reorder: the artifact's weights depend on it. */
export const FEATURES = [
  {
    name: 'restart_count_last_5m',
    kind: 'count',
    unit: 'restarts',
    min: 0,
    max: 10_000,
    integer: false,
    required: true,
    default: 0,
    description:
      "Container restarts summed over the deployment's pods in the last 5 minutes (increase() of kube_pod_container_status_restarts_total; may be fractional from extrapolation).",
  },
  {
    name: 'cpu_usage_pct',
    kind: 'percent',
    unit: '% of CPU limit',
    min: 0,
    max: 1_000,
    integer: false,
    required: true,
    default: 20,
    description:
      'Mean CPU usage per pod as a percentage of its CPU limit (of its request when no limit is set): 100 means running at the limit. 0.65 is 0.65 %, not 65 %.',
  },
  {
    name: 'memory_usage_bytes',
    kind: 'bytes',
    unit: 'bytes',
    min: 0,
    max: 1e13,
    integer: false,
    required: true,
    default: 64 * 1024 * 1024,
    description: 'Mean container working-set memory per pod (container_memory_working_set_bytes).',
  },
  {
    name: 'ready_replica_ratio',
    kind: 'ratio',
    unit: 'ratio 0–1',
    min: 0,
    max: 1,
    integer: false,
    required: true,
    default: 1,
    description: 'Ready pods divided by desired replicas (1 when all desired pods are ready).',
  },
  {
    name: 'unavailable_replicas',
    kind: 'count',
    unit: 'pods',
    min: 0,
    max: 100_000,
    integer: false,
    required: true,
    default: 0,
    description:
      'kube_deployment_status_replicas_unavailable: desired pods that are not available.',
  },
  {
    name: 'network_receive_bytes_per_s',
    kind: 'bytes_per_second',
    unit: 'bytes/s',
    min: 0,
    max: 1e12,
    integer: false,
    required: true,
    default: 50_000,
    description: "Network bytes received per second, summed over the deployment's pods.",
  },
  {
    name: 'http_5xx_error_rate',
    kind: 'ratio',
    unit: 'ratio 0–1',
    min: 0,
    max: 1,
    integer: false,
    required: true,
    default: 0,
    description:
      'Fraction of HTTP requests answered with a 5xx status (0 when there is no traffic).',
  },
  {
    name: 'http_p95_latency_seconds',
    kind: 'seconds',
    unit: 's',
    min: 0,
    max: 600,
    integer: false,
    required: false,
    default: 0.1,
    description:
      '95th percentile request latency over the window, from http_request_duration_seconds_bucket.',
  },
  {
    name: 'http_requests_per_s',
    kind: 'per_second',
    unit: 'req/s',
    min: 0,
    max: 1e9,
    integer: false,
    required: false,
    default: 20,
    description:
      'Request throughput summed over the pods. Lets the model tell busy-and-healthy from failing.',
  },
  {
    name: 'memory_limit_ratio',
    kind: 'ratio',
    unit: 'ratio of limit',
    min: 0,
    max: 2,
    integer: false,
    required: false,
    default: 0.4,
    description:
      'Highest pod working set divided by its memory limit. Near 1 an OOM kill is imminent; may briefly exceed 1 between samples.',
  },
  {
    name: 'memory_growth_ratio_per_min',
    kind: 'ratio',
    unit: 'limit fraction/min',
    min: -10,
    max: 10,
    integer: false,
    required: false,
    default: 0,
    description:
      'Slope of memory_limit_ratio per minute over the window (deriv()). A steady positive slope is a leak: the precursor of OOM kills.',
  },
  {
    name: 'cpu_throttle_ratio',
    kind: 'ratio',
    unit: 'ratio 0–1',
    min: 0,
    max: 1,
    integer: false,
    required: false,
    default: 0,
    description:
      'Fraction of CFS periods in which the containers were throttled (container_cpu_cfs_throttled_periods_total / container_cpu_cfs_periods_total): CPU starvation.',
  },
  {
    name: 'replicas',
    kind: 'count',
    unit: 'pods',
    min: 0,
    max: 100_000,
    integer: false,
    required: false,
    default: 1,
    description:
      'Desired replicas (kube_deployment_spec_replicas). Restarts and unavailable pods are judged per pod, so 3 restarts mean something else on 2 pods than on 200. When omitted, 1 is assumed (the cautious reading: every restart is on one pod).',
  },
  {
    name: 'http_caller_p95_latency_seconds',
    kind: 'seconds',
    unit: 's',
    min: 0,
    max: 600,
    integer: false,
    required: false,
    default: 0.1,
    description:
      '95th percentile latency of the requests to this deployment as its callers measure them (a service mesh\'s source-side histogram: Istio istio_request_duration_milliseconds_bucket{reporter="source"} by destination_workload). A network delay or a slow link to the deployment shows here while its own server-side p95 does not move. Not a model input: the own-normal layer judges it against its own baseline.',
  },
] as const satisfies readonly FeatureSpec[];

export type FeatureName = (typeof FEATURES)[number]['name'];

/** Feature names in model input order. */
export const FEATURE_NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);

export type RequiredFeatureName = Extract<(typeof FEATURES)[number], { required: true }>['name'];
export type OptionalFeatureName = Exclude<FeatureName, RequiredFeatureName>;

/** A complete feature vector, every feature present. */
export type FeatureVector = Record<FeatureName, number>;

/**
 * Signals judged against the deployment's own normal: the healer sends, per signal, statistics of
 * its recent history (PromQL over a trailing window and the same hour last week); replay computes
 * the same statistics from the replayed history (`features/tracker.ts`).
 */
export const BASELINE_FEATURES = [
  'http_5xx_error_rate',
  'http_p95_latency_seconds',
  'http_requests_per_s',
  'cpu_usage_pct',
  'memory_usage_bytes',
  'memory_limit_ratio',
  'network_receive_bytes_per_s',
  'cpu_throttle_ratio',
  'http_caller_p95_latency_seconds',
] as const satisfies readonly FeatureName[];
export type BaselineFeatureName = (typeof BASELINE_FEATURES)[number];

/**
 * Statistics of one signal's history, all in the signal's unit:
 * `p10`/`p50`/`p90` — quantiles over the trailing window (default 1 h, ending 5 min ago, 1-min grid):
 * the normal level and how far it normally strays down and up;
 * `recent` — the median of the last 3 minutes (a level that one noisy sample cannot move);
 * `last_week` — the median over the same window one week earlier (around the same hour);
 * `slope` — the least-squares slope over the last 10 minutes, per minute;
 * `peak` — the largest value of the last 3 minutes (the `recent` window): a spike one sample long
 * that the median discards.
 */
export const BASELINE_STATS = [
  'p10',
  'p50',
  'p90',
  'recent',
  'last_week',
  'slope',
  'peak',
] as const;
export type BaselineStat = (typeof BASELINE_STATS)[number];
export type FeatureBaseline = Partial<Record<BaselineStat, number>>;
/** Per-signal history statistics; every part optional (a missing one counts as "no history"). */
export type BaselineContext = Partial<Record<BaselineFeatureName, FeatureBaseline>>;

/** Windows of the multiwindow, multi-burn-rate SLO alerts (Google SRE workbook, chapter 5). */
export const SLO_WINDOWS = ['5m', '30m', '1h', '6h'] as const;
export type SloWindow = (typeof SLO_WINDOWS)[number];
export interface SloWindowInput {
  /** Share of requests answered 5xx over the window (0–1). */
  error_ratio?: number;
  /** Requests over the window. */
  requests?: number;
  /** p95 latency over the window, seconds. */
  p95_seconds?: number;
}
/** The deployment's SLO (from its annotations) and its SLIs over the alert windows. */
export interface SloInput {
  /**
   * Availability objective, e.g. 0.999; no burn-rate alerts without one (the error ceiling, 5 % over
   * 30 m and 5 m, holds whatever is declared; a looser objective raises it to its budget).
   */
  availability?: number;
  /** p95 latency objective in seconds; no latency SLO when omitted. */
  latency_p95_seconds?: number;
  /** Fewer requests than this in the short window never fire the SLO layer. */
  min_requests?: number;
  windows?: Partial<Record<SloWindow, SloWindowInput>>;
}

/** Valid ranges of the SLO input's fields (inclusive); the backend rejects values outside. */
export const SLO_LIMITS = {
  availability: { min: 0.5, max: 0.99999 },
  latency_p95_seconds: { min: 0.001, max: 600 },
  min_requests: { min: 0, max: 1e9 },
  error_ratio: { min: 0, max: 1 },
  requests: { min: 0, max: 1e15 },
  p95_seconds: { min: 0, max: 600 },
} as const;
export const SLO_WINDOW_FIELDS = ['error_ratio', 'requests', 'p95_seconds'] as const;

/**
 * What clients send: the original seven are required, the rest may be omitted (imputed), and the
 * deployment's own baseline and SLO are optional context.
 */
export type FeatureInput = Record<RequiredFeatureName, number> &
  Partial<Record<OptionalFeatureName, number>> & {
    baseline?: BaselineContext;
    slo?: SloInput;
  };

const BY_NAME: ReadonlyMap<string, FeatureSpec> = new Map(FEATURES.map((f) => [f.name, f]));

/** The spec of a feature, or undefined for an unknown name. */
export function featureSpec(name: string): FeatureSpec | undefined {
  return BY_NAME.get(name);
}

export function isFeatureName(name: string): name is FeatureName {
  return BY_NAME.has(name);
}

/**
 * Risk levels and their cut points: risk in [0, elevated) is low, [elevated, high) elevated,
 * [high, critical) high, [critical, 1] critical.
 */
export const RISK_LEVELS = ['low', 'elevated', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const LEVEL_CUTS = { elevated: 0.3, high: 0.6, critical: 0.85 } as const;

export function riskLevel(risk: number): RiskLevel {
  if (risk >= LEVEL_CUTS.critical) return 'critical';
  if (risk >= LEVEL_CUTS.high) return 'high';
  if (risk >= LEVEL_CUTS.elevated) return 'elevated';
  return 'low';
}

/**
 * The label the model is trained on: an SLO is breached now or within this many minutes.
 * See model/README.md for the SLO definition.
 */
export const LABEL_HORIZON_MINUTES = 5;

/**
 * One feature's share of the model layer's risk, in risk units (signed): integrated gradients from
 * the deployment's own normal (`reference`) to its current value. The explanation sorts by
 * |contribution|; the contributions sum to `layers.model.risk − layers.model.reference_risk`.
 */
export interface Contribution {
  feature: FeatureName;
  value: number;
  contribution: number;
  /** The value the explanation starts from: the deployment's normal (baseline median) or a healthy default. */
  reference?: number;
}

/**
 * Which layer set the risk: the learned model, the deterministic SLO burn-rate alerts, or the
 * deterministic own-normal check (latency or errors far from the deployment's own baseline).
 */
export type RiskLayer = 'model' | 'slo' | 'own_normal';

/** The two layers' verdicts behind one prediction. */
export interface PredictionLayers {
  model: {
    /** The model's calibrated risk. */
    risk: number;
    /** The model's risk at the deployment's own normal: the zero point of the explanation. */
    reference_risk: number;
    /** Why the model abstains (input outside what it was trained on), or null. */
    abstained: string | null;
  };
  slo: {
    fired: boolean;
    /** The alert that fired (`availability_fast_burn`, `availability_slow_burn`, `error_ceiling`, `latency`), or null. */
    rule: string | null;
    /** The rule and its values, or why the SLO layer could not judge. */
    reason: string;
  };
  /** Always set by the Predictor; optional so answers from before this layer still type-check. */
  own_normal?: {
    fired: boolean;
    /** The signal that left its own normal (`http_p95_latency_seconds`, `http_5xx_error_rate`), or null. */
    signal: string | null;
    /** The values against the baseline, or why the layer could not judge. */
    reason: string;
  };
}

/** One scored feature vector: the wire shape of a `/predict` answer (the backend adds elapsed_ms). */
export interface Prediction {
  /**
   * Probability in [0, 1] that the deployment is failing or will within the horizon: the model's
   * calibrated risk, or 1 when the SLO or the own-normal layer fires (the layers are OR'd).
   */
  risk: number;
  level: RiskLevel;
  /** The model's default decision threshold (from its metadata). */
  threshold: number;
  /** Every feature's contribution to the model layer's risk, largest |contribution| first. */
  explanation: Contribution[];
  /** Optional features that were omitted and imputed. */
  imputed: FeatureName[];
  model: { version: string };
  /**
   * Which layer set `risk`, and both layers' verdicts. The Predictor always sets them (the OpenAPI
   * document requires them); they are optional in this type so that clients and test fakes
   * written against the original answer keep compiling.
   */
  layer?: RiskLayer;
  layers?: PredictionLayers;
  /**
   * Set when the prediction must not be acted on: the model abstains (out of distribution) and
   * neither deterministic layer fired. Callers treat the deployment as inconclusive, with this reason.
   */
  inconclusive?: string;
}

/** Single `/predict` answer. */
export interface PredictResponse extends Prediction {
  elapsed_ms: number;
}

/** Batch `/predict` request and answer. */
export interface BatchPredictRequest {
  instances: FeatureInput[];
}
export interface BatchPredictResponse {
  predictions: Prediction[];
  elapsed_ms: number;
}

/** The original system's healthy example body; must keep working unchanged. */
export const ORIGINAL_HEALTHY_EXAMPLE: FeatureInput = {
  restart_count_last_5m: 0,
  cpu_usage_pct: 0.65,
  memory_usage_bytes: 52428800,
  ready_replica_ratio: 1.0,
  unavailable_replicas: 0,
  network_receive_bytes_per_s: 86,
  http_5xx_error_rate: 0,
};

/** A crash loop as SREs see it: must score > 0.9. */
export const CRASH_LOOP_EXAMPLE: FeatureInput = {
  restart_count_last_5m: 6,
  cpu_usage_pct: 0.65,
  memory_usage_bytes: 52428800,
  ready_replica_ratio: 0.33,
  unavailable_replicas: 2,
  network_receive_bytes_per_s: 86,
  http_5xx_error_rate: 0.3,
};
