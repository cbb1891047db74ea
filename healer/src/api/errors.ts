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
