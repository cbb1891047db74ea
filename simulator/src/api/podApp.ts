import type { PodRuntime } from '../controller/kubelet.js';
import type { Simulation } from '../simulator.js';

export interface PodAppResponse {
  code: number;
  /** A string is sent as text/plain, anything else as JSON. */
  body: unknown;
}

/**
 * The simulated application inside a running pod, as its HTTP port answers: `POST /cache/clear`
 * (flushes the shared cache: cures poisoned_cache), `GET /healthz` and `GET /`. Reached through
 * the simulator's pods/proxy route, or through a real apiserver's pods/proxy via the node agent's
 * egress (agent/egress.ts).
 */
export function podAppResponse(
  sim: Simulation,
  rt: PodRuntime,
  method: string,
  rawPath: string,
): PodAppResponse {
  const path = rawPath.replace(/\/+$/, '') || '/';
  if (path === '/cache/clear' && method === 'POST') {
    const cured = sim.faults.clearCache(rt.namespace, rt.pod);
    return { code: 200, body: { cleared: true, pod: rt.pod, poisonedEntriesRemoved: cured } };
  }
  if (path === '/healthz' && method === 'GET')
    return { code: rt.ready ? 200 : 503, body: rt.ready ? 'ok' : 'not ready' };
  if (path === '/' && method === 'GET')
    return { code: 200, body: { app: rt.deployment ?? rt.pod, image: rt.image, pod: rt.pod } };
  return { code: 404, body: '404 page not found\n' };
}

/** Whether the pod's app accepts connections now (a crashed or lost pod refuses them). */
export const podAppListening = (rt: PodRuntime | undefined): rt is PodRuntime =>
  !!rt?.running && !rt.nodeLost;
