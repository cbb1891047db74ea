/**
 * The simulator serves no `pods/exec`, so this network-boundary fake stands in front of it: plain
 * HTTP requests are forwarded to the simulator, WebSocket exec upgrades are answered with the
 * Kubernetes channel protocol (v4: stdout on channel 1, a V1Status on channel 3), as a kubelet
 * would, and every command is recorded.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

export interface ExecCall {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
}

export interface ExecFake {
  url: string;
  calls: ExecCall[];
  /** Pods whose command exits non-zero. */
  failIn: Set<string>;
  stop(): Promise<void>;
}

export async function startExecFake(upstream: string): Promise<ExecFake> {
  const target = new URL(upstream);
  const calls: ExecCall[] = [];
  const failIn = new Set<string>();
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) =>
      protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false,
  });
  const server: Server = createServer((req, res) => {
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(u.pathname);
    if (!m) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const call: ExecCall = {
        namespace: m[1]!,
        pod: m[2]!,
        container: u.searchParams.get('container') ?? '',
        command: u.searchParams.getAll('command'),
      };
      calls.push(call);
      const failed = failIn.has(call.pod);
      ws.send(
        Buffer.concat([
          Buffer.from([failed ? 2 : 1]),
          Buffer.from(failed ? 'rm: permission denied\n' : 'ok\n'),
        ]),
      );
      const status = failed
        ? {
            status: 'Failure',
            reason: 'NonZeroExitCode',
            message: 'command terminated with non-zero exit code: 1',
          }
        : { status: 'Success', metadata: {} };
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
      ws.close();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    calls,
    failIn,
    async stop() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
