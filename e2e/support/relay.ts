/**
 * A switchable HTTP relay in front of the healer: the browser test cuts it to simulate a healer
 * restart (open SSE streams dropped, new requests answered 503) whatever healer sits behind it.
 */
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Relay {
  readonly url: string;
  /** Down: open responses are cut and new requests get a 503, as while a healer restarts. */
  setDown(down: boolean): void;
  stop(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const to = new URL(target);
  const open = new Set<ServerResponse>();
  let down = false;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (down) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"relay down"}');
      return;
    }
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('close', () => {
          if (!up.complete) res.destroy();
        });
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent)
        res
          .writeHead(502, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: `relay: ${err.message}` }));
      else res.destroy();
    });
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDown(value) {
      down = value;
      if (value) for (const r of open) r.destroy();
    },
    async stop() {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
