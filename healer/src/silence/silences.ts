/**
 * Silences: a deployment, a namespace or a label selector kept from any action until a time, with
 * a reason (Alertmanager's silences, for remediation). A silenced deployment is still scored and
 * shown; it is never acted on. Created from the API, the dashboard, a Slack button, or per
 * deployment with the `aiops.io/paused-until` annotation. Held in memory on the leader.
 */
import { randomUUID } from 'node:crypto';
import type { SelectorError } from './selector.js';
import { matchesSelector, parseSelector, type Requirement } from './selector.js';

/** `kubectl annotate deploy/X aiops.io/paused-until=2026-12-01T09:00:00Z`. */
export const PAUSED_UNTIL_ANNOTATION = 'aiops.io/paused-until';

export interface SilenceMatcher {
  namespace?: string;
  /** Needs `namespace`. */
  name?: string;
  /** A label selector on the deployment's labels. */
  selector?: string;
}

export interface Silence extends SilenceMatcher {
  id: string;
  reason: string;
  createdBy: string;
  /** ISO times. */
  createdAt: string;
  expiresAt: string;
  /** Set when ended before its time. */
  expiredBy?: string;
}

export interface SilenceInput extends SilenceMatcher {
  reason?: unknown;
  createdBy?: string;
  /** One of: an ISO time, or a duration in ms. */
  expiresAt?: unknown;
  durationMs?: unknown;
}

/** Bad silence input; `field` names what is wrong. */
export class SilenceError extends Error {
  override readonly name = 'SilenceError';
  constructor(
    readonly field: string,
    message: string,
    readonly code: 'invalid' | 'not_found' = 'invalid',
  ) {
    super(message);
  }
}

const DNS = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface Target {
  namespace: string;
  name: string;
  labels?: Readonly<Record<string, string>>;
}

export class Silences {
  private readonly items = new Map<string, { s: Silence; req?: Requirement[] }>();

  constructor(private readonly o: { now: () => number; maxMs: number; onChange?: () => void }) {}

  create(input: SilenceInput): Silence {
    const now = this.o.now();
    const str = (v: unknown): string | undefined =>
      typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
    const namespace = str(input.namespace);
    const name = str(input.name);
    const selector = str(input.selector);
    const reason = str(input.reason);
    if (!reason) throw new SilenceError('reason', 'reason: required (why nothing may act)');
    if (!namespace && !name && !selector)
      throw new SilenceError('namespace', 'a silence needs a namespace, a name or a selector');
    if (name && !namespace) throw new SilenceError('namespace', 'namespace: required with name');
    if (namespace && !DNS.test(namespace))
      throw new SilenceError('namespace', `namespace: "${namespace}" is not a DNS-1123 label`);
    if (name && !DNS.test(name))
      throw new SilenceError('name', `name: "${name}" is not a DNS-1123 subdomain`);
    let req: Requirement[] | undefined;
    if (selector) {
      try {
        req = parseSelector(selector);
      } catch (err) {
        throw new SilenceError('selector', (err as SelectorError).message);
      }
    }
    let until: number;
    if (input.durationMs !== undefined) {
      const d = Number(input.durationMs);
      if (!Number.isFinite(d) || d <= 0)
        throw new SilenceError('durationMs', 'durationMs: must be a positive number of ms');
      until = now + d;
    } else {
      const t = typeof input.expiresAt === 'string' ? Date.parse(input.expiresAt) : NaN;
      if (!Number.isFinite(t))
        throw new SilenceError(
          'expiresAt',
          'expiresAt: required, an ISO 8601 time (or durationMs)',
        );
      until = t;
    }
    if (until <= now) throw new SilenceError('expiresAt', 'expiresAt: must be in the future');
    if (until - now > this.o.maxMs)
      throw new SilenceError(
        'expiresAt',
        `expiresAt: at most ${Math.round(this.o.maxMs / 3_600_000)} h ahead (control.maxSilenceMs)`,
      );
    const s: Silence = {
      id: randomUUID(),
      ...(namespace ? { namespace } : {}),
      ...(name ? { name } : {}),
      ...(selector ? { selector } : {}),
      reason: reason.slice(0, 500),
      createdBy: (input.createdBy ?? 'api').slice(0, 200),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(until).toISOString(),
    };
    this.items.set(s.id, { s, ...(req ? { req } : {}) });
    this.o.onChange?.();
    return s;
  }

  /** Ends a silence now. */
  expire(id: string, by = 'api'): Silence {
    const it = this.items.get(id);
    if (!it) throw new SilenceError('id', `no silence ${id}`, 'not_found');
    const now = new Date(this.o.now()).toISOString();
    if (it.s.expiresAt > now) it.s = { ...it.s, expiresAt: now, expiredBy: by.slice(0, 200) };
    this.o.onChange?.();
    return it.s;
  }

  /** Active ones (expired ones are dropped after a day). */
  active(): Silence[] {
    const now = this.o.now();
    this.prune(now);
    return [...this.items.values()].map((i) => i.s).filter((s) => Date.parse(s.expiresAt) > now);
  }

  /** Every silence still kept, newest first. */
  list(): Silence[] {
    this.prune(this.o.now());
    return [...this.items.values()].map((i) => i.s).reverse();
  }

  /** The first active silence covering this deployment. */
  match(t: Target): Silence | undefined {
    const now = this.o.now();
    for (const { s, req } of this.items.values()) {
      if (Date.parse(s.expiresAt) <= now) continue;
      if (s.namespace && s.namespace !== t.namespace) continue;
      if (s.name && s.name !== t.name) continue;
      if (req && !matchesSelector(req, t.labels)) continue;
      return s;
    }
    return undefined;
  }

  private prune(now: number): void {
    for (const [id, { s }] of this.items)
      if (Date.parse(s.expiresAt) < now - 86_400_000) this.items.delete(id);
  }
}

/** `aiops.io/paused-until`: the time it holds until, or a problem naming the annotation. */
export function pausedUntil(
  annotations: Readonly<Record<string, string>> | undefined,
  now: number,
): { until?: number; problem?: string } {
  const raw = annotations?.[PAUSED_UNTIL_ANNOTATION];
  if (raw === undefined) return {};
  const t = Date.parse(raw);
  if (!Number.isFinite(t))
    // A pause that cannot be read holds anyway: the person meant to stop the healer.
    return {
      until: Number.POSITIVE_INFINITY,
      problem: `${PAUSED_UNTIL_ANNOTATION}: "${raw}" is not an ISO 8601 time; holding until it is fixed or removed`,
    };
  return t > now ? { until: t } : {};
}
