/**
 * Scoring a large batch on every core: the rows are cut into one slice per thread; the calling
 * thread scores the first while persistent worker threads score the others (their rows sent as
 * typed arrays, transferred, not copied); each slice comes back as its part of the answer,
 * already written (`SliceAnswer`), and the caller joins the parts. Every thread builds the same
 * scorer from the same artifact, and rows are scored independently, so the answer is the bytes
 * the whole batch scored on one thread gives (tested).
 *
 * A worker that fails (dies, throws, cannot start) never loses a request: its slice is scored
 * on the calling thread, the failure is reported once (`onFailure`: a typed error, for the log
 * and the metric), and a replacement is started — unless workers keep dying before they are
 * ready, when the pool stops restarting that one and the calling thread does its share.
 */
import { Worker } from 'node:worker_threads';
import type { FeatureInput } from '@aiops/model';
import { Scorer, scorerSpecOf } from '@aiops/model/scoring/scorer';
import {
  encodeSlice,
  scoreRows,
  scoreSlice,
  transferablesOf,
  type SliceAnswer,
  type SliceJob,
} from '@aiops/model/scoring/slice';
import type { PooledScoring } from '../types.js';
import type { ScoringWorkerData, WorkerReply, WorkerRequest } from './protocol.js';

/** Why a worker's slice was scored on the calling thread instead. */
export type WorkerFailure = 'exit' | 'error' | 'job' | 'start' | 'timeout';

/** A scoring worker failed; `reason` says how (callers branch on it, not on the message). */
export class ScoringWorkerError extends Error {
  override readonly name = 'ScoringWorkerError';
  constructor(
    readonly reason: WorkerFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Starts one worker thread (the I/O edge; tests pass their own to stop one mid-request). */
export type SpawnWorker = (data: ScoringWorkerData) => Worker;

/**
 * The built worker (dist). Run from source (tests, tsx), the worker is still the build's: a worker
 * thread does not inherit the TypeScript loader, and the shipped code must not depend on tsx.
 */
export const spawnScoringWorker: SpawnWorker = (data) => {
  const built = import.meta.url.endsWith('.ts')
    ? new URL('../../dist/src/pool/scoringWorker.js', import.meta.url)
    : new URL('./scoringWorker.js', import.meta.url);
  return new Worker(built, { workerData: data });
};

export interface ScoringPoolOptions {
  /** The serving model's artifact, as loaded. */
  data: ScoringWorkerData;
  /** Worker threads beside the calling thread (threads − 1). */
  workers: number;
  /** Batches smaller than this are scored on the calling thread alone. */
  minRows: number;
  spawn?: SpawnWorker;
  /** The one report of each failure (log and metric); the request is not affected. */
  onFailure?: (err: ScoringWorkerError) => void;
  /** How long a worker may take to load and warm up (default 60 s). */
  startTimeoutMs?: number;
  /**
   * How long a worker may take to answer a slice (default 10 s): past it the worker is replaced
   * and the slice scored on the calling thread, so a hung worker never hangs a request.
   */
  sliceTimeoutMs?: number;
}

/** A worker that died this many times in a row before it was ready is not restarted. */
const MAX_START_FAILURES = 3;

class Slot {
  state: 'starting' | 'ready' | 'dead' = 'starting';
  worker!: Worker;
  /** Settles once the current worker is ready (never rejects). */
  ready!: Promise<boolean>;
  private markReady!: (ok: boolean) => void;
  private readonly pending = new Map<
    number,
    { resolve: (a: SliceAnswer) => void; reject: (e: ScoringWorkerError) => void }
  >();
  private nextId = 0;
  private startFailures = 0;
  /** Reports a failure of the current worker, once per worker (set by spawn). */
  private failCurrent: (err: ScoringWorkerError) => void = () => undefined;

  constructor(private readonly pool: ScoringPool) {
    this.spawn();
  }

  get busy(): number {
    return this.pending.size;
  }

  private spawn(): void {
    this.state = 'starting';
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    let worker: Worker;
    try {
      worker = this.pool.spawn(this.pool.data);
    } catch (err) {
      this.pool.report(
        new ScoringWorkerError('start', 'could not start a scoring worker', { cause: err }),
      );
      this.state = 'dead';
      this.markReady(false);
      return;
    }
    this.worker = worker;
    worker.unref();
    // One report per failure: an uncaught error is followed by an exit, a timeout by one too.
    let reported = false;
    const fail = (err: ScoringWorkerError): void => {
      if (!reported) this.pool.report(err);
      reported = true;
    };
    this.failCurrent = fail;
    const timer = setTimeout(() => {
      if (this.worker !== worker || this.state !== 'starting') return;
      fail(
        new ScoringWorkerError(
          'start',
          `a scoring worker was not ready in ${this.pool.startTimeoutMs} ms`,
        ),
      );
      void worker.terminate();
    }, this.pool.startTimeoutMs);
    timer.unref();
    worker.on('message', (msg: WorkerReply) => {
      if ('ready' in msg) {
        clearTimeout(timer);
        this.state = 'ready';
        this.startFailures = 0;
        this.markReady(true);
        return;
      }
      const job = this.pending.get(msg.id);
      if (job === undefined) return;
      this.pending.delete(msg.id);
      if ('answer' in msg) job.resolve(msg.answer);
      else {
        const err = new ScoringWorkerError('job', `a scoring worker failed a slice: ${msg.error}`);
        this.pool.report(err);
        job.reject(err);
      }
    });
    worker.on('error', (cause) => {
      const err = new ScoringWorkerError('error', 'a scoring worker threw', { cause });
      fail(err);
      this.rejectAll(err);
    });
    worker.on('exit', (code) => {
      clearTimeout(timer);
      if (this.worker !== worker) return;
      const wasReady = this.state === 'ready';
      const err = new ScoringWorkerError(
        wasReady ? 'exit' : 'start',
        `a scoring worker exited${wasReady ? '' : ' before it was ready'} (code ${code})`,
      );
      this.rejectAll(err);
      this.markReady(false);
      if (this.pool.closing) {
        this.state = 'dead';
        return;
      }
      fail(err);
      if (!wasReady && ++this.startFailures >= MAX_START_FAILURES) {
        this.state = 'dead';
        return;
      }
      this.spawn();
    });
  }

  private rejectAll(err: ScoringWorkerError): void {
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const j of jobs) j.reject(err);
  }

  /**
   * Scores a job on this worker; rejects with ScoringWorkerError if the worker fails it or does
   * not answer within the slice deadline (the worker is then terminated, and replaced on exit).
   */
  send(job: SliceJob): Promise<SliceAnswer> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const worker = this.worker;
      const timer = setTimeout(() => {
        if (!this.pending.has(id) || this.worker !== worker) return;
        const err = new ScoringWorkerError(
          'timeout',
          `a scoring worker did not answer a slice in ${this.pool.sliceTimeoutMs} ms`,
        );
        // Reported as the timeout it is, not again as the exit the termination causes.
        this.failCurrent(err);
        this.rejectAll(err);
        void worker.terminate();
      }, this.pool.sliceTimeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const msg: WorkerRequest = { id, job };
      worker.postMessage(msg, transferablesOf(job));
    });
  }
}

