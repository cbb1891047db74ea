/**
 * Silences: a deployment, a namespace or a label selector kept from any action until a time, with
 * a reason (Alertmanager's silences, for remediation). A silenced deployment is still scored and
 * shown; it is never acted on. Created from the API, the dashboard, a Slack button, or per
 * deployment with the `aiops.io/paused-until` annotation. Kept in a {@link SilenceStore} (a
 * ConfigMap) so a restart or a new leader holds the same deployments: a mutation answers only
 * once it is stored, and every acting cycle re-reads the store, failing closed ({@link LastGood}).
 */
import { randomUUID } from 'node:crypto';
import { describeError } from '../actions/kube.js';
import type { ListStore } from '../humans/configMapList.js';
import { LastGood } from './lastGood.js';
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

/** Where silences outlive the process (`configMapStore.ts`). */
export type SilenceStore = ListStore<Silence>;

/** At most this many silences are kept (a ConfigMap holds 1 MiB). */
export const MAX_SILENCES = 500;

/** Bad silence input; `field` names what is wrong. `unavailable`: it could not be stored. */
export class SilenceError extends Error {
  override readonly name = 'SilenceError';
  constructor(
    readonly field: string,
    message: string,
    readonly code: 'invalid' | 'not_found' | 'unavailable' = 'invalid',
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
  private items = new Map<string, { s: Silence; req?: Requirement[] }>();
  private readonly last = new LastGood<true>();
  private holdAll: string | undefined;

  constructor(
    private readonly o: {
      now: () => number;
      maxMs: number;
      store?: SilenceStore;
    },
  ) {
    if (o.store) this.holdAll = `silences (${o.store.describe()}) not read yet`;
  }

  /**
   * Re-reads the store (each acting cycle). Until one read has succeeded, or after more failed
   * reads in a row than a blip, {@link unreadable} says why every action is held.
   */
  async sync(): Promise<{ error?: string }> {
    const store = this.o.store;
    if (!store) return {};
    let read;
    try {
      const items = new Map<string, { s: Silence; req?: Requirement[] }>();
      for (const s of await store.load()) items.set(s.id, entry(s));
      this.items = items;
      read = this.last.good(true);
    } catch (err) {
      read = this.last.failed(describeError(err));
    }
    this.holdAll = read.ok
      ? undefined
      : `silences (${store.describe()}) are unreadable (${read.why}: ${read.error}): holding every action until they can be read`;
    return read.error ? { error: read.error } : {};
  }

  /** Why every action is held because the silences cannot be known, if they cannot. */
  unreadable(): string | undefined {
    return this.holdAll;
  }

  async create(input: SilenceInput): Promise<Silence> {
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
    if (selector) {
      try {
        parseSelector(selector);
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
    await this.commit((list) => {
      if (list.filter((x) => Date.parse(x.expiresAt) > now).length >= MAX_SILENCES)
        throw new SilenceError('silences', `at most ${MAX_SILENCES} active silences; expire some`);
      return [...list, s];
    });
    return s;
  }

  /** Ends a silence now. */
  async expire(id: string, by = 'api'): Promise<Silence> {
    const now = new Date(this.o.now()).toISOString();
    let ended: Silence | undefined;
    await this.commit((list) => {
      if (!list.some((x) => x.id === id))
        throw new SilenceError('id', `no silence ${id}`, 'not_found');
      return list.map((x) => {
        if (x.id !== id) return x;
        ended = x.expiresAt > now ? { ...x, expiresAt: now, expiredBy: by.slice(0, 200) } : x;
        return ended;
      });
    });
    return ended!;
  }

  /**
   * Applies a change to the stored list (or the in-memory one without a store), dropping those
   * expired more than a day ago, and keeps the result. A failed write changes nothing.
   */
  private async commit(change: (list: Silence[]) => Silence[]): Promise<void> {
    const cutoff = this.o.now() - 86_400_000;
    const apply = (list: Silence[]): Silence[] =>
      change(list).filter((x) => Date.parse(x.expiresAt) >= cutoff);
    const store = this.o.store;
    let next: Silence[];
    if (!store) next = apply([...this.items.values()].map((i) => i.s));
    else
      try {
        next = await store.update(apply);
      } catch (err) {
        if (err instanceof SilenceError) throw err;
        throw new SilenceError(
          'silence',
          `not saved to ${store.describe()}: ${describeError(err)}; nothing changed, try again`,
          'unavailable',
        );
      }
    this.items = new Map(next.map((x) => [x.id, entry(x)]));
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

/** A stored silence with its selector parsed; a selector that no longer parses is an error. */
function entry(s: Silence): { s: Silence; req?: Requirement[] } {
  if (!s.selector) return { s };
  try {
    return { s, req: parseSelector(s.selector) };
  } catch (err) {
    throw new SilenceError('selector', `silence ${s.id}: ${(err as SelectorError).message}`);
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
