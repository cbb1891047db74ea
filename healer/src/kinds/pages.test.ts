/**
 * Lists read in pages, through the real kinds and client-node, against a local HTTP server that
 * serves `limit`/`continue` as the API server does: the pages are followed to the end, each page's
 * objects go through `keep` before the next is asked for, and an expired continue token (410)
 * lists again from the first page.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { kubeconfigYaml } from '@aiops/simulator';
import { createKubeClients } from '../actions/kube.js';
import { DeploymentKind } from './deployment.js';
import { MAX_EXPIRED_RELISTS, listPages } from './pages.js';
import { RolloutKind } from './rollout.js';
import type { WorkloadObject } from './types.js';

const dep = (i: number): WorkloadObject => ({
  metadata: { name: `app-${i}`, namespace: 'prod', resourceVersion: String(i) },
});

let server: Server;
let api: {
  items: WorkloadObject[];
  /** The store's resourceVersion now: a continued page carries its first page's. */
  rv: number;
  /** How many continued pages to answer 410 Expired (-1: every one). */
  expire: number;
  /** Answer the first page with this status instead. */
  firstStatus?: number;
  /** Each request's `limit` and `continue` ('-': absent). */
  requests: string[];
};

beforeEach(async () => {
  api = { items: [1, 2, 3, 4, 5].map(dep), rv: 10, expire: 0, requests: [] };
  server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const token = q.get('continue');
    api.requests.push(`${q.get('limit') ?? '-'} ${token ?? '-'}`);
    const fail = (code: number, reason: string): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code, reason, message: reason }));
    };
    if (!token && api.firstStatus) return fail(api.firstStatus, 'Gone');
    if (token && api.expire !== 0) {
      api.expire--;
      return fail(410, 'Expired');
    }
    // the token: the first page's resourceVersion and the offset of the next object
    const [rv, offset] = token ? token.split(':').map(Number) : [api.rv, 0];
    const limit = Number(q.get('limit') ?? 0);
    const end = limit > 0 ? offset! + limit : api.items.length;
    const more = end < api.items.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'List',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(rv), ...(more ? { continue: `${rv}:${end}` } : {}) },
        items: api.items.slice(offset, end),
      }),
    );
    api.rv++; // the store moves on between the pages
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function clients() {
  const addr = server.address();
  const kc = new KubeConfig();
  kc.loadFromString(
    kubeconfigYaml(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`),
  );
  return createKubeClients(kc);
}

/** Each object's name with the number of requests made when `keep` saw it. */
const keptAt = () => (o: WorkloadObject) => `${o.metadata?.name}@${api.requests.length}`;

describe('listPages', () => {
  it('follows the continue tokens to the last page; each page is kept before the next is read', async () => {
    const kind = new DeploymentKind(clients().apps);
    const list = await listPages(kind, undefined, 'a=b', { keep: keptAt(), pageSize: 2 });
    expect(list.items).toEqual(['app-1@1', 'app-2@1', 'app-3@2', 'app-4@2', 'app-5@3']);
    expect(api.requests).toEqual(['2 -', '2 10:2', '2 10:4']);
    expect(list.resourceVersion).toBe('10'); // the first page's: the snapshot to watch from
  });

  it('an Argo Rollout list too (custom objects)', async () => {
    const kind = new RolloutKind(clients().custom);
    const list = await listPages(kind, 'prod', '', { keep: (o) => o, pageSize: 3 });
    expect(list.items.map((o) => o.metadata?.name)).toEqual(api.items.map((o) => o.metadata?.name));
    expect(api.requests).toEqual(['3 -', '3 10:3']);
  });

  it('the kind list (no informer) reads pages too', async () => {
    const kind = new DeploymentKind(clients().apps);
    const items = await kind.list({ namespaces: [], labelSelector: '' });
    expect(items).toHaveLength(5);
    expect(api.requests).toEqual(['500 -']);
  });

  it('an expired continue token (410) lists again from the first page', async () => {
    const kind = new DeploymentKind(clients().apps);
    api.expire = 1;
    const expired: number[] = [];
    const list = await listPages(kind, undefined, '', {
      keep: (o) => o.metadata?.name,
      pageSize: 2,
      onExpired: (n) => expired.push(n),
    });
    expect(list.items).toEqual(['app-1', 'app-2', 'app-3', 'app-4', 'app-5']);
    expect(api.requests).toEqual(['2 -', '2 10:2', '2 -', '2 11:2', '2 11:4']);
    expect(list.resourceVersion).toBe('11'); // the new snapshot's
    expect(expired).toEqual([1]);
  });

  it(`tokens that keep expiring: ${MAX_EXPIRED_RELISTS} paged lists again, then one unpaged`, async () => {
    const kind = new DeploymentKind(clients().apps);
    api.expire = -1;
    const expired: number[] = [];
    const list = await listPages(kind, undefined, '', {
      keep: (o) => o.metadata?.name,
      pageSize: 2,
      onExpired: (n) => expired.push(n),
    });
    expect(list.items).toHaveLength(5);
    expect(api.requests).toEqual([
      ...Array.from({ length: MAX_EXPIRED_RELISTS + 1 }, (_, i) => ['2 -', `2 ${10 + i}:2`]).flat(),
      '- -',
    ]);
    expect(expired).toEqual(Array.from({ length: MAX_EXPIRED_RELISTS + 1 }, (_, i) => i + 1));
  });

  it.each([410, 500])(
    'a first page answered %i is the error (nothing to continue)',
    async (code) => {
      const kind = new DeploymentKind(clients().apps);
      api.firstStatus = code;
      const err = await listPages(kind, undefined, '', { keep: (o) => o, pageSize: 2 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<unknown>).code).toBe(code);
      expect(api.requests).toEqual(['2 -']);
    },
  );
});
