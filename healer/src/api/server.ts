import { createHash, timingSafeEqual } from 'node:crypto';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
} from 'express';
import type { Registry } from 'prom-client';
import {
  fromBodyError,
  HttpError,
  InputError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';
import { FORWARDED_HEADER, forwardToLeader } from './forward.js';
import type { SequencedMessage, StatusStore } from './store.js';
import type { RiskPoint, StreamResync } from './types.js';

/** Time span of a history request. */
export interface HistoryRange {
  start: Date;
  end: Date;
  stepSeconds: number;
}

export interface Readiness {
  ready: boolean;
  role: 'leader' | 'follower';
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface StatusAppDeps {
  store: StatusStore;
  registry: Registry;
  /** Bearer token for mutating endpoints; without one they answer 503. */
  token?: string;
  /**
   * Bearer token for `GET /api/*` (the mutating token is accepted too); without one reads are
   * open. `/metrics`, `/healthz` and `/readyz` stay open either way.
   */
  readToken?: string;
  /** Concurrent `GET /api/events` streams; more get 503 `too_many_streams`. Default 100. */
  maxStreams?: number;
  runCheck(): Promise<unknown>;
  resetDeployment(namespace: string, name: string): Promise<void>;
  readiness(): Readiness;
  shadow(): unknown[];
  /** Risk history that survives restarts (Prometheus); the store's ring is the fallback. */
  history?(namespace: string, name: string, range: HistoryRange): Promise<RiskPoint[]>;
  /** SSE heartbeat comment interval. Default 15 s. */
  heartbeatMs?: number;
  /** Injected clock for history ranges. */
  now?: () => Date;
  /** Called when the history source fails and the in-memory ring is served instead. */
  onHistoryFallback?(err: unknown): void;
  /** Called with every unexpected (500) error, for the log. */
  onError?(err: unknown): void;
  /**
   * On a standby: the leader's status API (the URL it wrote on the Lease) and this replica's
   * name. A leader-only request is then streamed to the leader (`forward.ts`) instead of
   * refused; without one it answers 503 `not_leader`.
   */
  forward?: { leader(): string | undefined; by: string; timeoutMs?: number };
  /** Adds routes (approvals, silences, Slack interactions) with the app's guards. */
  extend?(
    app: Express,
    guards: { requireToken: RequestHandler; requireLeader: RequestHandler },
  ): void;
}

/** Kubernetes object names: DNS-1123 labels/subdomains (namespaces are labels, names subdomains). */
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const RANGE_RE = /^(\d+)(m|h|d)$/;
const UNIT_SECONDS = { m: 60, h: 3600, d: 86400 } as const;
const MAX_RANGE_SECONDS = 7 * 86400;
/** Points per history answer: enough for a chart, bounded for memory. */
const HISTORY_POINTS = 240;
/** An SSE client this far behind is dropped (it reconnects with Last-Event-ID). */
const MAX_SSE_BUFFER_BYTES = 1 << 20;

/**
 * The healer's HTTP surface: read-only status for the dashboard (open), mutating endpoints behind
 * a bearer token (and only on the leader), health, readiness and metrics. Handlers validate and
 * throw; one middleware turns errors into `{ error, details }`.
 */
export function createStatusApp(deps: StatusAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  const now = deps.now ?? (() => new Date());
  const requireToken = bearerAuth(deps.token ? [deps.token] : []);
  const requireRead: RequestHandler = deps.readToken
    ? bearerAuth([deps.readToken, ...(deps.token ? [deps.token] : [])])
    : (_req, _res, next) => next();
  const maxStreams = deps.maxStreams ?? 100;
  let streams = 0;
  const requireLeader: RequestHandler = async (req, res, next) => {
    const r = deps.readiness();
    if (r.role === 'leader') return next();
    const leader = deps.forward?.leader();
    const forwarded = req.headers[FORWARDED_HEADER];
    if (deps.forward && leader && forwarded === undefined) {
      try {
        return await forwardToLeader(req, res, {
          endpoint: leader,
          by: deps.forward.by,
          timeoutMs: deps.forward.timeoutMs ?? 10_000,
        });
      } catch (err) {
        if (res.headersSent) return void res.destroy();
        throw new UnavailableError('not_leader', `${(err as Error).message}; try again`, {
          role: r.role,
          leader,
        });
      }
    }
    throw new UnavailableError(
      'not_leader',
      forwarded !== undefined
        ? `this replica is a follower too (forwarded by ${String(forwarded)}): try again once the Lease settles`
        : 'this replica is a follower: it serves read-only status',
      { role: r.role },
    );
  };

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/readyz', (_req, res) => {
    const r = deps.readiness();
    res.status(r.ready ? 200 : 503).json(r);
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', deps.registry.contentType);
    res.send(await deps.registry.metrics());
  });

  app.use('/api', (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') requireRead(req, res, next);
    else next();
  });

  app.get('/api/deployments', (_req, res) => {
    res.json(deps.store.list());
  });

  app.get('/api/deployments/:ns/:name', async (req, res) => {
    const { ns, name } = target(req);
    const detail = deps.store.detail(ns, name);
    if (!detail) throw new NotFoundError(`deployment ${ns}/${name}`);
    const range = parseRange(req.query.range, now());
    let history = deps.store.riskPoints(ns, name, range.start, range.end);
    if (deps.history) {
      try {
        history = await deps.history(ns, name, range);
      } catch (err) {
        deps.onHistoryFallback?.(err);
      }
    }
    res.json({ ...detail, history });
  });

  app.get('/api/shadow', (_req, res) => {
    res.json(deps.shadow());
  });

  app.get('/api/events', (req, res) => {
    if (streams >= maxStreams) {
      res.set('Retry-After', '10');
      throw new UnavailableError(
        'too_many_streams',
        `${streams} event streams open ≥ maxStreams ${maxStreams}; retry later`,
        { open: streams, maxStreams },
      );
    }
    streams++;
    let counted = true;
    const release = (): void => {
      if (counted) streams--;
      counted = false;
    };
    req.on('close', release);
    res.on('close', release);
    streamEvents(req, res, deps.store, deps.heartbeatMs ?? 15_000);
  });

  app.post('/api/check', requireToken, requireLeader, async (_req, res) => {
    res.json(await deps.runCheck());
  });

  app.post('/api/deployments/:ns/:name/reset', requireToken, requireLeader, async (req, res) => {
    const { ns, name } = target(req);
    if (!deps.store.detail(ns, name)) throw new NotFoundError(`deployment ${ns}/${name}`);
    await deps.resetDeployment(ns, name);
    res.json({ reset: `${ns}/${name}` });
  });

  deps.extend?.(app, { requireToken, requireLeader });

  app.use(() => {
    throw new NotFoundError('route');
  });
  app.use(errorHandler(deps.onError));
  return app;
}

