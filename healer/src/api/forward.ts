/**
 * A standby replica hands a leader-only request (an approval, a silence, a Slack button click) to
 * the leader instead of refusing it: behind one Service, half the clicks land on the standby. The
 * request is streamed through unchanged — method, path, headers, the raw body (Slack's signature
 * is over those bytes) — and the leader's answer comes back as it was. The leader's address is the
 * one it wrote on the Lease (`aiops.io/leader-endpoint`). A forwarded request carries
 * {@link FORWARDED_HEADER} and is never forwarded again (two replicas that each think the other
 * leads answer 503 rather than loop).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const FORWARDED_HEADER = 'x-aiops-forwarded-by';

/** Hop-by-hop headers (RFC 9110 §7.6.1) are not passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

export class ForwardError extends Error {
  override readonly name = 'ForwardError';
}

/**
 * Streams `req` to `endpoint` + its path and the answer back into `res`. Rejects with a
 * {@link ForwardError} (nothing written to `res` yet) when the leader cannot be reached in time.
 */
export function forwardToLeader(
  req: IncomingMessage,
  res: ServerResponse,
  o: { endpoint: string; by: string; timeoutMs: number },
): Promise<void> {
  const target = new URL(req.url ?? '/', o.endpoint);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  headers[FORWARDED_HEADER] = o.by;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const upstream = send(target, { method: req.method, headers, timeout: o.timeoutMs }, (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers))
        if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
      up.on('end', resolve);
      up.on('error', resolve); // the answer was under way: the client sees it cut short
    });
    upstream.on('timeout', () =>
      upstream.destroy(new ForwardError(`the leader at ${o.endpoint} did not answer in time`)),
    );
    upstream.on('error', (err) =>
      reject(
        err instanceof ForwardError
          ? err
          : new ForwardError(`the leader at ${o.endpoint} is unreachable: ${err.message}`),
      ),
    );
    req.pipe(upstream);
  });
}
