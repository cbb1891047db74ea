import { qualifiedName, type ResourceDef } from './resources.js';

/** A failure the API reports as a `Status` object, worded as the real apiserver words it. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  /** The `Status` body the apiserver returns for this error. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      details: this.details,
      code: this.code,
    };
  }
}

const details = (def: ResourceDef, name: string): Record<string, unknown> => ({
  name,
  ...(def.group ? { group: def.group } : {}),
  kind: def.resource,
});

export function notFound(def: ResourceDef, name: string): ApiError {
  return new ApiError(
    404,
    'NotFound',
    `${qualifiedName(def)} "${name}" not found`,
    details(def, name),
  );
}

export function alreadyExists(def: ResourceDef, name: string): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${qualifiedName(def)} "${name}" already exists`,
    details(def, name),
  );
}

export function conflict(def: ResourceDef, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(def, name),
  );
}

export interface FieldCause {
  field: string;
  /** e.g. `Invalid value: -1: must be greater than or equal to 0`, `Required value`. */
  message: string;
  reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported';
}

/** 422 Invalid: `Deployment.apps "x" is invalid: spec.replicas: Invalid value: ...`. */
export function invalid(def: ResourceDef, name: string, causes: FieldCause[]): ApiError {
  const kindName = def.group ? `${def.kind}.${def.group}` : def.kind;
  const text = causes.map((c) => `${c.field}: ${c.message}`);
  const joined = text.length === 1 ? text[0] : `[${text.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kindName} "${name}" is invalid: ${joined}`, {
    ...details(def, name),
    kind: def.kind,
    causes: causes.map((c) => ({
      reason: c.reason ?? 'FieldValueInvalid',
      message: c.message,
      field: c.field,
    })),
  });
}

export function badRequest(message: string, cause?: unknown): ApiError {
  return new ApiError(400, 'BadRequest', message, {}, { cause });
}

export function routeNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

export function methodNotAllowed(): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}
