/**
 * The dry-run evidence autonomy is earned from (the shadow ledger), kept in one ConfigMap in the
 * healer's namespace (`control.evidenceConfigMap`, key `shadow.json`; see
 * `humans/configMapList.ts`). At the ledger's 1,000 entries it stays well under a ConfigMap's 1 MiB.
 */
import type { HealAction } from '../api/types.js';
import { ConfigMapList, parseJsonArray, type ConfigMapCore } from '../humans/configMapList.js';
import type { StoredShadowEntry } from '../loop/shadow.js';

export const EVIDENCE_KEY = 'shadow.json';

const ACTIONS: readonly HealAction[] = ['restart_scale', 'cache_clear_restart', 'rollback', 'page'];

/** The stored list is not what the healer wrote (hand-edited); names the entry and field. */
export class EvidenceStoreError extends Error {
  override readonly name = 'EvidenceStoreError';
}

export class ConfigMapEvidenceStore extends ConfigMapList<StoredShadowEntry> {
  constructor(core: ConfigMapCore, o: { namespace: string; name: string }) {
    super(core, { ...o, key: EVIDENCE_KEY, parse: parseEvidence });
  }
}

/** The stored JSON → ledger entries; a bad entry is an error naming it. */
export function parseEvidence(text: string | undefined, where: string): StoredShadowEntry[] {
  const raw = parseJsonArray(text, where, (m) => new EvidenceStoreError(m));
  return raw.map((e: unknown, i) => {
    const at = (field: string, rule: string): EvidenceStoreError =>
      new EvidenceStoreError(`${where}: [${i}].${field}: ${rule}`);
    if (typeof e !== 'object' || e === null) throw at('', 'must be an object');
    const o = e as Record<string, unknown>;
    for (const f of ['at', 'namespace', 'name', 'reason', 'windowEndsAt'])
      if (typeof o[f] !== 'string' || o[f] === '') throw at(f, 'required, a string');
    for (const f of ['at', 'windowEndsAt'])
      if (!Number.isFinite(Date.parse(o[f] as string))) throw at(f, 'must be an ISO 8601 time');
    for (const f of ['step', 'attempt', 'riskBefore', 'high'])
      if (typeof o[f] !== 'number' || !Number.isFinite(o[f])) throw at(f, 'required, a number');
    if (!ACTIONS.includes(o.action as HealAction))
      throw at('action', `must be one of ${ACTIONS.join(', ')}`);
    if (
      o.riskAfter !== undefined &&
      (typeof o.riskAfter !== 'number' || !Number.isFinite(o.riskAfter))
    )
      throw at('riskAfter', 'must be a number');
    if (o.resolvedByItself !== undefined && typeof o.resolvedByItself !== 'boolean')
      throw at('resolvedByItself', 'must be true or false');
    return o as unknown as StoredShadowEntry;
  });
}
