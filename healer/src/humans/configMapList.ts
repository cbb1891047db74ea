/**
 * A JSON list kept under one key of one ConfigMap in the healer's namespace, so what humans told
 * the healer (silences, approvals) outlives the pod that heard it: a restarted or new leader holds
 * the same state (Alertmanager keeps its silences on disk for the same reason). Only the leader
 * writes; a write is a read-modify-replace on the resourceVersion, retried on a conflict.
 */
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { isConflict, statusOf } from '../actions/kube.js';

const CONFLICT_RETRIES = 3;

/** Load, change, describe: what the silences and the approvals each keep their list in. */
export interface ListStore<T> {
  load(): Promise<T[]>;
  /**
   * Applies `change` to the stored list as it is now (read, change, write; again on a
   * conflict) and returns what was stored: a writer that has not read yet loses nothing.
   */
  update(change: (current: T[]) => T[]): Promise<T[]>;
  /** Where, for messages. */
  describe(): string;
}

export type ConfigMapCore = Pick<
  CoreV1Api,
  'readNamespacedConfigMap' | 'createNamespacedConfigMap' | 'replaceNamespacedConfigMap'
>;

export interface ConfigMapListOptions<T> {
  namespace: string;
  name: string;
  key: string;
  /** The stored text → the list; throws a typed error naming the entry and field. */
  parse: (text: string | undefined, where: string) => T[];
}

export class ConfigMapList<T> implements ListStore<T> {
  constructor(
    private readonly core: ConfigMapCore,
    private readonly o: ConfigMapListOptions<T>,
  ) {}

  describe(): string {
    return `ConfigMap ${this.o.namespace}/${this.o.name} key ${this.o.key}`;
  }

  async load(): Promise<T[]> {
    const cm = await this.read();
    return cm ? this.o.parse(cm.data?.[this.o.key], this.describe()) : [];
  }

  async update(change: (current: T[]) => T[]): Promise<T[]> {
    for (let attempt = 0; ; attempt++) {
      const cm = await this.read();
      const next = change(cm ? this.o.parse(cm.data?.[this.o.key], this.describe()) : []);
      const data = { [this.o.key]: JSON.stringify(next) };
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

/** The stored text → a JSON array (empty when absent); `fail` makes the caller's typed error. */
export function parseJsonArray(
  text: string | undefined,
  where: string,
  fail: (message: string) => Error,
): unknown[] {
  if (text === undefined || text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw fail(`${where}: not JSON`);
  }
  if (!Array.isArray(raw)) throw fail(`${where}: must be a JSON array`);
  return raw;
}
