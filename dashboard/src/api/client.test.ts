import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient, type ApiClient } from './client';
import { status } from '../testing/fixtures';

// A real HTTP server on loopback: the network boundary is faked, the client is not.
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const routes = new Map<string, Handler>();
let server: Server;
let client: ApiClient;
let baseUrl: string;

const json = (res: ServerResponse, code: number, body: unknown): void => {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const h = routes.get(`${req.method} ${req.url}`);
      if (h) h(req, res, body);
      else json(res, 404, { error: `no route ${req.method} ${req.url}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createApiClient({ baseUrl });
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected the call to fail');
}

describe('listDeployments', () => {
  it('200: returns the rows', async () => {
    routes.set('GET /api/deployments', (_q, res) => json(res, 200, [status()]));
    expect(await client.listDeployments()).toEqual([status()]);
  });

  it('500: an http ApiError with the status and the server message', async () => {
    routes.set('GET /api/deployments', (_q, res) => json(res, 500, { error: 'prometheus down' }));
    const e = await failure(client.listDeployments());
    expect(e.kind).toBe('http');
    expect(e.status).toBe(500);
    expect(e.message).toBe('GET /api/deployments: the healer answered 500: prometheus down');
  });

  it('502 with an HTML body (a proxy error page): still a clear http error', async () => {
    routes.set('GET /api/deployments', (_q, res) =>
      res.writeHead(502, 'Bad Gateway').end('<html>bad gateway</html>'),
    );
    const e = await failure(client.listDeployments());
    expect(e).toMatchObject({ kind: 'http', status: 502 });
    expect(e.message).toContain('502: Bad Gateway');
  });

  it('200 with a body that is not JSON: invalid', async () => {
    routes.set('GET /api/deployments', (_q, res) => res.writeHead(200).end('<html>index</html>'));
    const e = await failure(client.listDeployments());
    expect(e).toMatchObject({ kind: 'invalid', status: 200 });
    expect(e.cause).toBeInstanceOf(SyntaxError);
  });

  it('200 with JSON of the wrong shape: invalid', async () => {
    routes.set('GET /api/deployments', (_q, res) => json(res, 200, { items: [] }));
    expect((await failure(client.listDeployments())).kind).toBe('invalid');
  });

  it('nobody listening: a network error with the cause kept', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const e = await failure(
      createApiClient({ baseUrl: `http://127.0.0.1:${port}` }).listDeployments(),
    );
    expect(e.kind).toBe('network');
    expect(e.message).toBe('GET /api/deployments: the healer unreachable');
    expect(e.cause).toBeDefined();
  });
});

describe('getDeployment', () => {
  it('200: escapes the path segments', async () => {
    const detail = {
      ...status({ namespace: 'a b', name: 'c/d' }),
      thresholds: { high: 0.8, low: 0.4 },
      history: [],
      actions: [],
      events: [],
      notifications: [],
    };
    routes.set('GET /api/deployments/a%20b/c%2Fd', (_q, res) => json(res, 200, detail));
    expect(await client.getDeployment('a b', 'c/d')).toEqual(detail);
  });

  it('404: status 404 so the page can say "not watched"', async () => {
    routes.set('GET /api/deployments/prod/gone', (_q, res) =>
      json(res, 404, { error: 'prod/gone is not watched' }),
    );
    expect(await failure(client.getDeployment('prod', 'gone'))).toMatchObject({
      kind: 'http',
      status: 404,
    });
  });
});

describe('predict', () => {
  it('200: sends the features as JSON and returns the prediction', async () => {
    let sent: unknown;
    let contentType: string | undefined;
    const prediction = {
      risk: 0.9,
      level: 'critical',
      threshold: 0.5,
      explanation: [],
      imputed: [],
      model: { version: '1' },
      elapsed_ms: 1,
    };
    routes.set('POST /predict', (req, res, body) => {
      sent = JSON.parse(body);
      contentType = req.headers['content-type'];
      json(res, 200, prediction);
    });
    expect(await client.predict({ restart_count_last_5m: 6 })).toEqual(prediction);
    expect(sent).toEqual({ restart_count_last_5m: 6 });
    expect(contentType).toBe('application/json');
  });

  it('400: the details name the field and the rule', async () => {
    routes.set('POST /predict', (_q, res) =>
      json(res, 400, {
        error: 'invalid body: cpu_usage_pct must be ≥ 0',
        details: [
          { field: 'cpu_usage_pct', rule: 'min', got: -1, message: 'must be ≥ 0' },
          { nonsense: true },
        ],
      }),
    );
    const e = await failure(client.predict({ cpu_usage_pct: -1 }));
    expect(e).toMatchObject({ kind: 'http', status: 400 });
    expect(e.details).toEqual([
      { field: 'cpu_usage_pct', rule: 'min', got: -1, message: 'must be ≥ 0' },
    ]);
    expect(e.message).toContain('the backend answered 400: invalid body');
  });

  it('an aborted call rejects with the abort, not an ApiError', async () => {
    routes.set('POST /predict', () => undefined); // never answers
    const ac = new AbortController();
    const p = client.predict({}, ac.signal);
    ac.abort();
    await expect(p).rejects.not.toBeInstanceOf(ApiError);
  });
});

it('getModel: 200', async () => {
  routes.set('GET /model', (_q, res) => json(res, 200, { version: 'v3', threshold: 0.5 }));
  expect(await client.getModel()).toEqual({ version: 'v3', threshold: 0.5 });
});
