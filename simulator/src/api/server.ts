import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { badRequest, routeNotFound } from '../cluster/errors.js';
import type { ApiContext } from './context.js';
import { createExecHandler } from './exec.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, VERSION } from './discovery.js';
import { sendError, sendJson } from './http.js';
import { handlePodLog } from './logs.js';
import { handlePodProxy } from './proxy.js';
import { parseResourcePath } from './paths.js';
import { handleResource } from './resources.js';
import { handleSim } from './sim.js';

async function route(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const get = req.method === 'GET';
  if (get && path === '/version') return sendJson(res, 200, VERSION);
  if (get && (path === '/healthz' || path === '/readyz' || path === '/livez')) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
    return;
  }
  if (get && path === '/metrics') {
    const text = ctx.metrics();
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
    return;
  }
  if (path.startsWith('/sim/')) return handleSim(req, res, url, ctx);
  if (get && path === '/api') return sendJson(res, 200, apiVersions(ctx.serverAddress));
  if (get && path === '/apis') return sendJson(res, 200, apiGroupList());
  const parts = path.split('/').filter(Boolean);
  if (get && parts[0] === 'apis' && parts.length === 2) {
    const g = apiGroup(parts[1]!);
    if (g) return sendJson(res, 200, g);
  }
  const p = parseResourcePath(path);
  if (p === 'discovery') {
    const [group, version] = parts[0] === 'api' ? ['', 'v1'] : [parts[1]!, parts[2]!];
    const list = apiResourceList(group, version);
    if (list && get) return sendJson(res, 200, list);
    throw routeNotFound();
  }
  if (!p) throw routeNotFound();
  if (p.def.resource === 'pods' && p.subresource === 'proxy' && p.namespace && p.name)
    return handlePodProxy(req, res, p.namespace, p.name, p.rest ?? '', ctx);
  if (get && p.def.resource === 'pods' && p.subresource === 'log' && p.namespace && p.name)
    return handlePodLog(req, res, p.namespace, p.name, url, ctx);
  if (p.def.resource === 'pods' && p.subresource === 'exec')
    throw badRequest('Upgrade request required: pods/exec speaks the WebSocket channel protocol');
  return handleResource(req, res, url, p, ctx);
}

/** The simulator's HTTP server: Kubernetes API subset, `/metrics`, `/sim/*`. Errors become `Status`. */
export function createApiServer(ctx: ApiContext): Server {
  const server = createServer((req, res) => {
    route(req, res, ctx).catch((err: unknown) => sendError(res, err));
  });
  server.on('upgrade', createExecHandler(ctx));
  return server;
}
