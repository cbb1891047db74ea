/**
 * Typed HTTP errors. Handlers and middleware throw these; one error middleware (app.ts) maps
 * them to a status and the `{error, details}` body. Callers branch on the class or `status`,
 * never on message text.
 */

/** One broken rule in a request body: which field, which rule, what was sent. */
export interface ErrorDetail {
  /** Path of the field, e.g. `cpu_usage_pct` or `instances[3].cpu_usage_pct`; `body` for the whole body. */
  field: string;
  /** Machine-readable rule name: required, type, finite, min, max, integer, unknown, min_items, max_items. */
  rule: string;
  /** The value received (strings truncated, non-finite numbers as strings, objects as their type name). */
  got: unknown;
  /** The rule in words, with its bound. */
  message: string;
}

/** Base class: an error with an HTTP status and a client-safe message. */
export class HttpError extends Error {
  readonly status: number;
  readonly details: readonly ErrorDetail[] | undefined;
  constructor(
    status: number,
    message: string,
    opts: { details?: readonly ErrorDetail[]; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.status = status;
    this.details = opts.details;
  }
}

/** 400: the body broke the feature schema; `details` names every field and rule. */
export class InputError extends HttpError {
  constructor(message: string, details: readonly ErrorDetail[], cause?: unknown) {
    super(400, message, { details, cause });
  }
}

/** 400: the body is not parseable JSON. */
export class MalformedJsonError extends HttpError {
  constructor(cause: unknown) {
    super(400, 'request body is not valid JSON', { cause });
  }
}

/** 413: the body is over BODY_LIMIT. */
export class PayloadTooLargeError extends HttpError {
  constructor(limit: number | string, cause?: unknown) {
    super(413, `request body is larger than the limit of ${limit} bytes`, { cause });
  }
}

/** 415: the body is not `application/json` (or not UTF-8). */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(got: string | undefined, cause?: unknown) {
    super(
      415,
      `content-type must be application/json (UTF-8), got ${got === undefined ? 'none' : JSON.stringify(got)}`,
      { cause },
    );
  }
}

/** 415: the body's `Content-Encoding` is not one the server decompresses. */
export class UnsupportedContentEncodingError extends HttpError {
  constructor(got: string, cause?: unknown) {
    super(
      415,
      `content-encoding must be identity, gzip, deflate or br, got ${JSON.stringify(got)}`,
      { cause },
    );
  }
}

/** 400: the body does not decompress as its `Content-Encoding` says. */
export class UndecodableBodyError extends HttpError {
  constructor(encoding: string, cause?: unknown) {
    super(400, `request body is not valid ${encoding} data (content-encoding: ${encoding})`, {
      cause,
    });
  }
}

/** 404: no such route. */
export class NotFoundError extends HttpError {
  constructor(method: string, path: string) {
    super(404, `no route for ${method} ${path}`);
  }
}

/** 405: the route exists but not for this method; the middleware sets the Allow header. */
export class MethodNotAllowedError extends HttpError {
  readonly allow: readonly string[];
  constructor(method: string, path: string, allow: readonly string[]) {
    super(405, `${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`);
    this.allow = allow;
  }
}

/** 503: the model is not loaded and warmed up yet, or the server is shutting down. */
export class NotReadyError extends HttpError {
  constructor(state: string) {
    super(503, `the model is not ready (${state})`);
  }
}

/**
 * The typed error for an error thrown by Express's JSON body parser (body-parser marks its
 * errors with a `type` string and a 4xx `status`), or undefined for anything else.
 */
export function fromBodyParserError(
  err: unknown,
  contentType?: string,
  contentEncoding?: string,
): HttpError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { type, status, limit, code, encoding } = err as Record<string, unknown>;
  // A body that does not decompress: body-parser passes zlib's own error (Z_DATA_ERROR, a
  // Brotli code, …) on with a 400 status but no `type`.
  if (status === 400 && type === undefined && typeof code === 'string' && contentEncoding)
    return new UndecodableBodyError(contentEncoding, err);
  if (typeof type !== 'string' || typeof status !== 'number') return undefined;
  switch (type) {
    case 'entity.parse.failed':
      return new MalformedJsonError(err);
    case 'entity.too.large':
      return new PayloadTooLargeError(typeof limit === 'number' ? limit : 'BODY_LIMIT', err);
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(contentType, err);
    case 'encoding.unsupported':
      return new UnsupportedContentEncodingError(
        typeof encoding === 'string' ? encoding : String(contentEncoding),
        err,
      );
    default:
      // request.aborted, request.size.invalid and the like: the client's fault, a 400.
      return status >= 400 && status < 500
        ? new HttpError(status, `could not read the request body (${type})`, { cause: err })
        : undefined;
  }
}
