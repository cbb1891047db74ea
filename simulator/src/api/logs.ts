import type { IncomingMessage, ServerResponse } from 'node:http';
import { PODS } from '../cluster/cluster.js';
import { badRequest } from '../cluster/errors.js';
import type { Pod } from '../cluster/types.js';
import type { ApiContext } from './context.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * `pods/{name}/log`: a few synthetic lines for `kubectl logs` — the start, readiness and, with
 * `?previous=true`, how the last container died (OOMKilled, a crash).
 */
export function handlePodLog(
  _req: IncomingMessage,
  res: ServerResponse,
  ns: string,
  name: string,
  url: URL,
  ctx: ApiContext,
): void {
  const pod = ctx.sim.cluster.get(PODS, ns, name) as Pod;
  const rt = ctx.sim.kubelet.runtimes.get(pod.metadata.uid);
  const previous = url.searchParams.get('previous') === 'true';
  const lines: string[] = [];
  if (previous) {
    const lt = rt?.lastTerminated;
    if (!lt)
      throw badRequest(
        `previous terminated container "${rt?.container ?? pod.spec.containers[0]?.name}" in pod "${name}" not found`,
      );
    lines.push(`${iso(lt.startedAt)} INFO starting ${rt.image}`);
    if (lt.reason === 'OOMKilled')
      lines.push(`${iso(lt.finishedAt)} WARN heap near limit; allocation failed`);
    else
      lines.push(
        `${iso(lt.finishedAt)} FATAL unrecoverable error during startup; exiting with code ${lt.exitCode}`,
      );
  } else if (rt?.running) {
    lines.push(
      `${iso(rt.startedAt)} INFO starting ${rt.image}`,
      `${iso(rt.startedAt)} INFO listening on :8080`,
    );
    if (rt.signals && rt.signals.errorRate > 0.05)
      lines.push(
        `${iso(ctx.sim.clock.now())} ERROR ${(rt.signals.errorRate * 100).toFixed(0)}% of requests failing`,
      );
  }
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(lines.map((l) => `${l}\n`).join(''));
}
