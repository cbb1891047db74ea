/** Compiles schemas out of the served OpenAPI document with ajv (JSON Schema 2020-12). */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

export function openApiValidator(doc: object): {
  response(path: string, method: string, status: number, contentType?: string): ValidateFunction;
  requestBody(path: string, method: string): ValidateFunction;
} {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc, 'openapi');
  const pointer = (...parts: string[]): string =>
    parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
  const compile = (ptr: string): ValidateFunction => {
    const fn = ajv.getSchema(`openapi#/${ptr}`);
    if (!fn) throw new Error(`no schema at ${ptr}`);
    return fn;
  };
  const paths = (
    doc as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
  ).paths;
  return {
    response(path, method, status, contentType = 'application/json') {
      const op = paths[path]?.[method.toLowerCase()];
      if (!op) throw new Error(`${method} ${path} is not documented`);
      const code = String(status) in op.responses ? String(status) : 'default';
      if (!(code in op.responses)) throw new Error(`${method} ${path} ${status} is not documented`);
      return compile(
        pointer(
          'paths',
          path,
          method.toLowerCase(),
          'responses',
          code,
          'content',
          contentType,
          'schema',
        ),
      );
    },
    requestBody(path, method) {
      return compile(
        pointer(
          'paths',
          path,
          method.toLowerCase(),
          'requestBody',
          'content',
          'application/json',
          'schema',
        ),
      );
    },
  };
}
