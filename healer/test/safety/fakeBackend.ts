/**
 * The backend at the network boundary: `POST /predict` answered with the scenario tests' simple
 * risk rule, `GET /readyz` for the readiness probe, and a switch to be down (connection refused),
 * failing (HTTP 500) or slow (no answer).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { instancesOf, predictionsFor } from '../fakePredict.js';

export type BackendMode = 'ok' | 'error' | 'slow' | 'down';

export interface FakeBackend {
  readonly url: string;
  /** `POST /predict` calls answered with predictions. */
  readonly scored: number;
  setMode(mode: BackendMode): Promise<void>;
  stop(): Promise<void>;
}

export async function startFakeBackend(): Promise<FakeBackend> {
  let mode: BackendMode = 'ok';
  let scored = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'slow') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (req.method === 'GET' && req.url === '/readyz') {
        res.writeHead(mode === 'ok' ? 200 : 503).end();
        return;
      }
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/predict') {
        res.writeHead(404).end();
        return;
      }
      if (mode === 'error') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"injected"}');
        return;
      }
      const instances = instancesOf(JSON.parse(Buffer.concat(chunks).toString()));
      scored++;
      const predictions = predictionsFor(instances);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ predictions, elapsed_ms: 1 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = async (): Promise<void> => {
    for (const r of hanging) r.destroy();
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((r) => server.close(() => r()));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    get scored() {
      return scored;
    },
    async setMode(next) {
      if (next === 'down') await close();
      else if (mode === 'down') await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      if (next !== 'slow') for (const r of hanging) r.destroy();
      mode = next;
    },
    stop: close,
  };
}
