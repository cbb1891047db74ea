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
  type RiskLevel,
} from '../schema.js';
import { N_FEATURES, imputedNames } from '../features/derive.js';
import type { SloVerdict } from '../slo/burnRate.js';
import {
  OWN_NUMBERS,
  ownNormalReason,
  ownNormalSignal,
  ownNormalVerdictOf,
  writeOwnNormalReason,
  type OwnNormalVerdict,
} from '../ownNormal/ownNormal.js';
import type { ColumnSource, FlatExplanations } from './columns.js';
import type { JsonBytes } from './jsonBytes.js';

const NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);
/** `{"feature":"<name>","value":` per feature, escaped once. */
const FEATURE_OPEN: readonly string[] = NAMES.map(
  (n) => `{"feature":${JSON.stringify(n)},"value":`,
);
const NOTHING_IMPUTED = Object.freeze([]) as unknown as FeatureName[];
/** The layers by their code in `ScoredBatch.layer`. */
const LAYERS: readonly RiskLayer[] = ['model', 'slo', 'own_normal'];
export const LAYER_MODEL = 0;
export const LAYER_SLO = 1;
export const LAYER_OWN_NORMAL = 2;

/** A number as JSON writes it (non-finite numbers become null). */
const num = (x: number): string => (x - x === 0 ? String(x) : 'null');
const str = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));
/**
 * A layer's verdict as JSON. Most rows share a few frozen verdicts ("no SLO windows sent", "within
 * their own normal"): their text is kept per verdict object instead of escaped again per row.
 */
const verdictJson = new WeakMap<object, string>();
function layerJson(v: SloVerdict | OwnNormalVerdict): string {
  let text = verdictJson.get(v);
  if (text === undefined) {
    text =
      'rule' in v
        ? `{"fired":${v.fired},"rule":${str(v.rule)},"reason":${str(v.reason)}}`
        : `{"fired":${v.fired},"signal":${str(v.signal)},"reason":${str(v.reason)}}`;
    if (Object.isFrozen(v)) verdictJson.set(v, text);
  }
  return text;
}

/**
 * Row-major layout: each row's numbers sit together (`ROW_DOUBLES` slots at `r * ROW_DOUBLES`),
 * then its layer code and explanation ranking (`ROW_BYTES` at `r * ROW_BYTES`). Two typed arrays
 * per batch: creating typed arrays costs more than scoring a row, so a one-row answer needs few.
 */
export const AT_RISK = 0;
export const AT_MODEL_RISK = 1;
export const AT_REFERENCE_RISK = 2;
/** Bit i set: feature i was imputed. */
export const AT_IMPUTED = 3;
/** N_FEATURES slots each, in schema order: contribution, value used, reference value. */
export const AT_CONTRIBUTION = 4;
export const AT_VALUE = AT_CONTRIBUTION + N_FEATURES;
export const AT_REFERENCE = AT_VALUE + N_FEATURES;
/** OWN_NUMBERS slots: the numbers the own-normal layer's reason names (`judgeOwnNormal`). */
export const AT_OWN_NORMAL = AT_REFERENCE + N_FEATURES;
export const ROW_DOUBLES = AT_OWN_NORMAL + OWN_NUMBERS;
export const AT_LAYER = 0;
/** The feature indices by descending |contribution| (the first `top` are explained). */
export const AT_RANKING = 1;
/** The own-normal layer's verdict code (`judgeOwnNormal`): its text is made when read. */
export const AT_OWN_CODE = AT_RANKING + N_FEATURES;
export const ROW_BYTES = AT_OWN_CODE + 1;

/** Arrays a `ScoredBatch` may be written into instead of new ones (at least its rows' room). */
export interface BatchStorage {
  readonly numbers: Float64Array;
  readonly bytes: Uint8Array;
}

export class ScoredBatch implements ColumnSource {
  readonly numbers: Float64Array;
  readonly bytes: Uint8Array;
  /** Why the model abstains, or null. */
  readonly abstained: (string | null)[];
  readonly slo: SloVerdict[];
  private readonly thresholdJson: string;

  constructor(
    readonly length: number,
    /** Contributions explained per row. */
    readonly top: number,
    readonly threshold: number,
    readonly version: string,
    /** `{"version":…}` as JSON, when the caller has it already. */
    private readonly modelJson = `{"version":${JSON.stringify(version)}}`,
    /** Arrays to write into (zeroed first, as new ones are), instead of new ones. */
    storage?: BatchStorage,
  ) {
    if (storage === undefined) {
      this.numbers = new Float64Array(length * ROW_DOUBLES);
      this.bytes = new Uint8Array(length * ROW_BYTES);
    } else {
      this.numbers = storage.numbers.subarray(0, length * ROW_DOUBLES).fill(0);
      this.bytes = storage.bytes.subarray(0, length * ROW_BYTES).fill(0);
    }
    this.abstained = new Array<string | null>(length);
    this.slo = new Array<SloVerdict>(length);
    this.thresholdJson = num(threshold);
  }