function target(req: Request): { ns: string; name: string } {
  const ns = String(req.params.ns);
  const name = String(req.params.name);
  if (!NAMESPACE_RE.test(ns)) {
    throw new InputError(
      'namespace',
      'must be a DNS-1123 label (lowercase alphanumerics and -, ≤ 63)',
      ns,
    );
  }
  if (!NAME_RE.test(name)) {
    throw new InputError(
      'name',
      'must be a DNS-1123 subdomain (lowercase alphanumerics, - and ., ≤ 253)',
      name,
    );
  }
  return { ns, name };
}

/** `?range=90m|6h|2d` (default 1h, at most 7d) ending now. */
export function parseRange(raw: unknown, now: Date): HistoryRange {
  const text = raw === undefined ? '1h' : raw;
  const m = typeof text === 'string' ? RANGE_RE.exec(text) : null;
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] : NaN;
  if (!m || !(seconds > 0) || seconds > MAX_RANGE_SECONDS) {
    throw new InputError('range', 'must be <n>m, <n>h or <n>d, greater than 0 and at most 7d', raw);
  }
  return {
    start: new Date(now.getTime() - seconds * 1000),
    end: now,
    stepSeconds: Math.max(15, Math.ceil(seconds / HISTORY_POINTS)),
  };
}

/**
 * Bearer-token check in constant time: both sides are hashed to equal-length SHA-256 digests
 * before `timingSafeEqual`, so neither the content nor the length of the token leaks. Any of
 * `tokens` is accepted; with none, the endpoint is disabled (503).
 */
function bearerAuth(tokens: readonly string[]): RequestHandler {
  const expected = tokens.map(digest);
  return (req, res, next) => {
    if (expected.length === 0) {
      throw new UnavailableError(
        'mutations_disabled',
        'no API token is configured: mutating endpoints are disabled',
      );
    }
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    res.set('WWW-Authenticate', 'Bearer realm="aiops-healer"');
    if (!m) throw new UnauthorizedError('missing bearer token (Authorization: Bearer <token>)');
    const got = digest(m[1]!);
    // Compare against every token (no early exit), so timing does not tell which one matched.
    let ok = false;
    for (const e of expected) ok = timingSafeEqual(got, e) || ok;
    if (!ok) throw new UnauthorizedError('invalid bearer token');
    res.removeHeader('WWW-Authenticate');
    next();
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function streamEvents(
  req: Request,
  res: express.Response,
  store: StatusStore,
  heartbeatMs: number,
): void {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 3000\n: connected\n\n');

  let closed = false;
  const send = (m: SequencedMessage): void => {
    if (closed) return;
    if (res.writableLength > MAX_SSE_BUFFER_BYTES) {
      // Too slow: drop it rather than buffer without bound; EventSource reconnects.
      close();
      res.end();
      return;
    }
    res.write(`id: ${m.id}\nevent: ${m.message.type}\ndata: ${JSON.stringify(m.message)}\n\n`);
  };

  // Last-Event-ID (header from EventSource, or query for clients that cannot set headers).
  const rawLast =
    req.get('last-event-id') ??
    (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : undefined);
  if (rawLast !== undefined && rawLast !== '') {
    const lastId = /^\d+$/.test(rawLast.trim()) ? Number(rawLast.trim()) : NaN;
    const missed = Number.isSafeInteger(lastId) ? store.since(lastId) : undefined;
    if (missed) {
      for (const m of missed) send(m);
    } else {
      const resync: StreamResync = { type: 'resync', lastId: store.lastId() };
      res.write(`id: ${resync.lastId}\nevent: resync\ndata: ${JSON.stringify(resync)}\n\n`);
    }
  }

  const unsubscribe = store.subscribe(send);
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': heartbeat\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
  }
  req.on('close', close);
  res.on('close', close);
}

const errorHandler =
  (onError?: (err: unknown) => void): ErrorRequestHandler =>
  (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const typed = err instanceof HttpError ? err : fromBodyError(err);
    if (typed) {
      res
        .status(typed.status)
        .json({ error: typed.message, details: { code: typed.code, ...typed.details } });
      return;
    }
    // Errors from express itself (e.g. body parsing) carry a 4xx status.
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: (err as Error).message, details: { code: 'bad_request' } });
      return;
    }
    // The message may carry internals (URLs, hosts): it goes to the log, not to the client.
    onError?.(err);
    res.status(500).json({ error: 'internal error', details: { code: 'internal' } });
  };
