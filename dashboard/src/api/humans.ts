/**
 * The healer's human-in-the-loop endpoints: approvals, silences, the kill switch. Reads are open
 * (or use the read token); approve, reject, create and expire need the API's bearer token, which
 * the person types once and the page keeps for the browser session only.
 */
import type { Approval } from '@aiops/healer/approval/types';
import type { Silence } from '@aiops/healer/silence/silences';
import { ApiError } from './client';

export type { Approval, Silence };

export interface SilenceRow extends Silence {
  active: boolean;
  /** Deployments it held back at the last cycle. */
  holding: string[];
}

export interface ControlState {
  killSwitch: { paused: boolean; detail: string };
}

/** Autonomy earned from the shadow ledger (per namespace and action type). */
export interface AutonomyRow {
  namespace: string;
  action: string;
  level: 'shadow' | 'approve' | 'auto';
  judged: number;
  needed: number;
  precision: number | null;
  reason: string;
}

export interface NewSilence {
  namespace?: string;
  name?: string;
  selector?: string;
  reason: string;
  durationMs: number;
}

export interface HumansClient {
  approvals(): Promise<Approval[]>;
  silences(): Promise<SilenceRow[]>;
  control(): Promise<ControlState>;
  autonomy(): Promise<AutonomyRow[]>;
  decide(id: string, approve: boolean, token: string, by?: string): Promise<Approval>;
  createSilence(s: NewSilence, token: string): Promise<Silence>;
  expireSilence(id: string, token: string): Promise<Silence>;
}

export function createHumansClient(
  o: { baseUrl?: string; fetch?: typeof fetch } = {},
): HumansClient {
  const base = o.baseUrl ?? '';
  const doFetch = o.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  async function call<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const url = base + path;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ApiError(`${method} ${path}: healer unreachable`, {
        kind: 'network',
        url,
        cause: err,
      });
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const j = (json ?? {}) as {
        error?: string;
        message?: string;
        details?: { field?: string; rule?: string };
      };
      const why = j.details?.rule ?? j.message ?? j.error ?? res.statusText;
      throw new ApiError(`${method} ${path}: ${res.status} ${why}`, {
        kind: 'http',
        url,
        status: res.status,
        ...(j.details?.field
          ? { details: [{ field: j.details.field, rule: String(j.details.rule ?? '') }] }
          : {}),
      });
    }
    return json as T;
  }
  const id = encodeURIComponent;
  return {
    approvals: () => call('GET', '/api/approvals'),
    silences: () => call('GET', '/api/silences'),
    control: () => call('GET', '/api/control'),
    autonomy: () => call('GET', '/api/autonomy'),
    decide: (a, approve, token, by) =>
      call('POST', `/api/approvals/${id(a)}/${approve ? 'approve' : 'reject'}`, token, {
        by: by ?? 'dashboard',
      }),
    createSilence: (s, token) =>
      call('POST', '/api/silences', token, { ...s, createdBy: 'dashboard' }),
    expireSilence: (s, token) => call('DELETE', `/api/silences/${id(s)}`, token),
  };
}
