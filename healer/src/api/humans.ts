/**
 * The humans' endpoints on the status API: approvals (list, approve, reject), silences (list,
 * create, expire), the kill switch's state, and Slack's interactivity request URL. Mutations need
 * the API's bearer token and the leader (like reset); `/slack/interactions` needs Slack's
 * signature instead (HMAC-SHA256 with the signing secret, five-minute window, each request once).
 */
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { Approvals } from '../approval/approvals.js';
import { ApprovalError } from '../approval/types.js';
import { ReplayGuard, verifySlackSignature } from '../notify/slackSignature.js';
import { SLACK_ACTIONS } from '../notify/slackApp.js';
import type { HumanGate } from '../silence/humanGate.js';
import { SilenceError, type Silences } from '../silence/silences.js';
import {
  HttpError,
  InputError,
  NotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './errors.js';

export interface HumansApiDeps {
  approvals: Approvals;
  silences: Silences;
  gate: HumanGate;
  /** Slack's signing secret; without one `/slack/interactions` answers 503. */
  signingSecret?: string;
  now: () => number;
  /** Autonomy levels and their evidence. */
  autonomy?: () => unknown;
  /** Told about rejected interactions (the log). */
  onRejected?: (reason: string) => void;
}

const ONE_HOUR = 3_600_000;

export function mountHumans(
  app: Express,
  guards: { requireToken: RequestHandler; requireLeader: RequestHandler },
  d: HumansApiDeps,
): void {
  const parse = express.json({ limit: '16kb' });
  /** A JSON object or no body: another content type or a JSON array is refused, never ignored. */
  const json: RequestHandler = (req, res, next) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || 'transfer-encoding' in req.headers;
    if (hasBody && req.is('application/json') === false)
      throw new UnsupportedMediaTypeError(req.get('content-type'));
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      const body: unknown = req.body;
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
        return next(
          new InputError('body', 'must be a JSON object', Array.isArray(body) ? 'array' : body),
        );
      next();
    });
  };
  const { requireToken, requireLeader } = guards;
  const replays = new ReplayGuard();

  app.get('/api/approvals', (_req, res) => {
    res.json(d.approvals.list());
  });
  const decide =
    (approve: boolean): RequestHandler =>
    async (req, res) => {
      const body = (req.body ?? {}) as { by?: unknown; note?: unknown };
      const by = typeof body.by === 'string' && body.by.trim() ? body.by.trim() : 'api';
      const note = typeof body.note === 'string' ? body.note : undefined;
      res.json(
        await mapped(() => d.approvals.decide(String(req.params.id), approve, by, 'api', note)),
      );
    };
  app.post('/api/approvals/:id/approve', requireToken, requireLeader, json, decide(true));
  app.post('/api/approvals/:id/reject', requireToken, requireLeader, json, decide(false));

  app.get('/api/silences', (_req, res) => {
    res.json(
      d.silences.list().map((s) => ({
        ...s,
        active: Date.parse(s.expiresAt) > d.now(),
        holding: [...(d.gate.held.get(s.id) ?? [])].sort(),
      })),
    );
  });
  app.post('/api/silences', requireToken, requireLeader, json, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.status(201).json(
      await mapped(async () =>
        d.silences.create({
          ...(body as object),
          createdBy: typeof body.createdBy === 'string' ? body.createdBy : 'api',
        }),
      ),
    );
  });
  app.delete('/api/silences/:id', requireToken, requireLeader, async (req, res) => {
    res.json(await mapped(async () => d.silences.expire(String(req.params.id))));
  });
  app.get('/api/control', (_req, res) => {
    res.json({ killSwitch: d.gate.killSwitch() });
  });
  app.get('/api/autonomy', (_req, res) => {
    res.json(d.autonomy?.() ?? []);
  });

  app.post(
    '/slack/interactions',
    requireLeader,
    express.text({ type: 'application/x-www-form-urlencoded', limit: '64kb' }),
    async (req, res) => {
      if (!d.signingSecret)
        throw new HttpError(503, 'slack_disabled', 'no Slack signing secret is configured');
      const raw = typeof req.body === 'string' ? req.body : '';
      const signature = header(req, 'x-slack-signature');
      const check = verifySlackSignature({
        secret: d.signingSecret,
        timestamp: header(req, 'x-slack-request-timestamp'),
        signature,
        body: raw,
        nowMs: d.now(),
      });
      const reject = (reason: string): never => {
        d.onRejected?.(reason);
        throw new UnauthorizedError(`Slack request rejected: ${reason}`);
      };
      if (!check.ok) reject(check.reason);
      if (!replays.first(signature!, d.now())) reject('already received: replay');
      const payload = parsePayload(raw);
      const user = payload.user?.username ?? payload.user?.name ?? payload.user?.id ?? 'someone';
      const by = `slack:${user}`;
      for (const a of payload.actions ?? []) {
        const id = String(a.value ?? '');
        if (a.action_id === SLACK_ACTIONS.approve || a.action_id === SLACK_ACTIONS.reject) {
          await mapped(() =>
            d.approvals.decide(id, a.action_id === SLACK_ACTIONS.approve, by, 'slack'),
          );
        } else if (a.action_id === SLACK_ACTIONS.silence) {
          const ap = d.approvals.get(id);
          if (!ap) throw new NotFoundError(`approval ${id}`);
          await mapped(() =>
            d.silences.create({
              namespace: ap.namespace,
              name: ap.name,
              reason: `silenced for 1 h from Slack (approval ${id})`,
              durationMs: ONE_HOUR,
              createdBy: by,
            }),
          );
        }
      }
      // Slack wants a 200 within 3 s; the thread shows the outcome.
      res.status(200).end();
    },
  );
}

function header(req: Request, name: string): string | undefined {
  const v = req.get(name);
  return v === undefined || v === '' ? undefined : v;
}

interface InteractionPayload {
  user?: { id?: string; username?: string; name?: string };
  actions?: Array<{ action_id?: string; value?: string }>;
}

function parsePayload(raw: string): InteractionPayload {
  const p = new URLSearchParams(raw).get('payload');
  if (!p) throw new InputError('payload', 'missing (a Slack interaction is payload=<json>)');
  try {
    return JSON.parse(p) as InteractionPayload;
  } catch {
    throw new InputError('payload', 'not JSON');
  }
}

/** Typed domain errors → HTTP errors naming the field. */
async function mapped<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApprovalError)
      throw new HttpError(err.code === 'not_found' ? 404 : 409, err.code, err.message);
    if (err instanceof SilenceError) {
      if (err.code === 'not_found')
        throw new NotFoundError(`silence ${err.message.replace(/^no silence /, '')}`);
      if (err.code === 'unavailable') throw new HttpError(503, 'silence_not_saved', err.message);
      // The silences' messages start with the field already ("reason: required …").
      const prefix = `${err.field}: `;
      throw new InputError(
        err.field,
        err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message,
      );
    }
    throw err;
  }
}
