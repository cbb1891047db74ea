/**
 * Silences kept in one ConfigMap in the healer's namespace (`control.silencesConfigMap`, key
 * `silences.json`), so a silence outlives the pod that took it: a restarted or new leader holds
 * the same deployments (Alertmanager keeps its silences on disk for the same reason). Only the
 * leader writes (the API's mutations need it); a write is a read-modify-replace on the
 * resourceVersion, retried on a conflict.
 */
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { isConflict, statusOf } from '../actions/kube.js';
import type { Silence, SilenceStore } from './silences.js';

export const SILENCES_KEY = 'silences.json';
const CONFLICT_RETRIES = 3;

/** The stored list is not what the healer wrote (hand-edited); names the entry and field. */
export class SilenceStoreError extends Error {
  override readonly name = 'SilenceStoreError';
}

type Core = Pick<
  CoreV1Api,
  'readNamespacedConfigMap' | 'createNamespacedConfigMap' | 'replaceNamespacedConfigMap'
>;

export class ConfigMapSilenceStore implements SilenceStore {
  constructor(
    private readonly core: Core,
    private readonly o: { namespace: string; name: string },
  ) {}

  describe(): string {
    return `ConfigMap ${this.o.namespace}/${this.o.name} key ${SILENCES_KEY}`;
  }

  async load(): Promise<Silence[]> {
    const cm = await this.read();
    return cm ? parseSilences(cm.data?.[SILENCES_KEY], this.describe()) : [];
  }

  async update(change: (current: Silence[]) => Silence[]): Promise<Silence[]> {
    for (let attempt = 0; ; attempt++) {
      const cm = await this.read();
      const next = change(cm ? parseSilences(cm.data?.[SILENCES_KEY], this.describe()) : []);
      const data = { [SILENCES_KEY]: JSON.stringify(next) };
      try {
        if (!cm)
          await this.core.createNamespacedConfigMap({
            namespace: this.o.namespace,
            body: {
              metadata: { name: this.o.name, labels: { 'app.kubernetes.io/name': 'aiops-healer' } },
              data,
            },
          });
        else
          await this.core.replaceNamespacedConfigMap({
            name: this.o.name,
            namespace: this.o.namespace,
            body: { ...cm, data: { ...cm.data, ...data } },
          });
        return next;
      } catch (err) {
        // Someone else wrote in between (a create race is a 409 too): read again.
        if (!isConflict(err) || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  }

  private async read(): Promise<V1ConfigMap | undefined> {
    try {
      return await this.core.readNamespacedConfigMap({
        name: this.o.name,
        namespace: this.o.namespace,
      });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }
}

/** The stored JSON → silences; a bad entry is an error naming it (the store is then unreadable). */
export function parseSilences(text: string | undefined, where: string): Silence[] {
  if (text === undefined || text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SilenceStoreError(`${where}: not JSON`);
  }
  if (!Array.isArray(raw)) throw new SilenceStoreError(`${where}: must be a JSON array`);
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
