import type { IncomingMessage, ServerResponse } from 'node:http';
import { PODS } from '../cluster/cluster.js';
import { ApiError } from '../cluster/errors.js';
import type { Pod } from '../cluster/types.js';
import type { ApiContext } from './context.js';
import { readText } from './http.js';

/**
 * `pods/{name}/proxy/{path}`: reaches the simulated application inside a pod. The app serves
 * `POST /cache/clear` (flushes the shared cache: cures poisoned_cache), `GET /healthz` and `GET /`.
 */
export async function handlePodProxy(
  req: IncomingMessage,
  res: ServerResponse,
  ns: string,
  podRef: string,
  rest: string,
  ctx: ApiContext,
): Promise<void> {
  const name = podRef.split(':')[0]!;
  const pod = ctx.sim.cluster.get(PODS, ns, name) as Pod;
  await readText(req);
  const rt = ctx.sim.kubelet.runtimes.get(pod.metadata.uid);
  if (!rt?.running || rt.nodeLost)
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `error trying to reach service: dial tcp ${pod.status?.podIP ?? '<none>'}:8080: connect: connection refused`,
    );
  const path = `/${rest}`.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const reply = (code: number, body: unknown): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    });
    res.end(text);
  };
  if (path === '/cache/clear' && method === 'POST') {
    const cured = ctx.sim.faults.clearCache(ns, name);
    return reply(200, { cleared: true, pod: name, poisonedEntriesRemoved: cured });
  }
  if (path === '/healthz' && method === 'GET')
    return reply(rt.ready ? 200 : 503, rt.ready ? 'ok' : 'not ready');
  if (path === '/' && method === 'GET')
    return reply(200, { app: rt.deployment ?? name, image: rt.image, pod: name });
  reply(404, '404 page not found\n');
}
