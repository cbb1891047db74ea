import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEPLOYMENTS, ROLLOUTS } from '../cluster/cluster.js';
import { badRequest, methodNotAllowed, routeNotFound } from '../cluster/errors.js';
import type { ResourceDef } from '../cluster/resources.js';
import type { KubeObject } from '../cluster/types.js';
import type { ApiContext } from './context.js';
import { readJson, sendJson } from './http.js';
import { listPage } from './listPages.js';
import { applyPatch } from './patch.js';
import { toTable, wantsTable } from './table.js';
import { serveWatch } from './watch.js';

export interface ResourcePath {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Rest of the path after the subresource (pods/proxy/<rest>). */
  rest?: string;
}

/** Lists, gets, creates, updates, patches and deletes one resource type; `scale` and `status` too. */
export async function handleResource(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  p: ResourcePath,
  ctx: ApiContext,
): Promise<void> {
  const { cluster } = ctx.sim;
  const method = req.method ?? 'GET';
  const q = url.searchParams;
  const dryRun = q.has('dryRun');
  const ok = (code: number, o: unknown): void => sendJson(res, code, o);
  const table = (objs: KubeObject[]): unknown =>
    toTable(
      p.def,
      objs,
      ctx.sim.clock.now(),
      cluster.store.resourceVersion,
      q.get('includeObject'),
    );

  if (p.subresource === 'scale') {
    if (p.def !== DEPLOYMENTS && p.def !== ROLLOUTS) throw routeNotFound();
    const ns = p.namespace!;
    if (method === 'GET') return ok(200, cluster.getScale(ns, p.name!, p.def));
    if (method === 'PUT') {
      const body = (await readJson(req)) as KubeObject;
      if (dryRun) return ok(200, body);
      return ok(
        200,
        commit(ctx, p.def, () => cluster.updateScale(ns, p.name!, body, p.def)),
      );
    }
    if (method === 'PATCH') {
      const patched = applyPatch(
        cluster.getScale(ns, p.name!, p.def),
        req.headers['content-type'],
        await readJson(req),
      ) as KubeObject;
      if (dryRun) return ok(200, patched);
      return ok(
        200,
        commit(ctx, p.def, () => cluster.updateScale(ns, p.name!, patched, p.def)),
      );
    }
    throw methodNotAllowed();
  }
  if (p.subresource === 'status') {
    if (method === 'GET') return ok(200, cluster.get(p.def, p.namespace, p.name!));
    throw methodNotAllowed();
  }
  if (p.subresource) throw routeNotFound();

  if (!p.name) {
    const opts = { labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector') };
    if (method === 'GET') {
      if (q.get('watch') === 'true' || q.get('watch') === '1')
        return serveWatch(req, res, cluster, p.def, p.namespace, opts, q);
      if (wantsTable(req.headers.accept))
        return ok(200, table(cluster.list(p.def, p.namespace, opts)));
      // Paged on the stored objects; only the page's are copied (20 pages of 10,000 copy 10,000
      // objects, not 200,000).
      const page = listPage(
        cluster.select(p.def, p.namespace, opts),
        { limit: q.get('limit'), continue: q.get('continue') },
        cluster.store.resourceVersion,
        (rv) => cluster.store.since(rv) !== undefined,
      );
      const items = page.items.map((o) => cluster.copyOut(p.def, o));
      return ok(200, {
        kind: `${p.def.kind}List`,
        apiVersion:
          items[0]?.apiVersion ?? (p.def.group ? `${p.def.group}/${p.def.version}` : p.def.version),
        metadata: {
          resourceVersion: page.resourceVersion,
          ...(page.continue ? { continue: page.continue } : {}),
        },
        items,
      });
    }
    if (method === 'POST') {
      if (!p.def.verbs.includes('create')) throw methodNotAllowed();
      const body = (await readJson(req)) as KubeObject;
      if (dryRun) return ok(201, body);
      return ok(
        201,
        commit(ctx, p.def, () => cluster.create(p.def, p.namespace, body)),
      );
    }
    throw methodNotAllowed();
  }

  if (method === 'GET') {
    const o = cluster.get(p.def, p.namespace, p.name);
    return ok(200, wantsTable(req.headers.accept) ? table([o]) : o);
  }
  if (method === 'PUT') {
    const body = (await readJson(req)) as KubeObject;
    if (typeof body !== 'object' || body === null)
      throw badRequest('the request body must be a JSON object');
    if (dryRun) return ok(200, body);
    return ok(
      200,
      commit(ctx, p.def, () => cluster.update(p.def, p.namespace, p.name!, body)),
    );
  }
  if (method === 'PATCH') {
    const cur = cluster.get(p.def, p.namespace, p.name);
    const patched = applyPatch(cur, req.headers['content-type'], await readJson(req)) as KubeObject;
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched))
      throw badRequest('the patch must leave a JSON object');
    if (dryRun) return ok(200, patched);
    return ok(
      200,
      commit(ctx, p.def, () => cluster.update(p.def, p.namespace, p.name!, patched)),
    );
  }
  if (method === 'DELETE') {
    if (!p.def.verbs.includes('delete')) throw methodNotAllowed();
    const gone = commit(ctx, p.def, () => cluster.delete(p.def, p.namespace, p.name!));
    return ok(200, gone);
  }
  throw methodNotAllowed();
}

/** Kinds no controller reacts to: writing them needs no reconcile (Events come in bursts). */
const INERT = new Set(['Event', 'Lease', 'Namespace']);

/** Runs a write, then lets the controllers react at once (so a scale creates pods immediately). */
function commit<T>(ctx: ApiContext, def: ResourceDef, write: () => T): T {
  const out = write();
  if (!INERT.has(def.kind)) ctx.sim.reconcile();
  return out;
}
