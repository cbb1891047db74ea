/**
 * The backend's `/predict`: one batched POST per cycle for every conclusive deployment, asking for
 * the compact columnar answer (`?format=columns`: a fraction of the bytes, cheaper to write and to
 * parse at 10,000 deployments). A backend that predates it answers prediction objects, which are
 * taken as they are.
 */
import type { BatchPredictResponse, FeatureInput, Prediction } from '@aiops/model';
import { ColumnsError, predictionsOfColumns } from '@aiops/model/scoring/columns';
import axios, { type AxiosInstance } from 'axios';
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
}

export class PredictClient {
  private readonly http: AxiosInstance;

  constructor(private readonly opts: PredictClientOptions) {
    this.http = axios.create({ baseURL: opts.url, timeout: opts.timeoutMs });
  }

  /** Scores the instances in one request; the answer is in the same order. */
  async predict(instances: readonly FeatureInput[]): Promise<Prediction[]> {
    if (instances.length === 0) return [];
    let body: unknown;
    try {
      body = await withRetry(
        async () =>
          (await this.http.post('/predict?format=columns', { instances })).data as unknown,
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
          : (err.code ?? err.message);
        throw new PredictError(`POST /predict failed: ${detail}`, status, { cause: err });
      }
      throw new PredictError(`POST /predict failed: ${String(err)}`, undefined, { cause: err });
    }
    if ((body as { format?: unknown } | undefined)?.format === 'columns') {
      try {
        return predictionsOfColumns(body, instances.length);
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
    return predictions;
  }
}
