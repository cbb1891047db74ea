/**
 * Approvals kept in one ConfigMap in the healer's namespace (`control.approvalsConfigMap`, key
 * `approvals.json`), so a request outlives the leader that made it (see `humans/configMapList.ts`).
 */
import { ConfigMapList, parseJsonArray, type ConfigMapCore } from '../humans/configMapList.js';
import type { ApprovalState, StoredApproval } from './types.js';

export const APPROVALS_KEY = 'approvals.json';

const STATES: readonly ApprovalState[] = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'withdrawn',
  'done',
  'stale',
];

/** The stored list is not what the healer wrote (hand-edited); names the entry and field. */
export class ApprovalStoreError extends Error {
  override readonly name = 'ApprovalStoreError';
}

export class ConfigMapApprovalStore extends ConfigMapList<StoredApproval> {
  constructor(core: ConfigMapCore, o: { namespace: string; name: string }) {
    super(core, { ...o, key: APPROVALS_KEY, parse: parseApprovals });
  }
}

/** The stored JSON → approvals; a bad entry is an error naming it (the store is then unreadable). */
export function parseApprovals(text: string | undefined, where: string): StoredApproval[] {
  const raw = parseJsonArray(text, where, (m) => new ApprovalStoreError(m));
  return raw.map((e: unknown, i) => {
    const at = (field: string, rule: string): ApprovalStoreError =>
      new ApprovalStoreError(`${where}: [${i}].${field}: ${rule}`);
    if (typeof e !== 'object' || e === null) throw at('', 'must be an object');
    const o = e as Record<string, unknown>;
    for (const f of ['id', 'namespace', 'name', 'action', 'reason', 'requestedAt', 'expiresAt'])
      if (typeof o[f] !== 'string' || o[f] === '') throw at(f, 'required, a string');
    for (const f of ['requestedAt', 'expiresAt'])
      if (!Number.isFinite(Date.parse(o[f] as string))) throw at(f, 'must be an ISO 8601 time');
    for (const f of ['step', 'attempt', 'risk', 'high', 'lastAskedAt', 'episodeStartedAt'])
      if (typeof o[f] !== 'number' || !Number.isFinite(o[f])) throw at(f, 'required, a number');
    if (!STATES.includes(o.state as ApprovalState))
      throw at('state', `must be one of ${STATES.join(', ')}`);
    if (o.action === 'page') throw at('action', 'a page is never gated');
    if (o.subject !== undefined) {
      const s = o.subject as Record<string, unknown> | null;
      if (
        typeof s !== 'object' ||
        s === null ||
        typeof s.namespace !== 'string' ||
        typeof s.name !== 'string'
      )
        throw at('subject', 'must be an object with a namespace and a name');
    }
    return o as unknown as StoredApproval;
  });
}
