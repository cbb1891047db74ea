import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { parse } from 'yaml';

/** A non-2xx answer from a real apiserver; `reason` and `message` come from its `Status` body. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${status} ${reason}: ${message}`);
    this.name = 'KubeApiError';
  }
}

/** What a kubeconfig's current context says about how to reach and authenticate to the server. */
export interface KubeEndpoint {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
}

interface NamedEntry<T> {
  name: string;
  cluster?: T;
  user?: T;
  context?: T;
}

const fromData = (data: unknown, file: unknown): string | undefined =>
  typeof data === 'string'
    ? Buffer.from(data, 'base64').toString('utf8')
    : typeof file === 'string'
      ? readFileSync(file, 'utf8')
      : undefined;

/** Reads the current context of a kubeconfig (inline data or file paths, client certs or token). */
export function endpointFromKubeconfig(path: string): KubeEndpoint {
  const doc = parse(readFileSync(path, 'utf8')) as {
    'current-context'?: string;
    contexts?: NamedEntry<{ cluster: string; user: string }>[];
    clusters?: NamedEntry<Record<string, unknown>>[];
    users?: NamedEntry<Record<string, unknown>>[];
  };
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context'])?.context;
  if (!ctx) throw new Error(`${path}: current-context "${doc['current-context']}" not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string')
    throw new Error(`${path}: cluster "${ctx.cluster}" has no server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  return {
    server: cluster.server,
    ca: fromData(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: fromData(user['client-certificate-data'], user['client-certificate']),
    key: fromData(user['client-key-data'], user['client-key']),
    token: typeof user.token === 'string' ? user.token : undefined,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * A small JSON client for a real apiserver: one keep-alive agent with the kubeconfig's TLS
 * material, typed errors from `Status` bodies, and NDJSON watches. Enough for the node agent and
 * the test harness; the healer itself uses `@kubernetes/client-node`.
 */
export class KubeClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(readonly endpoint: KubeEndpoint) {
    this.url = new URL(endpoint.server);
    this.agent = new Agent({
      keepAlive: true,
      ca: endpoint.ca,
      cert: endpoint.cert,
      key: endpoint.key,
      rejectUnauthorized: !endpoint.insecureSkipTlsVerify,
    });
  }

  static fromKubeconfig(path: string): KubeClient {
    return new KubeClient(endpointFromKubeconfig(path));
  }

  /** The same server and TLS trust, authenticated by a bearer token instead. */
  withToken(token: string): KubeClient {
    return new KubeClient({ server: this.endpoint.server, ca: this.endpoint.ca, token });
  }

  private options(method: string, path: string, headers: Record<string, string>): RequestOptions {
    return {
      method,
      host: this.url.hostname,
      port: this.url.port,
      path,
      agent: this.url.protocol === 'https:' ? this.agent : undefined,
      headers: {
        accept: 'application/json',
        ...(this.endpoint.token ? { authorization: `Bearer ${this.endpoint.token}` } : {}),
        ...headers,
      },
    };
  }

  /** One request; resolves the parsed JSON body, rejects with `KubeApiError` on non-2xx. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = send(
        // An explicit length: a DELETE with a chunked body leaves the apiserver's connection
        // unusable for the next request on it (it answers that one 400).
        this.options(
          method,
          path,
          payload
            ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) }
            : {},
        ),
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON (a pods/proxy answer, a plain-text error): keep the text
            }
            if (status >= 200 && status < 300) return resolve(parsed as T);
            const s = (typeof parsed === 'object' && parsed ? parsed : {}) as {
              reason?: string;
              message?: string;
            };
            reject(
              new KubeApiError(status, s.reason ?? 'Unknown', s.message ?? text, method, path),
            );
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Watches `path` (a collection URL) from `resourceVersion`; calls `onEvent` for each event and
   * `onEnd` when the server closes the stream or it fails. Returns a function that stops it.
   */
  watch<T>(
    path: string,
    resourceVersion: string,
    onEvent: (e: WatchEvent<T>) => void,
    onEnd: (err?: Error) => void,
  ): () => void {
    const sep = path.includes('?') ? '&' : '?';
    const full = `${path}${sep}watch=true&allowWatchBookmarks=true&resourceVersion=${resourceVersion}`;
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let ended = false;
    const end = (err?: Error): void => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    // Watches hold a connection for minutes: keep them off the keep-alive pool.
    const req = send(
      { ...this.options('GET', full, {}), agent: undefined, ...this.tls() },
      (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          res.resume();
          return end(new KubeApiError(res.statusCode ?? 0, 'WatchFailed', '', 'GET', full));
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
          }
        });
        res.on('end', () => end());
        res.on('error', (err) => end(err));
      },
    );
    req.on('error', (err) => end(err));
    req.end();
    return () => {
      ended = true;
      req.destroy();
    };
  }

  private tls(): RequestOptions {
    return {
      ca: this.endpoint.ca,
      cert: this.endpoint.cert,
      key: this.endpoint.key,
      rejectUnauthorized: !this.endpoint.insecureSkipTlsVerify,
    };
  }

  close(): void {
    this.agent.destroy();
  }
}
