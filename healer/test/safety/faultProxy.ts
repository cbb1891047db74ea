/**
 * A fault-injecting HTTP proxy in front of the simulator's Kubernetes API: the healer's client-node
 * talks to it as to an API server, and a test tells it to answer the next matching requests with
 * a status (409, 503, ...) or to hang (a timeout), without touching the simulator. Fakes at the
 * network boundary only.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRule {
  method: string;
  /** Matched against the request path (no query). */
  path: RegExp;
  /** An HTTP status to answer with, or 'hang' (never answer until the proxy stops). */
  mode: number | 'hang';
  /** How many matching requests fail; Infinity for "until cleared". */
  count: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  /** The status the healer got (0 when hung). */
  status: number;
  injected: boolean;
}

export interface FaultProxy {
  readonly url: string;
  readonly seen: SeenRequest[];
  fail(rule: FaultRule): void;
  clear(): void;
  /** Called for every request before it is answered or forwarded (e.g. to flip leadership). */
  onRequest(fn: ((method: string, path: string) => void) | undefined): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let rules: FaultRule[] = [];
  const seen: SeenRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let tap: ((method: string, path: string) => void) | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    tap?.(method, path);
    const rule = rules.find((r) => r.count > 0 && r.method === method && r.path.test(path));
    if (rule) {
      rule.count -= 1;
      req.resume();
      if (rule.mode === 'hang') {
        seen.push({ method, path, status: 0, injected: true });
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      seen.push({ method, path, status: rule.mode, injected: true });
      const reason = rule.mode === 409 ? 'Conflict' : 'InternalError';
      res.writeHead(rule.mode, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: `injected ${rule.mode} by the test proxy`,
          reason,
          code: rule.mode,
        }),
      );
      return;
    }
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        seen.push({ method, path, status: up.statusCode ?? 0, injected: false });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    req.pipe(out);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    fail(rule) {
      rules.push({ ...rule });
    },
    clear() {
      rules = [];
    },
    onRequest(fn) {
      tap = fn;
    },
    async stop() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
