import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { podAppListening, podAppResponse } from '../api/podApp.js';
import type { PodRuntime } from '../controller/kubelet.js';
import type { Simulation } from '../simulator.js';

const MAX_CONNECT_HEADER = 8 * 1024;

/**
 * The pod network as the apiserver reaches it. kube-apiserver refuses to proxy to loopback pod
 * IPs, and our pods have no network of their own; so the apiserver's `cluster` egress (an
 * EgressSelectorConfiguration, as with Konnectivity) sends every pods/proxy connection as an HTTP
 * CONNECT over this Unix socket, and the agent answers it in process with the pod's simulated
 * app (api/podApp.ts). No packet is sent to a pod IP. Kubelet ports (logs, exec) are refused:
 * the agent does not serve the kubelet API.
 */
export async function startEgress(
  socketPath: string,
  sim: Simulation,
  log: (line: string) => void,
): Promise<{ stop(): Promise<void> }> {
  const pods = new WeakMap<Socket, PodRuntime>();
  const app = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const rt = pods.get(req.socket);
    req.resume();
    req.on('end', () => {
      if (!rt) return void res.writeHead(502).end();
      const { code, body } = podAppResponse(sim, rt, req.method ?? 'GET', req.url ?? '/');
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(code, {
        'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      });
      res.end(text);
    });
  });

  const refuse = (sock: Socket, status: string): void => {
    sock.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`);
  };

  const tunnels: Server = createServer((sock) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_CONNECT_HEADER) refuse(sock, '431 Request Header Fields Too Large');
        return;
      }
      sock.off('data', onData);
      const m = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.[01]\r\n/.exec(head);
      if (!m) return refuse(sock, '405 Method Not Allowed');
      const [, ip, port] = m;
      const rt = sim.kubelet.byIp(ip!);
      if (!rt || port !== '8080') return refuse(sock, '502 Bad Gateway');
      // A crashed or lost pod refuses the connection, as its port would.
      if (!podAppListening(rt)) return refuse(sock, '503 Service Unavailable');
      pods.set(sock, rt);
      sock.write('HTTP/1.1 200 Connection established\r\n\r\n');
      const rest = head.slice(end + 4);
      app.emit('connection', sock);
      if (rest) sock.unshift(Buffer.from(rest, 'latin1'));
    };
    sock.on('data', onData);
    sock.on('error', () => sock.destroy());
  });
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    tunnels.once('error', reject);
    tunnels.listen(socketPath, () => resolve());
  });
  log(`agent: pod network egress on ${socketPath}`);
  return {
    async stop() {
      app.closeAllConnections();
      await new Promise<void>((resolve) => tunnels.close(() => resolve()));
      await rm(socketPath, { force: true });
    },
  };
}
