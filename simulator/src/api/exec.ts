import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PODS } from '../cluster/cluster.js';
import { ApiError, badRequest } from '../cluster/errors.js';
import type { Pod } from '../cluster/types.js';
import type { ApiContext } from './context.js';
import { parseResourcePath } from './paths.js';

/** Channel protocols we speak; v5 only adds a client "close stdin" signal we accept and ignore. */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * The simulated container shell: enough for a healer's cache clear (`cache-clear`, `redis-cli
 * FLUSHALL`, `curl -X POST localhost:8080/cache/clear`) and for smoke checks (`echo`, `true`,
 * `hostname`). Anything else is "not found", exit 127.
 */
export function runCommand(command: string[], pod: string, clearCache: () => number): ExecResult {
  const script =
    (command[0] === 'sh' || command[0] === '/bin/sh' || command[0] === 'bash') &&
    command[1] === '-c'
      ? (command[2] ?? '')
      : command.join(' ');
  const words = script.trim().split(/\s+/);
  if (/cache[-/ ]clear|flushall/i.test(script)) {
    const cured = clearCache();
    return { stdout: `OK cache cleared (${cured} poisoned)\n`, stderr: '', exitCode: 0 };
  }
  switch (words[0]) {
    case 'echo':
      return { stdout: `${words.slice(1).join(' ')}\n`, stderr: '', exitCode: 0 };
    case 'true':
    case '':
      return { stdout: '', stderr: '', exitCode: 0 };
    case 'false':
      return { stdout: '', stderr: '', exitCode: 1 };
    case 'hostname':
      return { stdout: `${pod}\n`, stderr: '', exitCode: 0 };
    default:
      return { stdout: '', stderr: `sh: 1: ${words[0]}: not found\n`, exitCode: 127 };
  }
}

function exitStatus(command: string[], code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function frame(channel: number, text: string): Buffer {
  return Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
}

/** `pods/{name}/exec` over WebSocket (channel.k8s.io protocols), as client-node's Exec and kubectl use it. */
export function createExecHandler(
  ctx: ApiContext,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  const refuse = (socket: Duplex, err: ApiError): void => {
    const body = JSON.stringify(err.toStatus());
    socket.end(
      `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
  return (req, socket, head) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const p = parseResourcePath(url.pathname);
      if (
        !p ||
        p === 'discovery' ||
        p.def.resource !== 'pods' ||
        p.subresource !== 'exec' ||
        !p.namespace ||
        !p.name
      )
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      const pod = ctx.sim.cluster.get(PODS, p.namespace, p.name) as Pod;
      const command = url.searchParams.getAll('command');
      if (command.length === 0) throw badRequest('you must specify at least 1 command');
      const container = url.searchParams.get('container') ?? pod.spec.containers[0]!.name;
      if (!pod.spec.containers.some((c) => c.name === container))
        throw badRequest(`container ${container} is not valid for pod ${p.name}`);
      const rt = ctx.sim.kubelet.runtimes.get(pod.metadata.uid);
      if (!rt?.running || rt.nodeLost)
        throw badRequest(`unable to upgrade connection: container not found ("${container}")`);
      const ns = p.namespace;
      const name = p.name;
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        const result = runCommand(command, name, () => ctx.sim.faults.clearCache(ns, name));
        if (result.stdout) ws.send(frame(STDOUT, result.stdout));
        if (result.stderr) ws.send(frame(STDERR, result.stderr));
        ws.send(frame(STATUS, JSON.stringify(exitStatus(command, result.exitCode))));
        ws.close(1000);
      });
    } catch (err) {
      refuse(
        socket,
        err instanceof ApiError
          ? err
          : new ApiError(500, 'InternalError', String(err), {}, { cause: err }),
      );
    }
  };
}
