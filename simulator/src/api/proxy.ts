import type { IncomingMessage, ServerResponse } from 'node:http';
import { PODS } from '../cluster/cluster.js';
import { ApiError } from '../cluster/errors.js';
import type { Pod } from '../cluster/types.js';
import type { ApiContext } from './context.js';
import { readText } from './http.js';
import { podAppListening, podAppResponse } from './podApp.js';

/** `pods/{name}/proxy/{path}`: reaches the simulated application inside a pod (api/podApp.ts). */
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
  if (!podAppListening(rt))
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `error trying to reach service: dial tcp ${pod.status?.podIP ?? '<none>'}:8080: connect: connection refused`,
    );
  const { code, body } = podAppResponse(ctx.sim, rt, req.method ?? 'GET', `/${rest}`);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
  });
  res.end(text);
}
