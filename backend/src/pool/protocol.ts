/** The messages between the scoring pool and its worker threads. */
import type { ScorerMetadata } from '@aiops/model/scoring/scorer';
import type { SliceAnswer, SliceJob } from '@aiops/model/scoring/slice';
import type { MlpWeights } from '@aiops/model/network/monotoneMlp';

/** What a worker is started with: the serving model's artifact, as loaded by the main thread. */
export interface ScoringWorkerData {
  metadata: ScorerMetadata;
  weights: MlpWeights;
  /** How many 256-row slices to score before saying ready (JIT warm-up). */
  warmupRounds: number;
}

export interface WorkerRequest {
  id: number;
  job: SliceJob;
}

export type WorkerReply =
  { ready: true } | { id: number; answer: SliceAnswer } | { id: number; error: string };
