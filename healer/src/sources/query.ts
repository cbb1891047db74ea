/**
 * The Prometheus source's edge: one instant query over HTTP (`/api/v1/query`), its answer parsed
 * from the response's bytes as they arrive (`vectorAnswer.ts`), with retries, the read timer and
 * the error a failed query reports. Everything else in the source sends its queries through
 * `PrometheusQuerier`, one method.
 */
import axios, { AxiosError, type AxiosInstance } from 'axios';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { withRetry, type Sleep } from '../retry.js';
import { VectorAnswerError, VectorAnswerParser, type SampleVisitor } from './vectorAnswer.js';

/** A PromQL query that failed after its retries; `feature` names which one. */
export class PrometheusQueryError extends Error {
  override readonly name = 'PrometheusQueryError';
  constructor(
    /** The feature, or `(freshness)`. */
    readonly feature: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`query for ${feature}: ${message}`, options);
  }
}

/** Where one query's time went: waiting for Prometheus' answer, parsing it; its size. */
export interface QueryAnswerStats {
  waitSeconds: number;
  parseSeconds: number;
  /** The answer's bytes (decompressed). */
  bytes: number;
}

/**
 * What a query makes of its answer's samples as they are parsed: one per attempt (a retry starts
 * over), its `result` kept only when the answer was whole and a valid vector.
 */
export interface AnswerReader<T> extends SampleVisitor {
  result(): T;
}

/** Sends instant queries: the source's one door to Prometheus. */
export interface PrometheusQuerier {
  /**
   * One instant query at `now` (ms since epoch), its answer's samples read into `read`'s reader;
   * rejects with a `PrometheusQueryError` naming `feature` (a feature, or `(freshness)`, …).
   */
  query<T>(feature: string, query: string, now: number, read: () => AnswerReader<T>): Promise<T>;
}

/** How the HTTP querier reaches Prometheus, retries and reports each query. */
export interface HttpQuerierOptions {
  url: string;
  timeoutMs: number;
  retries: number;
  sleep?: Sleep;
  random?: () => number;
  /**
   * Called once per HTTP query (for metrics and the benchmark): a feature or `(freshness)`, with
   * where its time went when an answer arrived — waiting for Prometheus (its evaluation and the
   * transfer) against parsing the answer's bytes here as they arrive — and the answer's size.
   */
  onQuery?: (query: string, ok: boolean, seconds: number, answer?: QueryAnswerStats) => void;
  /**
   * Ask for gzip-compressed answers (default false: `Accept-Encoding: identity`). Compressing tens
   * of MB of answers per cycle costs Prometheus and the healer CPU on every cycle; worth it only
   * when the bandwidth between them is scarce (a Prometheus across a WAN).
   */
  compressAnswers?: boolean;
}

/** How much of an HTTP error's body its message quotes. */
const ERROR_BODY_CHARS = 200;

/** Retry only what may pass next time: network errors, timeouts, 5xx, 429. */
export function retryable(err: unknown): boolean {
  if (!axios.isAxiosError(err)) return false;
  const status = err.response?.status;
  return status === undefined || status >= 500 || status === 429;
}

/** The message of an answer that cannot be used, as the source has always worded it. */
export function answerProblem(err: VectorAnswerError): string {
  switch (err.kind) {
    case 'not-json':
      return `answer is not JSON: ${err.detail.slice(0, 100)}`;
    case 'not-vector':
      return `expected a vector, got ${err.detail.slice(0, 100)}`;
    case 'partial':
      // Thanos/Mimir answer with what they have and a warning: part of the data is missing.
      return `partial response, Prometheus warned: ${err.detail.slice(0, 200)}`;
    case 'malformed':
      return `answer is not a Prometheus vector: ${err.detail}`;
  }
}

/**
 * What a failed request reports: an HTTP status with the start of its body, else the network
 * error's code (`ECONNABORTED` for a timeout, `ECONNRESET`, …) or message.
 */
export function requestProblem(err: unknown): string {
  return axios.isAxiosError(err)
    ? err.response
      ? `HTTP ${err.response.status} ${(typeof err.response.data === 'string' ? err.response.data : JSON.stringify(err.response.data)).slice(0, ERROR_BODY_CHARS)}`
      : (err.code ?? err.message)
    : String(err);
}

/** `PrometheusQuerier` over HTTP with axios: the one implementation. */
export class HttpPrometheusQuerier implements PrometheusQuerier {
  private readonly http: AxiosInstance;

