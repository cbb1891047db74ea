/**
 * The backend's `/predict`: one batched POST per cycle for every conclusive deployment, sent as
 * the columnar request body (one array per feature and baseline statistic: a quarter of the bytes
 * of one object per row, far cheaper for the backend to parse at 10,000 deployments) and asking
 * for the compact columnar answer (`?format=columns`). A backend that predates the columnar
 * request refuses it (400/415): the client falls back to `{"instances": [...]}` once and keeps
 * sending rows. One that predates the columnar answer answers prediction objects, taken as they are.
 */
import type { BatchPredictResponse, FeatureInput, Prediction } from '@aiops/model';
import {
  rowsWithContext,
  writeColumnarRequest,
  type RequestContext,
} from '@aiops/model/scoring/requestColumns';
import { ColumnsError, predictionsOfColumns } from '@aiops/model/scoring/columns';
import axios, { type AxiosInstance } from 'axios';
import { takeBody } from '../httpBody.js';
import { withRetry, type Sleep } from '../retry.js';

/** `/predict` failed after its retries (or answered something unusable). */
export class PredictError extends Error {
  override readonly name = 'PredictError';
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface PredictClientOptions {
  url: string;
  timeoutMs: number;
  retries: number;
  sleep?: Sleep;
  random?: () => number;
  /**
   * How many contributions per row to ask for (`?explain=`, largest first; default: every one).
   * A backend that ignores the parameter is trimmed to it here, so what is kept stays bounded.
   */
  explain?: number | 'all';
}

export class PredictClient {
  private readonly http: AxiosInstance;

  private readonly path: string;
  private readonly explain: number | undefined;

  constructor(private readonly opts: PredictClientOptions) {
    this.http = axios.create({ baseURL: opts.url, timeout: opts.timeoutMs });
    this.explain = opts.explain === 'all' ? undefined : opts.explain;
    this.path = `/predict?format=columns${this.explain === undefined ? '' : `&explain=${this.explain}`}`;
  }

  /**
   * False once the backend refused the columnar request (an older backend: 400 or 415) and took
   * the same rows as `instances`: every later request sends rows.
   */
  private columnsAccepted = true;

  /** The request body this client sends: `columns` (the default) or `rows` after a fallback. */
  get requestForm(): 'columns' | 'rows' {
    return this.columnsAccepted ? 'columns' : 'rows';
  }

  /**
   * Scores the instances in one request; the answer is in the same order. With a `context`,
   * instance r's baseline statistics and SLO are written from its row r of the context's columns.
   */
  async predict(
    instances: readonly FeatureInput[],
    context?: RequestContext,
  ): Promise<Prediction[]> {
    if (instances.length === 0) return [];
    let body: unknown;
    /** The row form (an older backend) has them as objects on each row. */
    const rows = (): readonly FeatureInput[] =>
      context === undefined ? instances : rowsWithContext(instances, context);
    if (this.columnsAccepted) {
      try {
        body = await this.post(writeColumnarRequest(instances, context));
      } catch (err) {
        if (!(err instanceof PredictError) || (err.status !== 400 && err.status !== 415)) throw err;
        // An older backend knows only rows. A row that is really invalid fails again below,
        // naming `instances[i]`, and the columnar form is tried again next time.
        body = await this.post({ instances: rows() });
        this.columnsAccepted = false;
      }
    } else body = await this.post({ instances: rows() });
    if ((body as { format?: unknown } | undefined)?.format === 'columns') {
      try {
        return predictionsOfColumns(body, instances.length, this.explain);
      } catch (err) {
        if (!(err instanceof ColumnsError)) throw err;
        throw new PredictError(`POST /predict answered ${err.message}`, undefined, { cause: err });
      }
    }
    const predictions = (body as Partial<BatchPredictResponse> | undefined)?.predictions;
    if (!Array.isArray(predictions) || predictions.length !== instances.length) {
      throw new PredictError(
        `POST /predict answered ${Array.isArray(predictions) ? predictions.length : 'no'} predictions for ${instances.length} instances`,
      );
    }
    const explain = this.explain;
    if (explain !== undefined)
      for (const p of predictions)
        if (Array.isArray(p.explanation) && p.explanation.length > explain)
          p.explanation.length = explain;
    return predictions;
  }

  /** One POST with retries on 5xx, 429 and network errors; a failure becomes a PredictError. */
  private async post(payload: unknown): Promise<unknown> {
    // JSON already written as bytes: axios would send a Buffer as application/octet-stream.
    const headers = Buffer.isBuffer(payload) ? { 'Content-Type': 'application/json' } : {};
    try {
      return await withRetry(
        async () => takeBody<unknown>(await this.http.post(this.path, payload, { headers })),
        {
          retries: this.opts.retries,
          retryable: (err) => {
            if (!axios.isAxiosError(err)) return false;
            const s = err.response?.status;
            return s === undefined || s >= 500 || s === 429;
          },
          ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
          ...(this.opts.random ? { random: this.opts.random } : {}),
        },
      );
    } catch (err) {
      if (axios.isAxiosError(err)) {
        const status = err.response?.status;
        const detail = err.response
          ? `HTTP ${status} ${JSON.stringify(err.response.data).slice(0, 300)}`
          : err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT'
            ? `no answer within ${this.opts.timeoutMs} ms (${err.code})` // axios's timeout
            : (err.code ?? err.message);
        throw new PredictError(`POST /predict failed: ${detail}`, status, { cause: err });
      }
      throw new PredictError(`POST /predict failed: ${String(err)}`, undefined, { cause: err });
    }
  }
}