export class ScoringPool {
  readonly version: string;
  readonly threshold: number;
  readonly minRows: number;
  readonly data: ScoringWorkerData;
  readonly spawn: SpawnWorker;
  readonly startTimeoutMs: number;
  readonly sliceTimeoutMs: number;
  closing = false;
  /** The calling thread's scorer: the same artifact as the workers'. */
  private readonly scorer: Scorer;
  private readonly slots: Slot[];
  private readonly onFailure: (err: ScoringWorkerError) => void;

  private constructor(opts: ScoringPoolOptions) {
    this.data = opts.data;
    this.minRows = opts.minRows;
    this.spawn = opts.spawn ?? spawnScoringWorker;
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000;
    this.sliceTimeoutMs = opts.sliceTimeoutMs ?? 10_000;
    this.onFailure = opts.onFailure ?? (() => undefined);
    this.scorer = new Scorer(scorerSpecOf(opts.data.metadata, opts.data.weights));
    this.version = this.scorer.version;
    this.threshold = this.scorer.threshold;
    this.slots = Array.from({ length: opts.workers }, () => new Slot(this));
  }

  /** Starts the workers and waits until each is ready (or has failed: it is then left out). */
  static async start(opts: ScoringPoolOptions): Promise<ScoringPool> {
    const pool = new ScoringPool(opts);
    await Promise.all(pool.slots.map((s) => s.ready));
    return pool;
  }

  /** Threads that score a batch now: the calling one and every ready worker. */
  get threads(): number {
    return 1 + this.slots.filter((s) => s.state === 'ready').length;
  }

  /** @internal the funnel for failures (Slot). */
  report(err: ScoringWorkerError): void {
    this.onFailure(err);
  }

  /**
   * Scores `rows` (valid; row r's baseline from `how.cols` when given) in slices, in order:
   * the calling thread's first, then one per ready worker. Never fails because of a worker.
   */
  async score(rows: readonly FeatureInput[], how: PooledScoring): Promise<SliceAnswer[]> {
    const ready = this.slots.filter((s) => s.state === 'ready');
    const n = rows.length;
    const size = Math.ceil(n / (ready.length + 1));
    const others: Promise<SliceAnswer>[] = [];
    for (let s = 0; s < ready.length; s++) {
      const start = (s + 1) * size;
      const end = Math.min(n, start + size);
      if (start >= end) break;
      others.push(this.onWorker(ready[s] as Slot, rows, start, end, how));
    }
    const own = scoreRows(this.scorer, rows.slice(0, size), how.cols, how.explain, how.format);
    return [own, ...(await Promise.all(others))];
  }

  private async onWorker(
    slot: Slot,
    rows: readonly FeatureInput[],
    start: number,
    end: number,
    how: PooledScoring,
  ): Promise<SliceAnswer> {
    const job = (): SliceJob => encodeSlice(rows, start, end, how);
    try {
      return await slot.send(job());
    } catch (err) {
      if (!(err instanceof ScoringWorkerError)) throw err;
      // The job's buffers went to the worker: encode the slice again and score it here.
      return scoreSlice(this.scorer, job());
    }
  }

  /** Stops the workers (shutdown, after the in-flight requests). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.slots.map((s) => (s.state === 'dead' ? undefined : s.worker.terminate())),
    );
  }
}