  constructor(private readonly opts: HttpQuerierOptions) {
    this.http = axios.create({
      baseURL: opts.url,
      timeout: opts.timeoutMs,
      headers: { 'Accept-Encoding': opts.compressAnswers ? 'gzip' : 'identity' },
    });
  }

  /**
   * One instant query: its answer parsed from the response's bytes as they arrive into `read`'s
   * reader (a fresh one per attempt), whose result is returned once the answer is whole and a
   * vector without warnings. `timeoutMs` bounds the wait for the answer's headers (axios) and
   * then each pause between its bytes: a long answer that keeps arriving is read, as axios read a
   * whole one.
   */
  async query<T>(
    feature: string,
    query: string,
    now: number,
    read: () => AnswerReader<T>,
  ): Promise<T> {
    const started = performance.now();
    let answer: QueryAnswerStats | undefined;
    try {
      const result = await withRetry(
        async () => {
          const reader = read();
          const parser = new VectorAnswerParser(reader);
          const res = await this.http
            .get<Readable>('/api/v1/query', {
              params: { query, time: (now / 1000).toFixed(3) },
              responseType: 'stream',
            })
            .catch(readErrorBody);
          let parseMs = 0;
          const body = res.data;
          // From here the timer below alone bounds the pauses: the socket idle timeout axios's
          // redirect-following transport arms for `timeout` (and leaves armed after the headers)
          // could destroy the socket first, reported as a reset (ECONNRESET), not as the timeout
          // it is.
          (res.request as { socket?: Socket | null } | undefined)?.socket?.setTimeout(0);
          // Set when the answer stopped arriving and this timer ended it.
          let timedOut: AxiosError | undefined;
          const timer = setTimeout(
            () =>
              body.destroy(
                (timedOut = new AxiosError(
                  `timeout of ${this.opts.timeoutMs}ms exceeded`,
                  AxiosError.ECONNABORTED,
                  res.config,
                  res.request,
                )),
              ),
            this.opts.timeoutMs,
          );
          try {
            for await (const chunk of body as AsyncIterable<Buffer>) {
              timer.refresh();
              const t = performance.now();
              parser.write(chunk);
              parseMs += performance.now() - t;
            }
          } catch (err) {
            // Ended by the timer: a timeout, whichever error the destroyed socket surfaced first
            // (under load its reset, ECONNRESET, can win the race).
            if (timedOut !== undefined) throw timedOut;
            if (err instanceof VectorAnswerError || axios.isAxiosError(err)) throw err;
            // the connection broke mid-answer: as axios reports it for a whole answer (retried)
            throw AxiosError.from(err as Error, undefined, res.config, res.request);
          } finally {
            clearTimeout(timer);
          }
          const t = performance.now();
          try {
            parser.end();
          } finally {
            const done = performance.now();
            parseMs += done - t;
            answer = {
              waitSeconds: (done - started - parseMs) / 1000,
              parseSeconds: parseMs / 1000,
              bytes: parser.bytes,
            };
          }
          return reader.result();
        },
        {
          retries: this.opts.retries,
          retryable,
          ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
          ...(this.opts.random ? { random: this.opts.random } : {}),
        },
      );
      this.opts.onQuery?.(feature, true, (performance.now() - started) / 1000, answer);
      return result;
    } catch (err) {
      this.opts.onQuery?.(feature, false, (performance.now() - started) / 1000, answer);
      if (err instanceof PrometheusQueryError) throw err;
      if (err instanceof VectorAnswerError)
        throw new PrometheusQueryError(feature, answerProblem(err));
      throw new PrometheusQueryError(feature, requestProblem(err), { cause: err });
    }
  }
}

/**
 * An HTTP error's body arrives as a stream too: its start is read into the error (for the
 * message, as a whole answer had it) and the rest dropped.
 */
async function readErrorBody(err: unknown): Promise<never> {
  const data: unknown = axios.isAxiosError(err) ? err.response?.data : undefined;
  if (
    axios.isAxiosError(err) &&
    err.response &&
    data &&
    typeof data === 'object' &&
    'pipe' in data
  ) {
    const stream = data as Readable;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= ERROR_BODY_CHARS * 4) break;
      }
    } catch {
      // what arrived is enough for the message
    }
    stream.destroy();
    err.response.data = Buffer.concat(chunks).toString('utf8');
  }
  throw err;
}
