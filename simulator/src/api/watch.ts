import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster, ListOptions } from '../cluster/cluster.js';
import { ApiError } from '../cluster/errors.js';
import { coreToEventsV1 } from '../cluster/events.js';
import type { ResourceDef } from '../cluster/resources.js';
import { storageKey, type StoreEvent } from '../cluster/store.js';
import type { KubeObject } from '../cluster/types.js';

/** Open watches, so `stop()` can end them. */
export const openWatches = new Set<ServerResponse>();

/**
 * `?watch=true`: a chunked stream of `{"type","object"}` lines. Without a resourceVersion (or
 * "0") it starts with ADDED for every current object; with one it replays history after it, or
 * sends 410 Expired when the history no longer reaches back.
 */
export function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  cluster: Cluster,
  def: ResourceDef,
  ns: string | undefined,
  opts: ListOptions,
  query: URLSearchParams,
): void {
  const key = storageKey(def);
  const view = (o: KubeObject): KubeObject =>
    def.group === 'events.k8s.io' ? coreToEventsV1(o) : o;
  const wanted = (o: KubeObject): boolean =>
    (!def.namespaced || ns === undefined || o.metadata.namespace === ns) &&
    cluster.matches(o, opts);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  // client-go waits for the headers before it hands out the listed objects: send them now.
  res.flushHeaders();
  const send = (type: string, object: unknown): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const rv = query.get('resourceVersion');
  if (!rv || rv === '0') for (const o of cluster.list(def, ns, opts)) send('ADDED', o);
  else {
    const past = cluster.store.since(Number(rv));
    if (!past) {
      send(
        'ERROR',
        new ApiError(
          410,
          'Expired',
          `too old resource version: ${rv} (${cluster.store.resourceVersion})`,
        ).toStatus(),
      );
      res.end();
      return;
    }
    for (const e of past) if (e.key === key && wanted(e.object)) send(e.type, view(e.object));
  }
  const unsubscribe = cluster.store.subscribe((e: StoreEvent) => {
    if (e.key === key && wanted(e.object)) send(e.type, view(e.object));
  });
  openWatches.add(res);
  const timeout = Number(query.get('timeoutSeconds') ?? 0);
  const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
  const close = (): void => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    openWatches.delete(res);
  };
  // Not req 'close': it fires once a bodiless GET has been read, long before the client leaves.
  res.on('close', close);
}