  /** Overall risk of row r: the model's, or 1 where a deterministic layer fired. */
  risk(r: number): number {
    return this.numbers[r * ROW_DOUBLES + AT_RISK] as number;
  }

  /** The layer that set row r's risk. */
  layer(r: number): RiskLayer {
    return LAYERS[this.bytes[r * ROW_BYTES + AT_LAYER] as number] as RiskLayer;
  }

  /** The risk level of row r. */
  level(r: number): RiskLevel {
    return riskLevel(this.risk(r));
  }

  /** The inconclusive reason of row r: the model abstains and no deterministic layer fired. */
  inconclusive(r: number): string | undefined {
    const a = this.abstained[r];
    return a !== null && a !== undefined && this.bytes[r * ROW_BYTES + AT_LAYER] === LAYER_MODEL
      ? a
      : undefined;
  }

  /** The fired layer's rule (SLO) or signal (own normal), or undefined where the model set the risk. */
  rule(r: number): string | null | undefined {
    const layer = this.bytes[r * ROW_BYTES + AT_LAYER];
    if (layer === LAYER_SLO) return (this.slo[r] as SloVerdict).rule;
    if (layer === LAYER_OWN_NORMAL)
      return ownNormalSignal(this.bytes[r * ROW_BYTES + AT_OWN_CODE]!);
    return undefined;
  }

  /** The fired layer's reason, or undefined where the model set the risk. */
  reason(r: number): string | undefined {
    const layer = this.bytes[r * ROW_BYTES + AT_LAYER];
    if (layer === LAYER_SLO) return (this.slo[r] as SloVerdict).reason;
    if (layer === LAYER_OWN_NORMAL) {
      return ownNormalReason(
        this.bytes[r * ROW_BYTES + AT_OWN_CODE]!,
        this.numbers,
        r * ROW_DOUBLES + AT_OWN_NORMAL,
      );
    }
    return undefined;
  }

  /**
   * The fired layer's reason as a JSON string into `out` (null where the model set the risk): the
   * bytes of `out.string(this.reason(r))`, the own-normal layer's written from its numbers
   * without making the text.
   */
  writeReason(out: JsonBytes, r: number): void {
    const layer = this.bytes[r * ROW_BYTES + AT_LAYER];
    if (layer === LAYER_OWN_NORMAL) {
      const code = this.bytes[r * ROW_BYTES + AT_OWN_CODE]!;
      writeOwnNormalReason(out, code, this.numbers, r * ROW_DOUBLES + AT_OWN_NORMAL);
    } else out.string(this.reason(r));
  }

  /** The own-normal layer's verdict on row r (made from its code and numbers). */
  ownNormalVerdict(r: number): OwnNormalVerdict {
    const code = this.bytes[r * ROW_BYTES + AT_OWN_CODE]!;
    return ownNormalVerdictOf(code, this.numbers, r * ROW_DOUBLES + AT_OWN_NORMAL);
  }

  /** Bit i set: feature i of row r was imputed. */
  imputedMask(r: number): number {
    return this.numbers[r * ROW_DOUBLES + AT_IMPUTED] as number;
  }

  modelRisk(r: number): number {
    return this.numbers[r * ROW_DOUBLES + AT_MODEL_RISK] as number;
  }

  referenceRisk(r: number): number {
    return this.numbers[r * ROW_DOUBLES + AT_REFERENCE_RISK] as number;
  }

  /** How many contributions each row explains. */
  explained(): number {
    return this.top;
  }

  /** The explanation's cells in place (see `ColumnSource.flat`). */
  flat(): FlatExplanations {
    return this;
  }

  /** The feature index of row r's k-th largest contribution. */
  feature(r: number, k: number): number {
    return this.bytes[r * ROW_BYTES + AT_RANKING + k] as number;
  }

  contribution(r: number, k: number): number {
    return this.numbers[r * ROW_DOUBLES + AT_CONTRIBUTION + this.feature(r, k)] as number;
  }

  value(r: number, k: number): number {
    return this.numbers[r * ROW_DOUBLES + AT_VALUE + this.feature(r, k)] as number;
  }

  reference(r: number, k: number): number {
    return this.numbers[r * ROW_DOUBLES + AT_REFERENCE + this.feature(r, k)] as number;
  }

