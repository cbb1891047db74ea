/** An error the status API maps to an HTTP status; `details` goes to the client as-is. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

/** A request field broke a rule: 400 naming both. */
export class InputError extends HttpError {
  constructor(field: string, rule: string, value?: unknown) {
    super(400, 'invalid_input', `${field}: ${rule}`, { field, rule, value });
    this.name = 'InputError';
  }
}

export class NotFoundError extends HttpError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
    this.name = 'NotFoundError';
  }
}

export class UnauthorizedError extends HttpError {
  constructor(reason: string) {
    super(401, 'unauthorized', reason);
    this.name = 'UnauthorizedError';
  }
}

/** 503: the endpoint exists but this replica cannot serve it (no token configured, follower). */
export class UnavailableError extends HttpError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(503, code, message, details);
    this.name = 'UnavailableError';
  }
}

/** 415: a body that is not JSON where the endpoint reads JSON. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(got: string | undefined) {
    super(
      415,
      'unsupported_media_type',
      `content-type must be application/json, got ${got === undefined ? 'none' : JSON.stringify(got)}`,
    );
    this.name = 'UnsupportedMediaTypeError';
  }
}

/**
 * The typed error for one thrown while reading a request body (Express's body parser marks its
 * errors with a 4xx `status` and a `type`; a body that does not decompress carries zlib's `code`
 * instead), naming the body; undefined for anything else.
 */
export function fromBodyError(err: unknown): HttpError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, type, code } = err as Record<string, unknown>;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (type === 'entity.parse.failed')
    return new InputError('body', `must be valid JSON (${(err as Error).message})`);
  if (type === undefined && typeof code === 'string')
    return new InputError('body', 'must decompress as its content-encoding says');
  return undefined;
}
