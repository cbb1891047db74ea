/**
 * Silences kept in one ConfigMap in the healer's namespace (`control.silencesConfigMap`, key
 * `silences.json`), so a silence outlives the pod that took it (see `humans/configMapList.ts`).
 */
import { ConfigMapList, parseJsonArray, type ConfigMapCore } from '../humans/configMapList.js';
import type { Silence, SilenceStore } from './silences.js';

export const SILENCES_KEY = 'silences.json';

/** The stored list is not what the healer wrote (hand-edited); names the entry and field. */
export class SilenceStoreError extends Error {
  override readonly name = 'SilenceStoreError';
}

export class ConfigMapSilenceStore extends ConfigMapList<Silence> implements SilenceStore {
  constructor(core: ConfigMapCore, o: { namespace: string; name: string }) {
    super(core, { ...o, key: SILENCES_KEY, parse: parseSilences });
  }
}

/** The stored JSON → silences; a bad entry is an error naming it (the store is then unreadable). */
export function parseSilences(text: string | undefined, where: string): Silence[] {
  const raw = parseJsonArray(text, where, (m) => new SilenceStoreError(m));
  return raw.map((e: unknown, i) => {
    const at = (field: string, rule: string): SilenceStoreError =>
      new SilenceStoreError(`${where}: [${i}].${field}: ${rule}`);
    if (typeof e !== 'object' || e === null) throw at('', 'must be an object');
    const o = e as Record<string, unknown>;
    for (const f of ['id', 'reason', 'createdBy', 'createdAt', 'expiresAt'] as const)
      if (typeof o[f] !== 'string' || o[f] === '') throw at(f, 'required, a string');
    for (const f of ['createdAt', 'expiresAt'] as const)
      if (!Number.isFinite(Date.parse(o[f] as string))) throw at(f, 'must be an ISO 8601 time');
    for (const f of ['namespace', 'name', 'selector', 'expiredBy'] as const)
      if (o[f] !== undefined && typeof o[f] !== 'string') throw at(f, 'must be a string');
    if (!o.namespace && !o.name && !o.selector)
      throw at('namespace', 'a silence needs a namespace, a name or a selector');
    return o as unknown as Silence;
  });
}
