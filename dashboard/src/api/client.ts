import type { FeatureInput, PredictResponse } from '@aiops/model/schema';
import type { DeploymentDetail, DeploymentStatus } from '@aiops/healer/api';

/** One broken rule in a request, as the backend's 400 body lists it. */
export interface ErrorDetail {
  field: string;
  rule: string;
  got?: unknown;
  message?: string;
}

/**
 * Why a call failed. Callers branch on `kind` and `status`, never on the message:
 * `network` (no answer), `http` (an error status), `invalid` (a 2xx whose body is not what we expect).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly kind: 'network' | 'http' | 'invalid';
  readonly status: number | undefined;
  readonly details: readonly ErrorDetail[];
  readonly url: string;
  constructor(
    message: string,
    opts: {
      kind: ApiError['kind'];
      url: string;
      status?: number;
      details?: readonly ErrorDetail[];
      cause?: unknown;
    },
  ) {
    super(message, { cause: opts.cause });
    this.kind = opts.kind;
    this.url = opts.url;
    this.status = opts.status;
    this.details = opts.details ?? [];
  }
}

/** `GET /model` on the backend (the fields the dashboard shows). */
export interface ModelInfo {
  version: string;
  threshold: number;
}

export interface ApiClient {
  listDeployments(signal?: AbortSignal): Promise<DeploymentStatus[]>;
  getDeployment(namespace: string, name: string, signal?: AbortSignal): Promise<DeploymentDetail>;
  predict(features: Partial<FeatureInput>, signal?: AbortSignal): Promise<PredictResponse>;
  getModel(signal?: AbortSignal): Promise<ModelInfo>;
}

export interface ApiClientOptions {
  /** Prefix for every path; '' in the browser (same origin, proxied). */
  baseUrl?: string;
  fetch?: typeof fetch;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseDetails(v: unknown): ErrorDetail[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter(isObject)
    .filter((d) => typeof d.field === 'string' && typeof d.rule === 'string')
    .map((d) => ({
      field: d.field as string,
      rule: d.rule as string,
      got: d.got,
      ...(typeof d.message === 'string' ? { message: d.message } : {}),
    }));
}

/** The status API and the backend over `fetch`. Errors are always ApiError, with the cause kept. */
/**
 * One JSON call: `check` validates a 2xx body; every failure is an {@link ApiError}. `token` adds
 * a bearer token (the healer's mutating endpoints).
 */
export function jsonCaller(doFetch: typeof fetch, base: string) {
  return async function call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    check: (body: unknown) => body is T,
    what: string,
    body?: unknown,
    signal?: AbortSignal,
    token?: string,
  ): Promise<T> {
    const url = base + path;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw err; // the caller cancelled: not an API failure
      throw new ApiError(`${method} ${path}: ${what} unreachable`, {
        kind: 'network',
        url,
        cause: err,
      });
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (err) {
      if (res.ok)
        throw new ApiError(
          `${method} ${path}: ${what} answered ${res.status} with a body that is not JSON`,
          {
            kind: 'invalid',
            url,
            status: res.status,
            cause: err,
          },
        );
    }
    if (!res.ok) {
      const reason =
        isObject(json) && typeof json.error === 'string' ? json.error : res.statusText || 'error';
      throw new ApiError(`${method} ${path}: ${what} answered ${res.status}: ${reason}`, {
        kind: 'http',
        url,
        status: res.status,
        details: isObject(json) ? parseDetails(json.details) : [],
      });
    }
    if (!check(json))
      throw new ApiError(
        `${method} ${path}: ${what} answered ${res.status} with an unexpected body`,
        {
          kind: 'invalid',
          url,
          status: res.status,
        },
      );
    return json;
  };
}

export function createApiClient(opts: ApiClientOptions = {}): ApiClient {
  const base = opts.baseUrl ?? '';
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  const call = jsonCaller(doFetch, base);

  const isStatusList = (v: unknown): v is DeploymentStatus[] =>
    Array.isArray(v) &&
    v.every((d) => isObject(d) && typeof d.namespace === 'string' && typeof d.name === 'string');
  const isDetail = (v: unknown): v is DeploymentDetail =>
    isObject(v) && typeof v.name === 'string' && Array.isArray(v.history) && isObject(v.thresholds);
  const isPrediction = (v: unknown): v is PredictResponse =>
    isObject(v) &&
    typeof v.risk === 'number' &&
    typeof v.level === 'string' &&
    Array.isArray(v.explanation);
  const isModel = (v: unknown): v is ModelInfo => isObject(v) && typeof v.version === 'string';

  return {
    listDeployments: (signal) =>
      call('GET', '/api/deployments', isStatusList, 'the healer', undefined, signal),
    getDeployment: (ns, name, signal) =>
      call(
        'GET',
        `/api/deployments/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`,
        isDetail,
        'the healer',
        undefined,
        signal,
      ),
    predict: (features, signal) =>
      call('POST', '/predict', isPrediction, 'the backend', features, signal),
    getModel: (signal) => call('GET', '/model', isModel, 'the backend', undefined, signal),
  };
}
