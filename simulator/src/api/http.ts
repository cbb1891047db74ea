import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from '../cluster/errors.js';

const MAX_BODY = 4 * 1024 * 1024;

/** Reads a request body as text, up to 4 MiB. */
export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY)
      throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is larger than 4 MiB');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON (or YAML) body; a malformed one is a 400 naming the parse error. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (/protobuf/.test(type))
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (this simulator does not speak ${type.split(';')[0]})`,
    );
  const text = await readText(req);
  if (/yaml/.test(type)) {
    try {
      return parseYaml(text) as unknown;
    } catch (err) {
      throw badRequest(`the request body is not valid YAML: ${(err as Error).message}`, err);
    }
  }
  if (text.trim() === '') throw badRequest('the request body is empty; a JSON object is required');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`, err);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

/** Any thrown error as a `Status` response; unknown errors become 500 InternalError. */
export function sendError(res: ServerResponse, err: unknown): void {
  const e =
    err instanceof ApiError
      ? err
      : new ApiError(
          500,
          'InternalError',
          `Internal error occurred: ${(err as Error)?.message ?? String(err)}`,
          {},
          { cause: err },
        );
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, e.code, e.toStatus());
}
