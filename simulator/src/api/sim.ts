import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotAllowed, routeNotFound } from '../cluster/errors.js';
import { parseFaultRequest } from '../faults/engine.js';
import { FAULT_MODELS } from '../faults/index.js';
import type { ApiContext } from './context.js';
import { readJson, sendJson } from './http.js';
import { simState } from './state.js';

/** `/sim/*`: fault injection and the simulator's own view of its state. */
export async function handleSim(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: ApiContext,
): Promise<void> {
  const method = req.method ?? 'GET';
  const parts = url.pathname.split('/').filter(Boolean);
  const faults = ctx.sim.faults;
  if (parts[1] === 'faults' && parts.length === 2) {
    if (method === 'GET') return sendJson(res, 200, { faults: faults.list() });
    if (method === 'POST') {
      const f = faults.inject(parseFaultRequest(await readJson(req)));
      ctx.sim.reconcile();
      await ctx.settle?.();
      return sendJson(res, 201, f);
    }
    throw methodNotAllowed();
  }
  if (parts[1] === 'faults' && parts.length === 3) {
    if (method === 'DELETE')
      return sendJson(res, 200, faults.remove(decodeURIComponent(parts[2]!)));
    throw methodNotAllowed();
  }
  if (parts[1] === 'fault-kinds' && method === 'GET')
    return sendJson(res, 200, {
      kinds: Object.values(FAULT_MODELS).map((m) => ({
        kind: m.kind,
        scope: m.scope,
        description: m.description,
        cures: m.cures,
        cureNote: m.cureNote,
        defaults: m.defaults,
      })),
    });
  if (parts[1] === 'state' && method === 'GET') return sendJson(res, 200, simState(ctx.sim));
  throw routeNotFound();
}
