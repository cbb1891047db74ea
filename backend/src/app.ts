/**
 * The Express app: pure wiring of middleware and routes (no listen, no env). main.ts creates
 * it with the loaded model; tests drive it with supertest.
 */
import { randomUUID } from 'node:crypto';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import helmet from 'helmet';
import cors from 'cors';
import type { Logger } from 'pino';
import {
  FEATURES,
  LEVEL_CUTS,
  JsonBytes,
  RISK_LEVELS,
  columnSourceOf,
  joinColumnSegments,
  withBaselines,
  writeColumns,
  type FeatureInput,
  type FeatureSpec,
  type Prediction,
} from '@aiops/model';
import {
  HttpError,
  InputError,
  MethodNotAllowedError,
  NotFoundError,
  NotReadyError,
  UnsupportedMediaTypeError,
  fromBodyParserError,
} from './errors.js';
import { levelsOf, type ServiceMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import type { BatchPool, ModelSlot, PooledScoring, ScoredLevels } from './types.js';
import { INCONCLUSIVE, LEVEL_BITS, type SliceAnswer } from '@aiops/model/scoring/slice';
import { compilePredictBody } from './validate.js';
import { AnswerBuffer } from './answerBuffer.js';

export interface AppOptions {
  /** Largest accepted `instances` array (BATCH_LIMIT). */
  batchLimit: number;
  /** Largest accepted body, in bytes or a size string like `8mb` (BODY_LIMIT). */
  bodyLimit: number | string;
  /** Origins allowed to call the API from a browser: a list, `*`, or none (CORS_ORIGIN). */
  corsOrigins: readonly string[] | '*';
}

export interface AppDeps extends AppOptions {
  model: ModelSlot;
  metrics: ServiceMetrics;
  logger: Logger;
  /** The feature schema; defaults to the model's FEATURES. */
  features?: readonly FeatureSpec[];
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

interface RequestTiming {
  /** performance.now() when the request reached the app. */
  start: number;
  requestId: string;
}

export function createApp(deps: AppDeps): Express {
  const { model, metrics, logger } = deps;
  const features = deps.features ?? FEATURES;
  const parsePredictBody = compilePredictBody(features, { batchLimit: deps.batchLimit });
  // The columnar answers written on this thread: each into the last one's buffer once sent.
  const answerBuffer = new AnswerBuffer();
  const openapi = buildOpenApi(features, deps.batchLimit);

  const app = express();
  app.disable('x-powered-by');
  // No ETag: hashing every (possibly multi-megabyte) prediction body buys nothing for a POST API.
  app.set('etag', false);

  app.use(requestContext(metrics, logger, model, helmetHeaders()));
  if (deps.corsOrigins === '*' || deps.corsOrigins.length > 0) {
    const corsMiddleware = cors({
      origin: deps.corsOrigins === '*' ? '*' : [...deps.corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'x-request-id'],
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    });
    // Browsers send Origin on every cross-origin request; without it there is nothing to allow.
    app.use((req, res, next) => {
      if (req.headers.origin === undefined) next();
      else corsMiddleware(req, res, next);
    });
  }

  const jsonBody = express.json({ limit: deps.bodyLimit, strict: false, type: 'application/json' });
  /** A JSON body or none (415 for another type), then express.json: one route step for both. */
  const readJsonBody: RequestHandler = (req, res, next) => {
    const type = req.headers['content-type'];
    if (type !== 'application/json' && type !== 'application/json; charset=utf-8') {
      // null or an empty body: no body at all (the validator answers 400); false: another type.
      if (req.is('application/json') === false && req.headers['content-length'] !== '0') {
        throw new UnsupportedMediaTypeError(req.get('content-type'));
      }
    }
    jsonBody(req, res, next);
  };

  app.post('/predict', readJsonBody, (req, res) => {
    const scorer = model.scorer;
    if (scorer === undefined) throw new NotReadyError(model.state);
    const parsed = performance.now();
    const body = parsePredictBody(req.body);
    const query = req.url.includes('?');
    if (query) refuseUnknownParams(req.query);
    const explain = query ? parseExplain(req.query.explain) : undefined;
    const columns = query && parseFormat(req.query.format) === 'columns';
    const t0 = performance.now();
    const baseline = body.kind === 'batch' ? body.baseline : undefined;
    // Rows as objects, baselines included (a columnar body's baselines stay columns on the fast path).
    const wholeRows = (): FeatureInput[] =>
      body.kind === 'single' ? [body.row] : withBaselines(body.rows, baseline);
    // Row objects: a columnar body's are built only here, for the paths that take objects.
    const rowsOf = (): readonly FeatureInput[] => (body.kind === 'single' ? [body.row] : body.rows);
    const count = body.kind === 'single' ? 1 : (body.columns?.length ?? body.rows.length);
    const shadow = model.shadow;
    const pool = model.pool;
    if (
      pool !== undefined &&
      shadow === undefined &&
      body.kind === 'batch' &&
      count >= pool.minRows
    ) {
      // A large batch on every scoring thread; each writes its rows' part of the answer.
      const format = columns ? 'columns' : 'objects';
      return answerPooled(res, pool, body.rows, { cols: baseline, explain, format }, metrics, [
        parsed,
        t0,
      ]);
    }
    if (scorer.score !== undefined && (shadow === undefined || columns)) {
      // The fast path: rows scored into flat arrays and written as JSON text, no object per row;
      // a columnar body's rows read in place from its columns. The columnar answer is written
      // before this returns, so its batch is scored into the scorer's reused arrays.
      const scored = scorer.score(
        body.kind === 'batch' && body.columns !== undefined ? body.columns : rowsOf(),
        baseline === undefined
          ? { explain, reuse: columns }
          : { explain, baseline, reuse: columns },
      );
      const t1 = performance.now();
      metrics.observeInference((t1 - t0) / 1000, scored);
      // The columnar form carries no shadow verdicts: the candidate is still scored for its metric.
      if (shadow !== undefined)
        metrics.observeShadow(scored.predictions(), shadow.predict(wholeRows(), { explain: 0 }));
      const elapsed_ms = roundMs(t1 - timing(res).start);
      if (columns) {
        const answer = writeColumns(scored, `,"elapsed_ms":${elapsed_ms}`, answerBuffer.take());
        if (body.kind === 'batch') setServerTiming(res, parsed, t0, t1, performance.now());
        sendJson(res, answer);
        return answerBuffer.keepWhenSent(res, answer);
      }
      if (body.kind === 'batch') setServerTiming(res, parsed, t0, t1);
      if (body.kind === 'single') sendJson(res, scored.json(0, `,"elapsed_ms":${elapsed_ms}`));
      else if (scored.length <= STREAM_CHUNK_ROWS) {
        let text = '{"predictions":[';
        for (let r = 0; r < scored.length; r++) text += (r === 0 ? '' : ',') + scored.json(r);
        sendJson(res, `${text}],"elapsed_ms":${elapsed_ms}}`);
      } else
        return streamPredictions(
          res,
          scored.length,
          (out, r) => scored.writeJson(out, r),
          elapsed_ms,
        );
      return;
    }
    const whole = baseline === undefined ? rowsOf() : wholeRows();
    const predictions = scorer.predict(whole, { explain });
    const t1 = performance.now();
    if (body.kind === 'batch') setServerTiming(res, parsed, t0, t1);
    metrics.observeInference((t1 - t0) / 1000, levelsOf(predictions));
    if (shadow !== undefined)
      attachShadow(predictions, shadow.predict(whole, { explain: 0 }), metrics);
    if (explain !== undefined) {
      // Explanations come sorted by |contribution|, so the first `explain` are the top ones.
      for (const p of predictions)
        if (p.explanation.length > explain) p.explanation.length = explain;
    }
    const elapsed_ms = roundMs(t1 - timing(res).start);
    if (columns) {
      const source = columnSourceOf(predictions, scorer.version, scorer.threshold);
      sendJson(res, writeColumns(source, `,"elapsed_ms":${elapsed_ms}`));
    } else if (body.kind === 'single') res.json({ ...predictions[0], elapsed_ms });
    else if (predictions.length <= STREAM_CHUNK_ROWS) res.json({ predictions, elapsed_ms });
    // Only large batches go async (Express 5 handles the returned promise).
    else
      return streamPredictions(
        res,
        predictions.length,
        (out, r) => out.raw(JSON.stringify(predictions[r])),
        elapsed_ms,
      );
  });

  app.get('/model', (_req, res) => {
    const scorer = model.scorer;
    if (scorer === undefined) throw new NotReadyError(model.state);
    const shadow = model.shadow;
    res.json({
      version: scorer.version,
      shadow: shadow ? { version: shadow.version, threshold: shadow.threshold } : null,
      threshold: scorer.threshold,
      engine: scorer.backendName,
      levels: { names: RISK_LEVELS, cuts: LEVEL_CUTS },
      features,
      batch_limit: deps.batchLimit,
      evaluation: {
        validation: validationMetricsOf(scorer.metadata),
        heldout: model.heldout,
      },
      metadata: scorer.metadata,
    });
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const scorer = model.scorer;
    if (model.state === 'ready' && scorer !== undefined) {
      res.json({ status: 'ready', model: { version: scorer.version } });
    } else {
      res.status(503).json({ status: model.state, error: `not ready: ${model.state}` });
    }
  });

  app.get('/metrics', async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.type(metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  for (const [path, allow] of [
    ['/predict', ['POST']],
    ['/model', ['GET', 'HEAD']],
    ['/healthz', ['GET', 'HEAD']],
    ['/readyz', ['GET', 'HEAD']],
    ['/metrics', ['GET', 'HEAD']],
    ['/openapi.json', ['GET', 'HEAD']],
  ] as const) {
    app.all(path, (req) => {
      throw new MethodNotAllowedError(req.method, path, allow);
    });
  }

  app.use((req) => {
    throw new NotFoundError(req.method, req.path);
  });
  app.use(errorHandler(logger));
  return app;
}

/**
 * Per-request bookkeeping: start time, request id (a sane incoming `x-request-id` is kept,
 * otherwise a UUID), and on finish the request metrics and a debug-level access log line.
 */
function requestContext(
  metrics: ServiceMetrics,
  logger: Logger,
  model: ModelSlot,
  securityHeaders: readonly (readonly [string, string])[],
): RequestHandler {
  // One listener for every response (no closure per request): the request's state is in locals.
  function onFinish(this: Response): void {
    const { start, requestId } = timing(this);
    const req = this.req;
    const seconds = (performance.now() - start) / 1000;
    const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
    metrics.observeRequest(route, req.method, this.statusCode, seconds);
    if (logger.isLevelEnabled('debug')) {
      logger.debug(
        {
          reqId: requestId,
          method: req.method,
          url: req.originalUrl,
          status: this.statusCode,
          ms: roundMs(seconds * 1000),
        },
        'request',
      );
    }
  }
  return (req, res, next) => {
    const start = performance.now();
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const t: RequestTiming = { start, requestId };
    res.locals.timing = t;
    res.setHeader('x-request-id', requestId);
    // While draining, ask keep-alive clients to reconnect elsewhere so the server can close.
    if (model.state === 'draining') res.setHeader('connection', 'close');
    res.on('finish', onFinish);
    next();
  };
}

/**
 * Shadow mode: each prediction carries the candidate's verdict on the same row, for comparison;
 * the serving model's answer is unchanged.
 */
function attachShadow(
  serving: Prediction[],
  candidate: readonly Prediction[],
  metrics: ServiceMetrics,
): void {
  metrics.observeShadow(serving, candidate);
  for (let i = 0; i < serving.length; i++) {
    const c = candidate[i];
    if (c === undefined) continue;
    (serving[i] as Prediction & { shadow?: ShadowVerdict }).shadow = {
      model: c.model,
      risk: c.risk,
      level: c.level,
      layer: c.layer,
      ...(c.inconclusive !== undefined ? { inconclusive: c.inconclusive } : {}),
    };
  }
}

/** The candidate's verdict on one row, reported beside the serving model's. */
export interface ShadowVerdict {
  model: { version: string };
  risk: number;
  level: Prediction['level'];
  layer: Prediction['layer'];
  inconclusive?: string;
}

/** The validation metrics recorded in the model's metadata at training time, if any. */
function validationMetricsOf(metadata: object): Record<string, number> | null {
  const metrics = (metadata as { metrics?: unknown }).metrics;
  return typeof metrics === 'object' && metrics !== null
    ? (metrics as Record<string, number>)
    : null;
}

/** Batches larger than this are written in pieces of this many rows. */
const STREAM_CHUNK_ROWS = 500;

/**
 * Writes a large batch answer in pieces, waiting for the socket to drain between them: the
 * same JSON as res.json, without building (and copying) one string of megabytes. Each piece is
 * written straight into bytes (`writeRow`).
 */
async function streamPredictions(
  res: Response,
  rows: number,
  writeRow: (out: JsonBytes, r: number) => void,
  elapsedMs: number,
): Promise<void> {
  res.status(200).type('application/json');
  let capacity = 1 << 16;
  for (let i = 0; i < rows; i += STREAM_CHUNK_ROWS) {
    const out = new JsonBytes(capacity);
    if (i === 0) out.raw(`{"elapsed_ms":${JSON.stringify(elapsedMs)},"predictions":[`);
    const end = Math.min(i + STREAM_CHUNK_ROWS, rows);
    for (let j = i; j < end; j++) {
      if (j > 0) out.char(0x2c);
      writeRow(out, j);
    }
    if (end === rows) out.raw(']}');
    const piece = out.bytes();
    capacity = piece.length + 4096;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
      if (res.destroyed) return;
    }
  }
  res.end();
}

/**
 * A batch scored by the pool: the slices' parts joined into the answer — the same bytes as the
 * main thread alone would send. `elapsed_ms` here includes writing the rows' part of the answer
 * (the threads write as they score); joining the parts is the `write` phase.
 */
async function answerPooled(
  res: Response,
  pool: BatchPool,
  rows: readonly FeatureInput[],
  how: PooledScoring,
  metrics: ServiceMetrics,
  [parsed, t0]: readonly [number, number],
): Promise<void> {
  const parts = await pool.score(rows, how);
  const t1 = performance.now();
  metrics.observeInference((t1 - t0) / 1000, levelsOfParts(parts));
  const elapsed_ms = roundMs(t1 - timing(res).start);
  if (how.format === 'columns') {
    const answer = joinColumnSegments(
      pool.version,
      pool.threshold,
      parts,
      `,"elapsed_ms":${elapsed_ms}`,
    );
    setServerTiming(res, parsed, t0, t1, performance.now());
    return sendJson(res, answer);
  }
  // The rows' JSON objects, comma-separated per part: what streamPredictions writes.
  const pieces: Uint8Array[] = [
    Buffer.from(`{"elapsed_ms":${JSON.stringify(elapsed_ms)},"predictions":[`),
  ];
  parts.forEach((p, i) => {
    if (i > 0) pieces.push(COMMA);
    pieces.push(p.bytes.subarray(0, p.ends[0]));
  });
  pieces.push(CLOSE_PREDICTIONS);
  setServerTiming(res, parsed, t0, t1, performance.now());
  res.status(200).type('application/json');
  res.setHeader(
    'content-length',
    pieces.reduce((n, p) => n + p.byteLength, 0),
  );
  for (const p of pieces) res.write(p);
  res.end();
}

const COMMA = Buffer.from(',');
const CLOSE_PREDICTIONS = Buffer.from(']}');

/** The levels of a pooled batch's rows (for the metrics), from the parts' marks. */
function levelsOfParts(parts: readonly SliceAnswer[]): ScoredLevels {
  const marks = parts.length === 1 ? parts[0]!.marks : Buffer.concat(parts.map((p) => p.marks));
  return {
    length: marks.length,
    level: (r) => RISK_LEVELS[(marks[r] as number) & LEVEL_BITS]!,
    inconclusive: (r) => ((marks[r] as number) & INCONCLUSIVE ? 'inconclusive' : undefined),
  };
}

/**
 * Where a batch's `elapsed_ms` went, as a `Server-Timing` header (W3C; browsers' developer tools
 * and the benchmark read it): `body` from the request's arrival to its body parsed (receiving and
 * JSON.parse), `validate` the body and query checks, `score` the model; they add up to
 * `elapsed_ms`. `write`, where the whole answer is ready before it is sent (the columnar form, a
 * pooled batch), is writing it after that (joining the threads' parts, for a pooled batch, whose
 * threads write their rows' part within `score`). Batches only: a single row's answer stays as
 * small and as cheap as it was.
 */
function setServerTiming(
  res: Response,
  parsed: number,
  scoring: number,
  scored: number,
  written?: number,
): void {
  const start = timing(res).start;
  const write = written === undefined ? '' : `, write;dur=${roundMs(written - scored)}`;
  res.setHeader(
    'server-timing',
    `body;dur=${roundMs(parsed - start)}, validate;dur=${roundMs(scoring - parsed)}, score;dur=${roundMs(scored - scoring)}${write}`,
  );
}

/** A JSON answer already written as text: what res.json sends, without stringifying again. */
function sendJson(res: Response, text: string | Buffer): void {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

const PREDICT_PARAMS = ['explain', 'format'];

/** A misspelt parameter (`?explian=3`) is refused like an unknown body field, not ignored. */
function refuseUnknownParams(query: Record<string, unknown>): void {
  const unknown = Object.keys(query).filter((k) => !PREDICT_PARAMS.includes(k));
  if (unknown.length === 0) return;
  const message = `is not a parameter of /predict (${PREDICT_PARAMS.join(', ')})`;
  throw new InputError(
    `invalid query: ${unknown[0]!.slice(0, 64)} ${message}`,
    unknown
      .slice(0, 100)
      .map((k) => ({ field: k.slice(0, 64), rule: 'unknown', got: k.slice(0, 64), message })),
  );
}

/**
 * `?explain=` on POST /predict: absent or `all` keeps every contribution; a whole number keeps
 * the top N (0 for none), which keeps large batch answers small.
 */
function parseExplain(value: unknown): number | undefined {
  if (value === undefined || value === 'all') return undefined;
  if (typeof value === 'string' && /^\d{1,3}$/.test(value)) return Number(value);
  throw new InputError(`invalid query: explain must be "all" or a whole number 0–999`, [
    {
      field: 'explain',
      rule: 'type',
      got: typeof value === 'string' ? value.slice(0, 64) : 'array',
      message: 'must be "all" or a whole number 0–999 (how many top contributions to return)',
    },
  ]);
}

/**
 * `?format=` on POST /predict: `objects` (default) answers prediction objects; `columns` the
 * compact columnar form (`ColumnarPredictions` in the model package) that the healer asks for.
 */
function parseFormat(value: unknown): 'objects' | 'columns' {
  if (value === undefined || value === 'objects') return 'objects';
  if (value === 'columns') return 'columns';
  throw new InputError('invalid query: format must be "objects" or "columns"', [
    {
      field: 'format',
      rule: 'type',
      got: typeof value === 'string' ? value.slice(0, 64) : 'array',
      message: 'must be "objects" (default: one prediction object per row) or "columns"',
    },
  ]);
}

/**
 * Security headers for a JSON API (OWASP REST Security Cheat Sheet): helmet configured without
 * the headers that only mean something for HTML documents, and a CSP that allows nothing.
 * They are static, so they are computed once here and set with the other per-request headers
 * instead of running helmet's middlewares per request.
 */
function helmetHeaders(): readonly (readonly [string, string])[] {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  const forApi = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  let done = false;
  forApi({} as never, res as never, () => (done = true));
  if (!done) throw new Error('helmet did not finish synchronously');
  return [...headers];
}

function timing(res: Response): RequestTiming {
  return res.locals.timing as RequestTiming;
}

/** The one place errors become statuses: typed errors keep theirs, anything else is a 500. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next) => {
    const e =
      err instanceof HttpError
        ? err
        : fromBodyParserError(err, req.get('content-type'), req.get('content-encoding'));
    const reqId = (res.locals.timing as RequestTiming | undefined)?.requestId;
    if (res.headersSent) {
      logger.error({ err, reqId }, 'error after the response started');
      next(err);
      return;
    }
    if (e === undefined) {
      logger.error({ err, reqId, method: req.method, url: req.originalUrl }, 'unhandled error');
      res.status(500).json({ error: 'internal server error' });
      return;
    }
    if (e.status >= 500) logger.warn({ err: e, reqId, url: req.originalUrl }, e.message);
    else if (logger.isLevelEnabled('debug')) {
      logger.debug({ reqId, status: e.status, error: e.message, details: e.details }, 'rejected');
    }
    if (e instanceof MethodNotAllowedError) res.setHeader('allow', e.allow.join(', '));
    res
      .status(e.status)
      .json(
        e.details === undefined ? { error: e.message } : { error: e.message, details: e.details },
      );
  };
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
