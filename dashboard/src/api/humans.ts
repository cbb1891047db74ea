/**
 * The healer's human-in-the-loop endpoints: approvals, silences, the kill switch. Reads are open
 * (or use the read token); approve, reject, create and expire need the API's bearer token, which
 * the person types once and the page keeps for the browser session only.
 */
import type { Approval } from '@aiops/healer/approval/types';
import type { Silence } from '@aiops/healer/silence/silences';
import { jsonCaller } from './client';

export type { Approval, Silence };

export interface SilenceRow extends Silence {
  active: boolean;
  /** Deployments it held back at the last cycle. */
  holding: string[];
}

export interface ControlState {
  killSwitch: { paused: boolean; detail: string };
}

/** Autonomy earned from dry-run evidence and approval decisions (per namespace and action type). */
export interface AutonomyRow {
  namespace: string;
  action: string;
  level: 'shadow' | 'approve' | 'auto';
  judged: number;
  needed: number;
  /** Of the judged, decided by a person on an approval request. */
  byHumans: number;
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

const isList = <T>(v: unknown): v is T[] => Array.isArray(v);
const isObj = <T>(v: unknown): v is T => typeof v === 'object' && v !== null && !Array.isArray(v);

export function createHumansClient(
  o: { baseUrl?: string; fetch?: typeof fetch } = {},
): HumansClient {
  const doFetch = o.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  const call = jsonCaller(doFetch, o.baseUrl ?? '');
  const id = encodeURIComponent;
  const healer = 'the healer';
  return {
    approvals: () => call('GET', '/api/approvals', isList<Approval>, healer),
    silences: () => call('GET', '/api/silences', isList<SilenceRow>, healer),
    control: () => call('GET', '/api/control', isObj<ControlState>, healer),
    autonomy: () => call('GET', '/api/autonomy', isList<AutonomyRow>, healer),
    decide: (a, approve, token, by) =>
      call(
        'POST',
        `/api/approvals/${id(a)}/${approve ? 'approve' : 'reject'}`,
        isObj<Approval>,
        healer,
        { by: by ?? 'dashboard' },
        undefined,
        token,
      ),
    createSilence: (s, token) =>
      call(
        'POST',
        '/api/silences',
        isObj<Silence>,
        healer,
        { ...s, createdBy: 'dashboard' },
        undefined,
        token,
      ),
    expireSilence: (s, token) =>
      call('DELETE', `/api/silences/${id(s)}`, isObj<Silence>, healer, undefined, undefined, token),
  };
}
