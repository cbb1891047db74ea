/**
 * A scored batch kept in flat typed arrays, one slot per row: what `Scorer.score` fills without
 * building a single object per row. `prediction(r)` turns a row into the `Prediction` the API
 * documents; `json(r)` writes the same prediction straight as JSON text (byte for byte what
 * `JSON.stringify(prediction(r))` gives), so a large batch answer costs no intermediate objects.
 */
import {
  FEATURES,
  riskLevel,
  type Contribution,
  type FeatureName,
  type Prediction,
  type RiskLayer,
} from '../schema.js';
import { N_FEATURES, imputedNames } from '../features/derive.js';
import type { SloVerdict } from '../slo/burnRate.js';
import type { OwnNormalVerdict } from '../ownNormal/ownNormal.js';

const NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);
/** `{"feature":"<name>","value":` per feature, escaped once. */
const FEATURE_OPEN: readonly string[] = NAMES.map((n) => `{"feature":${JSON.stringify(n)},"value":`);
const NOTHING_IMPUTED = Object.freeze([]) as unknown as FeatureName[];
/** The layers by their code in `ScoredBatch.layer`. */
const LAYERS: readonly RiskLayer[] = ['model', 'slo', 'own_normal'];
export const LAYER_MODEL = 0;
export const LAYER_SLO = 1;
export const LAYER_OWN_NORMAL = 2;

/** A number as JSON writes it (non-finite numbers become null). */
const num = (x: number): string => (x - x === 0 ? String(x) : 'null');
const str = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));

export class ScoredBatch {
  /** Overall risk: the model's, or 1 where a deterministic layer fired. */
  readonly risk: Float64Array;
  /** The model layer's calibrated risk and its risk at the deployment's own normal. */
  readonly modelRisk: Float64Array;
  readonly referenceRisk: Float64Array;
  /** Index into `LAYERS` of the layer that set the risk. */
  readonly layer: Uint8Array;
  /** Per row, N_FEATURES slots in schema order: contribution, value used, reference value. */
  readonly contribution: Float64Array;
  readonly value: Float64Array;
  readonly reference: Float64Array;
  /** Per row, the feature indices by descending |contribution| (the first `top` are explained). */
  readonly ranking: Uint8Array;
  /** Bit i set: feature i was imputed. */
  readonly imputedMask: Int32Array;
  /** Why the model abstains, or null. */
  readonly abstained: (string | null)[];
  readonly slo: SloVerdict[];
  readonly ownNormal: OwnNormalVerdict[];
  private readonly modelJson: string;
  private readonly thresholdJson: string;

  constructor(
    readonly length: number,
    /** Contributions explained per row. */
    readonly top: number,
    readonly threshold: number,
    readonly version: string,
  ) {
    const cells = length * N_FEATURES;
    this.risk = new Float64Array(length);
    this.modelRisk = new Float64Array(length);
    this.referenceRisk = new Float64Array(length);
    this.layer = new Uint8Array(length);
    this.contribution = new Float64Array(cells);
    this.value = new Float64Array(cells);
    this.reference = new Float64Array(cells);
    this.ranking = new Uint8Array(cells);
    this.imputedMask = new Int32Array(length);
    this.abstained = new Array<string | null>(length);
    this.slo = new Array<SloVerdict>(length);
    this.ownNormal = new Array<OwnNormalVerdict>(length);
    this.modelJson = `{"version":${JSON.stringify(version)}}`;
    this.thresholdJson = num(threshold);
  }

  /** The inconclusive reason of row r: the model abstains and no deterministic layer fired. */
  inconclusive(r: number): string | undefined {
    const a = this.abstained[r];
    return a !== null && a !== undefined && this.layer[r] === LAYER_MODEL ? a : undefined;
  }

  /** Row r as the API's prediction object. */
  prediction(r: number, model: { version: string } = { version: this.version }): Prediction {
    const base = r * N_FEATURES;
    const explanation: Contribution[] = new Array(this.top);
    for (let k = 0; k < this.top; k++) {
      const i = this.ranking[base + k] as number;
      explanation[k] = {
        feature: NAMES[i] as FeatureName,
        value: this.value[base + i] as number,
        contribution: this.contribution[base + i] as number,
        reference: this.reference[base + i] as number,
      };
    }
    const risk = this.risk[r] as number;
    const slo = this.slo[r] as SloVerdict;
    const own = this.ownNormal[r] as OwnNormalVerdict;
    const mask = this.imputedMask[r] as number;
    const p: Prediction = {
      risk,
      level: riskLevel(risk),
      threshold: this.threshold,
      explanation,
      imputed: mask === 0 ? NOTHING_IMPUTED : imputedNames(mask),
      model,
      layer: LAYERS[this.layer[r] as number] as RiskLayer,
      layers: {
        model: {
          risk: this.modelRisk[r] as number,
          reference_risk: this.referenceRisk[r] as number,
          abstained: this.abstained[r] ?? null,
        },
        slo: { fired: slo.fired, rule: slo.rule, reason: slo.reason },
        own_normal: { fired: own.fired, signal: own.signal, reason: own.reason },
      },
    };
    const inconclusive = this.inconclusive(r);
    if (inconclusive !== undefined) p.inconclusive = inconclusive;
    return p;
  }

  /** Every row as prediction objects (one shared `model` object, as before). */
  predictions(): Prediction[] {
    const out: Prediction[] = new Array(this.length);
    const model = Object.freeze({ version: this.version });
    for (let r = 0; r < this.length; r++) out[r] = this.prediction(r, model);
    return out;
  }

  /**
   * Row r as JSON text, identical to `JSON.stringify(this.prediction(r))`; `extra` (`,"k":v` …)
   * is written just before the closing brace, where a spread `{ ...p, k: v }` puts it.
   */
  json(r: number, extra = ''): string {
    const base = r * N_FEATURES;
    const risk = this.risk[r] as number;
    let s = `{"risk":${num(risk)},"level":"${riskLevel(risk)}","threshold":${this.thresholdJson},"explanation":[`;
    for (let k = 0; k < this.top; k++) {
      const i = this.ranking[base + k] as number;
      s += `${k === 0 ? '' : ','}${FEATURE_OPEN[i] as string}${num(this.value[base + i] as number)},"contribution":${num(this.contribution[base + i] as number)},"reference":${num(this.reference[base + i] as number)}}`;
    }
    const mask = this.imputedMask[r] as number;
    s += '],"imputed":[';
    if (mask !== 0) {
      let first = true;
      for (let i = 0; i < N_FEATURES; i++) {
        if ((mask & (1 << i)) === 0) continue;
        s += `${first ? '' : ','}"${NAMES[i] as string}"`;
        first = false;
      }
    }
    const slo = this.slo[r] as SloVerdict;
    const own = this.ownNormal[r] as OwnNormalVerdict;
    s +=
      `],"model":${this.modelJson},"layer":"${LAYERS[this.layer[r] as number] as string}","layers":{"model":{"risk":${num(this.modelRisk[r] as number)},"reference_risk":${num(this.referenceRisk[r] as number)},"abstained":${str(this.abstained[r] ?? null)}},` +
      `"slo":{"fired":${slo.fired},"rule":${str(slo.rule)},"reason":${str(slo.reason)}},"own_normal":{"fired":${own.fired},"signal":${str(own.signal)},"reason":${str(own.reason)}}}`;
    const inconclusive = this.inconclusive(r);
    if (inconclusive !== undefined) s += `,"inconclusive":${str(inconclusive)}`;
    return s + extra + '}';
  }
}
