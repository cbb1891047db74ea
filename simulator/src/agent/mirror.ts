import { storageKey, type ObjectStore } from '../cluster/store.js';
import {
  DEPLOYMENTS,
  HPAS,
  NAMESPACES,
  NODES,
  PODS,
  REPLICASETS,
  ROLLOUTS,
} from '../cluster/cluster.js';
import type { ResourceDef } from '../cluster/resources.js';
import type { KubeObject } from '../cluster/types.js';
import { KubeApiError, type KubeClient } from './kubeClient.js';

/** What the kubelet, the fault engine and the metrics read, mirrored from the real apiserver. */
export const MIRRORED: ResourceDef[] = [
  NAMESPACES,
  NODES,
  DEPLOYMENTS,
  REPLICASETS,
  PODS,
  HPAS,
  ROLLOUTS,
];
/** Served only once a CRD is installed: a 404 is retried, not fatal. */
const OPTIONAL = new Set<ResourceDef>([ROLLOUTS]);

const collectionPath = (def: ResourceDef): string =>
  def.group ? `/apis/${def.group}/${def.version}/${def.resource}` : `/api/v1/${def.resource}`;

interface List {
  metadata: { resourceVersion: string };
  items: KubeObject[];
}

/**
 * Keeps the agent's store equal to the real apiserver for `MIRRORED` resources: list, then watch
 * from the list's resourceVersion; on a closed or expired watch, list again and replace (objects
 * gone meanwhile are deleted). Writes it makes are flagged `applying`, so the outbox can tell them
 * from the kubelet's own.
 */
export class Mirror {
  /** True while the mirror writes the store (the outbox ignores those writes). */
  applying = false;
  private readonly stops: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly store: ObjectStore,
    private readonly log: (line: string) => void,
  ) {}

  /** Lists every resource once (resolves when the store holds the cluster), then keeps watching. */
  async start(): Promise<void> {
    await Promise.all(
      MIRRORED.map((def) =>
        this.sync(def).catch((err: unknown) => {
          // Argo Rollouts' CRD may be installed after the agent starts (the tests do).
          if (!(OPTIONAL.has(def) && err instanceof KubeApiError && err.status === 404)) throw err;
          this.resync(def, 1_000);
        }),
      ),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.stops.splice(0)) s();
  }

  private apply(fn: () => void): void {
    this.applying = true;
    try {
      fn();
    } finally {
      this.applying = false;
    }
  }

  private async sync(def: ResourceDef): Promise<void> {
    const key = storageKey(def);
    const list = await this.client.request<List>('GET', collectionPath(def));
    const kind = def.kind;
    const apiVersion = def.group ? `${def.group}/${def.version}` : 'v1';
    this.apply(() => {
      const seen = new Set<string>();
      for (const o of list.items) {
        seen.add(`${o.metadata.namespace ?? ''}/${o.metadata.name}`);
        this.store.put(key, { ...o, apiVersion, kind });
      }
      for (const o of this.store.peek(key))
        if (!seen.has(`${o.metadata.namespace ?? ''}/${o.metadata.name}`))
          this.store.delete(key, o.metadata.namespace, o.metadata.name);
    });
    this.watch(def, list.metadata.resourceVersion);
  }

  private resync(def: ResourceDef, delayMs: number): void {
    setTimeout(() => {
      if (this.stopped) return;
      this.sync(def).catch((e: Error) => {
        if (!(OPTIONAL.has(def) && e instanceof KubeApiError && e.status === 404))
          this.log(`agent: relist ${def.resource} failed: ${e.message}`);
        this.resync(def, 1_000);
      });
    }, delayMs).unref();
  }

  private watch(def: ResourceDef, from: string): void {
    if (this.stopped) return;
    const key = storageKey(def);
    const stop = this.client.watch<KubeObject>(
      collectionPath(def),
      from,
      (e) => {
        // 410 Expired arrives as an ERROR event: the relist on end recovers.
        if (e.type === 'ERROR' || e.type === 'BOOKMARK') return;
        this.apply(() => {
          if (e.type === 'DELETED') {
            if (this.store.get(key, e.object.metadata.namespace, e.object.metadata.name))
              this.store.delete(key, e.object.metadata.namespace, e.object.metadata.name);
          } else this.store.put(key, { ...e.object, kind: def.kind });
        });
      },
      (err) => {
        const i = this.stops.indexOf(stop);
        if (i >= 0) this.stops.splice(i, 1);
        if (this.stopped) return;
        if (err && !(err instanceof KubeApiError))
          this.log(`agent: watch ${def.resource}: ${err.message}`);
        // A watch ends normally after the server's timeout; relisting also covers a 410.
        this.resync(def, 200);
      },
    );
    this.stops.push(stop);
  }
}
