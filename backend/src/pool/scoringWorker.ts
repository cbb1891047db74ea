/**
 * A scoring thread (worker_threads): builds the same scorer as the serving model from the
 * artifact's metadata and weights it is given (no tfjs here), warms it up, says `ready`, then
 * answers each `SliceJob` with its `SliceAnswer`, buffers transferred. Messages are answered in
 * the order they arrive; a job that throws is answered with the error's message, and the pool
 * scores that slice on the calling thread instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CRASH_LOOP_EXAMPLE, ORIGINAL_HEALTHY_EXAMPLE } from '@aiops/model/schema';
import { Scorer, scorerSpecOf } from '@aiops/model/scoring/scorer';
import {
  detached,
  encodeSlice,
  scoreSlice,
  transferablesOf,
  type SliceJob,
} from '@aiops/model/scoring/slice';
import type { ScoringWorkerData, WorkerReply, WorkerRequest } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('scoringWorker.ts runs as a worker thread only');
const data = workerData as ScoringWorkerData;
const scorer = new Scorer(scorerSpecOf(data.metadata, data.weights));

// Warm-up: the first real slices should not pay for compiling the scoring path.
const warmRows = Array.from({ length: 256 }, (_, i) =>
  i % 2 === 0 ? ORIGINAL_HEALTHY_EXAMPLE : CRASH_LOOP_EXAMPLE,
);
for (let i = 0; i < data.warmupRounds; i++) {
  const format = i % 2 === 0 ? 'columns' : 'objects';
  scoreSlice(scorer, encodeSlice(warmRows, 0, warmRows.length, { explain: undefined, format }));
}

port.on('message', (msg: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const answer = scoreSlice(scorer, msg.job as SliceJob);
    answer.bytes = detached(answer.bytes);
    reply = { id: msg.id, answer };
    port.postMessage(reply, transferablesOf(answer));
  } catch (err) {
    reply = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});
port.postMessage({ ready: true } satisfies WorkerReply);
