import type { SliceAnswer } from '@aiops/model/scoring/slice';
import type {
  BaselineColumns,
  ColumnSource,
  FeatureInput,
  JsonBytes,
  Prediction,
  RiskLevel,
  RowColumns,
} from '@aiops/model';

/**
 * What the backend needs from a model: score rows synchronously, in order. The model
 * workspace's `Predictor` implements it; tests use a small deterministic fake.
 */
export interface RiskScorer {
  readonly version: string;
  /** The model's default decision threshold. */
  readonly threshold: number;
  /** Name of the engine doing the arithmetic (e.g. `compiled`), for `/model` and `model_info`. */
  readonly backendName: string;
  /** Everything the model knows about itself (training, evaluation); served by `GET /model`. */
  readonly metadata: object;
  /** `opts.explain`: how many contributions per row the caller wants (default all; 0: none). */
  predict(rows: readonly FeatureInput[], opts?: { explain?: number }): Prediction[];
  /**
   * Optional fast path: the same predictions kept in flat arrays, each row written as JSON text
   * on demand (the model's `ScoredBatch`). Without it the backend serialises `predict`'s objects.
   * `opts.baseline`: the rows' baselines as columns (a columnar request), read in place of each
   * row's `baseline`. `rows` may be the rows as columns (a columnar request, read in place).
   * `opts.reuse`: the batch may be written into the scorer's arrays of the last batch scored
   * with `reuse` (the caller is done with that one).
   */
  score?(
    rows: readonly FeatureInput[] | RowColumns,
    opts?: { explain?: number; baseline?: BaselineColumns; reuse?: boolean },
  ): ScoredRows;
}

/** What the metrics read of a scored batch: its size and each row's level and abstention. */
export interface ScoredLevels {
  readonly length: number;
  level(r: number): RiskLevel;
  inconclusive(r: number): string | undefined;
}

/** A scored batch that writes its rows as JSON text. */
export interface ScoredRows extends ScoredLevels, ColumnSource {
  /** Row r written into `out` as the same bytes as `json(r)` (large batches). */
  writeJson(out: JsonBytes, r: number): void;
  /** The rows as prediction objects (shadow mode's comparison). */
  predictions(): Prediction[];
  /** Row r as JSON, identical to `JSON.stringify` of its prediction; `extra` goes before the `}`. */
  json(r: number, extra?: string): string;
}

/** What a batch is scored with: the rows' baselines as columns, explanations, answer form. */
export interface PooledScoring {
  cols: BaselineColumns | undefined;
  explain: number | undefined;
  format: 'columns' | 'objects';
}

/**
 * Scores large batches on several threads (`ScoringPool`): each slice's part of the answer,
 * already written, in row order. Built from the same artifact as the serving scorer.
 */
export interface BatchPool {
  readonly version: string;
  readonly threshold: number;
  /** Batches smaller than this stay on the main thread (SCORING_POOL_MIN_ROWS). */
  readonly minRows: number;
  /** Threads scoring a batch now (the main one and the ready workers). */
  readonly threads: number;
  score(rows: readonly FeatureInput[], how: PooledScoring): Promise<SliceAnswer[]>;
  /** Stops the workers. */
  close(): Promise<void>;
}

/** Readiness of the process: `/readyz` answers 200 only in `ready`; `/predict` needs a scorer. */
export type ServiceState = 'loading' | 'ready' | 'draining';

/**
 * The model slot main.ts fills once the model is loaded and warmed up. The app is created (and
 * `/healthz` answers) before that, so the process is observable while the model loads.
 */
export class ModelSlot {
  #scorer: RiskScorer | undefined;
  #shadow: RiskScorer | undefined;
  #pool: BatchPool | undefined;
  #heldout: object | null = null;
  #state: ServiceState = 'loading';

  constructor(scorer?: RiskScorer, heldout?: object | null) {
    if (scorer) this.ready(scorer, heldout);
  }

  get scorer(): RiskScorer | undefined {
    return this.#scorer;
  }

  /**
   * The candidate scored beside the serving model in shadow mode (its answers are reported, never
   * used), or undefined.
   */
  get shadow(): RiskScorer | undefined {
    return this.#shadow;
  }

  /** The pool scoring large batches on several threads, or undefined (the main thread alone). */
  get pool(): BatchPool | undefined {
    return this.#pool;
  }

  /** Scores large batches with `pool` from now on. */
  setPool(pool: BatchPool | undefined): void {
    this.#pool = pool;
  }

  /** Starts scoring every request with `candidate` too. */
  setShadow(candidate: RiskScorer | undefined): void {
    this.#shadow = candidate;
  }

  /** The model's held-out evaluation summary (from the artifact's report.json), if known. */
  get heldout(): object | null {
    return this.#heldout;
  }

  get state(): ServiceState {
    return this.#state;
  }

  /** The model is loaded and warmed up: start answering `/predict` and `/readyz`. */
  ready(scorer: RiskScorer, heldout: object | null = null): void {
    this.#scorer = scorer;
    this.#heldout = heldout;
    this.#state = 'ready';
  }

  /** Shutting down: `/readyz` fails so load balancers stop sending; in-flight requests finish. */
  drain(): void {
    this.#state = 'draining';
  }
}