  /** Row r as the API's prediction object. */
  prediction(r: number, model: { version: string } = { version: this.version }): Prediction {
    const { numbers, bytes } = this;
    const at = r * ROW_DOUBLES;
    const rank = r * ROW_BYTES + AT_RANKING;
    const explanation: Contribution[] = new Array(this.top);
    for (let k = 0; k < this.top; k++) {
      const i = bytes[rank + k] as number;
      explanation[k] = {
        feature: NAMES[i] as FeatureName,
        value: numbers[at + AT_VALUE + i] as number,
        contribution: numbers[at + AT_CONTRIBUTION + i] as number,
        reference: numbers[at + AT_REFERENCE + i] as number,
      };
    }
    const risk = numbers[at + AT_RISK] as number;
    const slo = this.slo[r] as SloVerdict;
    const own = this.ownNormalVerdict(r);
    const mask = numbers[at + AT_IMPUTED] as number;
    const p: Prediction = {
      risk,
      level: riskLevel(risk),
      threshold: this.threshold,
      explanation,
      imputed: mask === 0 ? NOTHING_IMPUTED : imputedNames(mask),
      model,
      layer: this.layer(r),
      layers: {
        model: {
          risk: numbers[at + AT_MODEL_RISK] as number,
          reference_risk: numbers[at + AT_REFERENCE_RISK] as number,
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
   * Row r written into `out` as the same bytes as `json(r)` (UTF-8), without building its text:
   * for large batches, where the strings per number and their concatenation cost more than the
   * scoring (the garbage collector, then flattening the text before the socket takes it).
   */
  writeJson(out: JsonBytes, r: number): void {
    const { numbers, bytes } = this;
    const at = r * ROW_DOUBLES;
    const rank = r * ROW_BYTES + AT_RANKING;
    const risk = numbers[at + AT_RISK] as number;
    out
      .raw('{"risk":')
      .number(risk)
      .raw(`,"level":"${riskLevel(risk)}","threshold":`)
      .raw(this.thresholdJson)
      .raw(',"explanation":[');
    for (let k = 0; k < this.top; k++) {
      const i = bytes[rank + k] as number;
      if (k > 0) out.char(0x2c);
      out
        .raw(FEATURE_OPEN[i] as string)
        .number(numbers[at + AT_VALUE + i] as number)
        .raw(',"contribution":')
        .number(numbers[at + AT_CONTRIBUTION + i] as number)
        .raw(',"reference":')
        .number(numbers[at + AT_REFERENCE + i] as number)
        .char(0x7d);
    }
    out.raw('],"imputed":[');
    const mask = numbers[at + AT_IMPUTED] as number;
    if (mask !== 0) {
      let first = true;
      for (let i = 0; i < N_FEATURES; i++) {
        if ((mask & (1 << i)) === 0) continue;
        if (!first) out.char(0x2c);
        out
          .char(0x22)
          .raw(NAMES[i] as string)
          .char(0x22);
        first = false;
      }
    }
    out
      .raw('],"model":')
      .raw(this.modelJson)
      .raw(`,"layer":"${this.layer(r)}","layers":{"model":{"risk":`)
      .number(numbers[at + AT_MODEL_RISK] as number)
      .raw(',"reference_risk":')
      .number(numbers[at + AT_REFERENCE_RISK] as number)
      .raw(',"abstained":')
      .string(this.abstained[r] ?? null)
      .raw('},"slo":')
      .raw(layerJson(this.slo[r] as SloVerdict))
      .raw(',"own_normal":')
      .raw(layerJson(this.ownNormalVerdict(r)))
      .char(0x7d);
    const inconclusive = this.inconclusive(r);
    if (inconclusive !== undefined) out.raw(',"inconclusive":').string(inconclusive);
    out.char(0x7d);
  }

  /**
   * Row r as JSON text, identical to `JSON.stringify(this.prediction(r))`; `extra` (`,"k":v` …)
   * is written just before the closing brace, where a spread `{ ...p, k: v }` puts it.
   */
  json(r: number, extra = ''): string {
    const { numbers, bytes } = this;
    const at = r * ROW_DOUBLES;
    const rank = r * ROW_BYTES + AT_RANKING;
    const risk = numbers[at + AT_RISK] as number;
    let s = `{"risk":${num(risk)},"level":"${riskLevel(risk)}","threshold":${this.thresholdJson},"explanation":[`;
    for (let k = 0; k < this.top; k++) {
      const i = bytes[rank + k] as number;
      s += `${k === 0 ? '' : ','}${FEATURE_OPEN[i] as string}${num(numbers[at + AT_VALUE + i] as number)},"contribution":${num(numbers[at + AT_CONTRIBUTION + i] as number)},"reference":${num(numbers[at + AT_REFERENCE + i] as number)}}`;
    }
    const mask = numbers[at + AT_IMPUTED] as number;
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
    const own = this.ownNormalVerdict(r);
    s +=
      `],"model":${this.modelJson},"layer":"${this.layer(r)}","layers":{"model":{"risk":${num(numbers[at + AT_MODEL_RISK] as number)},"reference_risk":${num(numbers[at + AT_REFERENCE_RISK] as number)},"abstained":${str(this.abstained[r] ?? null)}},` +
      `"slo":${layerJson(slo)},"own_normal":${layerJson(own)}}`;
    const inconclusive = this.inconclusive(r);
    if (inconclusive !== undefined) s += `,"inconclusive":${str(inconclusive)}`;
    return s + extra + '}';
  }
}
