/**
 * The informer against a local API server (list + chunked watch), through client-node's Watch
 * and the real DeploymentKind: the cache is served only while the watch is healthy.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type ServerResponse, type Server } from 'node:http';
import { KubeConfig, Watch, type V1Deployment } from '@kubernetes/client-node';
import { kubeconfigYaml } from '@aiops/simulator';
import { createKubeClients } from '../actions/kube.js';
import { DeploymentKind } from '../kinds/deployment.js';
import { kindListWatch } from '../kinds/listWatch.js';
import type { WorkloadObject } from '../kinds/types.js';
import { readPersisted, stateAnnotations, toPersisted } from '../actions/state.js';
import { INITIAL_MEMORY } from '../policy/types.js';
import { rolloutView, type ArgoRollout } from '../kinds/rollout.js';
import { cacheCopy, Informer, LAST_APPLIED_ANNOTATION } from './informer.js';
import { deploymentView } from './workload.js';

const dep = (name: string, rv: number, replicas = 1): WorkloadObject => ({
  metadata: { name, namespace: 'prod', uid: `u-${name}`, resourceVersion: String(rv) },
  spec: { replicas },
});

let server: Server;
let api: {
  items: WorkloadObject[];
  rv: number;
  listStatus: number;
  watchStatus: number;
  lists: number;
  /** The store moves on after each page served. */
  moveOn?: boolean;
  /** Continue tokens to answer 410 Expired. */
  expire?: number;
  /** resourceVersion of each watch request */
  watches: string[];
  watch?: ServerResponse;
};

beforeEach(async () => {
  api = {
    items: [dep('a', 1), dep('b', 2)],
    rv: 2,
    listStatus: 200,
    watchStatus: 200,
    lists: 0,
    watches: [],
  };
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const status = url.searchParams.get('watch') ? api.watchStatus : api.listStatus;
    if (status === 0) return; // never answers (not even the headers)
    if (status !== 200) {
      if (url.searchParams.get('watch')) api.watches.push('refused');
      else api.lists++;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: status, message: 'down' }));
      return;
    }
    if (url.searchParams.get('watch')) {
      api.watches.push(url.searchParams.get('resourceVersion') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      api.watch = res;
      return;
    }
    api.lists++;
    if (url.searchParams.get('continue') && (api.expire ?? 0) > 0) {
      api.expire!--;
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' }));
      return;
    }
    // pages (`limit`/`continue`): the token is the first page's resourceVersion and the offset
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const [rv, offset] = (url.searchParams.get('continue') ?? `${api.rv}:0`).split(':');
    const end = limit > 0 ? Number(offset) + limit : api.items.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'DeploymentList',
        apiVersion: 'apps/v1',
        metadata: {
          resourceVersion: rv,
          ...(end < api.items.length ? { continue: `${rv}:${end}` } : {}),
        },
        items: api.items.slice(Number(offset), end),
      }),
    );
    if (api.moveOn) api.rv++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

let clock = 0;
let refused: { status: number; why: string }[] = [];
let relists: string[] = [];
function informer(resyncMs = 600_000, pageSize?: number): Informer {
  refused = [];
  relists = [];
  const addr = server.address();
  const kc = new KubeConfig();
  kc.loadFromString(
    kubeconfigYaml(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`),
  );
  const kind = new DeploymentKind(createKubeClients(kc).apps);
  clock = 1_000_000;
  const lw = kindListWatch(kind, new Watch(kc), undefined, 'aiops.io/autoheal=enabled', pageSize);
  return new Informer(lw, {
    now: () => clock,
    resyncMs,
    watchTimeoutSeconds: 300,
    onWatchRefused: (status, why) => refused.push({ status, why }),
    onRelist: (why) => relists.push(why),
  });
}

const send = (type: string, object: unknown): void =>
  void api.watch!.write(`${JSON.stringify({ type, object })}\n`);

const names = (items: WorkloadObject[]): string[] =>
  items.map((o) => `${o.metadata?.name}:${o.spec?.replicas}`).sort();

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The first read, then until its watch runs (it starts after the LIST, off the read). */
async function listed(inf: Informer): Promise<WorkloadObject[]> {
  const items = await inf.items();
  await until('the watch', () => inf.synced);
  return items;
}

describe('Informer', () => {
  it('lists in pages: one call per page, watched from the first page resourceVersion', async () => {
    api.items = [dep('a', 1), dep('b', 2), dep('c', 3)];
    api.rv = 3;
    // the store moves on while the pages are read: the watch replays from the snapshot
    api.moveOn = true;
    const inf = informer(600_000, 2);
    expect(names(await listed(inf))).toEqual(['a:1', 'b:1', 'c:1']);
    expect(api.lists).toBe(2);
    expect(api.watches).toEqual(['3']);
    inf.stop();
  });

  it('an expired continue token (410) lists again from the first page, and says why', async () => {
    api.items = [dep('a', 1), dep('b', 2), dep('c', 3)];
    api.expire = 1;
    const inf = informer(600_000, 2);
    expect(names(await listed(inf))).toEqual(['a:1', 'b:1', 'c:1']);
    expect(api.lists).toBe(4); // page 1, page 2 expired, page 1, page 2
    expect(relists).toEqual(['list continue token expired (410), listing again (1)']);
    inf.stop();
  });

  it('lists once, then the watch keeps the cache current: reads cost no request', async () => {
    const inf = informer();
    expect(names(await listed(inf))).toEqual(['a:1', 'b:1']);
    expect(api.watches).toEqual(['2']); // watched from the list's resourceVersion
    send('MODIFIED', dep('a', 3, 4));
    send('ADDED', dep('c', 4));
    send('DELETED', dep('b', 5));
    send('BOOKMARK', { metadata: { resourceVersion: '9' } });
    await until('the events', async () => names(await inf.items()).join() === 'a:4,c:1');
    for (let i = 0; i < 5; i++) await listed(inf);
    expect(api.lists).toBe(1);
    expect(api.watches).toHaveLength(1);
    // the server ends the stream (its timeoutSeconds): resumed from the last resourceVersion
    api.watch!.end();
    await until('the watch to resume', () => api.watches.length === 2 && inf.synced);
    expect(api.watches[1]).toBe('9');
    expect(names(await inf.items())).toEqual(['a:4', 'c:1']);
    expect(api.lists).toBe(1);
    inf.stop();
  });

  it('410 Gone: the next read lists again and watches from the new resourceVersion', async () => {
    const inf = informer();
    await listed(inf);
    api.items = [dep('z', 50)];
    api.rv = 50;
    send('ERROR', { kind: 'Status', code: 410, message: 'too old resource version: 2 (40)' });
    // the cache is not served once the watch said it lost events
    await until('a relist', async () => names(await inf.items()).join() === 'z:1');
    expect(api.lists).toBe(2);
    await until('the new watch', () => api.watches.at(-1) === '50');
    inf.stop();
  });

  it('a broken watch fails closed: the read lists, and a failed list fails the read (never the cache)', async () => {
    const inf = informer();
    await listed(inf);
    // the connection drops while the API server is down
    api.listStatus = 500;
    api.watch!.destroy();
    await until('the read to fail', () =>
      inf.items().then(
        () => false,
        () => true,
      ),
    );
    api.listStatus = 200;
    api.items = [dep('a', 7, 2)];
    api.rv = 7;
    expect(names(await inf.items())).toEqual(['a:2']);
    await until('the new watch', () => api.watches.at(-1) === '7' && inf.synced);
    // the stream ends and the API server refuses the new watch: not served either
    api.watchStatus = 500;
    api.watch!.end();
    await until('the refused re-watch', () => api.watches.includes('refused'));
    const lists = api.lists;
    api.watchStatus = 200;
    await until('a relist', async () => (await inf.items()) && api.lists === lists + 1);
    // healthy again (the watch runs): served from the cache
    await until('the watch', () => inf.synced);
    await inf.items();
    expect(api.lists).toBe(lists + 1);
    inf.stop();
  });

  it.each([
    [403, 1],
    [401, 1],
    [500, 0],
  ])(
    'a watch refused with %d: reads keep listing, and an RBAC refusal is reported %d time(s), not once per read',
    async (status, reports) => {
      api.watchStatus = status;
      const inf = informer();
      expect(names(await inf.items())).toEqual(['a:1', 'b:1']);
      await until('the watch refused', () => api.watches.length === 1);
      expect(names(await inf.items())).toEqual(['a:1', 'b:1']);
      await until('the second watch refused', () => api.watches.length === 2);
      expect(api.lists).toBe(2);
      if (reports > 0) await until('the refusal reported', () => refused.length > 0);
      expect(refused.map((r) => r.status)).toEqual(reports > 0 ? [status] : []);
      inf.stop();
    },
  );

  it('a watch that never starts: every read lists (the cache is never served unwatched)', async () => {
    api.watchStatus = 0;
    const inf = informer();
    expect(names(await inf.items())).toEqual(['a:1', 'b:1']);
    api.items = [dep('a', 3, 5)];
    expect(names(await inf.items())).toEqual(['a:5']);
    expect(api.lists).toBe(2);
    expect(inf.synced).toBe(false);
    inf.stop();
  });

  it('reads at once share one LIST', async () => {
    const inf = informer();
    const all = await Promise.all([inf.items(), inf.items(), inf.items()]);
    expect(all.map(names)).toEqual([
      ['a:1', 'b:1'],
      ['a:1', 'b:1'],
      ['a:1', 'b:1'],
    ]);
    expect(api.lists).toBe(1);
    await until('one watch', () => inf.synced);
    expect(api.watches).toHaveLength(1);
    inf.stop();
  });

  it('resync: a read lists again after resyncMs even with a healthy watch', async () => {
    const inf = informer(60_000);
    await listed(inf);
    clock += 59_000;
    await listed(inf);
    expect(api.lists).toBe(1);
    clock += 1_000;
    await listed(inf);
    expect(api.lists).toBe(2);
    inf.stop();
  });

  it('a watch still open well past its timeoutSeconds is presumed dead: the read lists', async () => {
    const inf = informer();
    await listed(inf);
    clock += 300_000 + 30_000;
    await listed(inf);
    expect(api.lists).toBe(1);
    clock += 1;
    await listed(inf);
    expect(api.lists).toBe(2);
    inf.stop();
  });
});

describe('cacheCopy (what the informer keeps)', () => {
  it('drops managedFields and undefined properties, keeps every value the healer reads', () => {
    const created = new Date('2026-11-30T10:00:00Z');
    const listed = {
      apiVersion: 'apps/v1',
      kind: undefined,
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '7',
        creationTimestamp: created,
        labels: { app: 'web' },
        annotations: { 'aiops.io/heal-state': '{"phase":"healthy"}' },
        managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
        finalizers: undefined,
      },
      spec: {
        replicas: 3,
        paused: undefined,
        template: {
          metadata: { labels: { app: 'web' }, managedFields: [{ kept: 'not top-level' }] },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'web:1',
                env: [{ name: 'A', value: '1', valueFrom: undefined }],
              },
            ],
          },
        },
      },
      status: {
        replicas: 3,
        conditions: [{ type: 'Available', status: 'True', reason: undefined }],
      },
    };
    const kept = cacheCopy(listed as unknown as WorkloadObject);
    expect(kept).toEqual({
      apiVersion: 'apps/v1',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '7',
        creationTimestamp: created,
        labels: { app: 'web' },
        annotations: { 'aiops.io/heal-state': '{"phase":"healthy"}' },
      },
      spec: {
        replicas: 3,
        template: {
          metadata: { labels: { app: 'web' }, managedFields: [{ kept: 'not top-level' }] },
          spec: { containers: [{ name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }] }] },
        },
      },
      status: { replicas: 3, conditions: [{ type: 'Available', status: 'True' }] },
    });
    expect(Object.keys(kept.metadata!)).not.toContain('managedFields');
    expect(Object.keys(kept.spec!)).not.toContain('paused');
    expect(kept.metadata!.creationTimestamp).toBeInstanceOf(Date);
  });

  // What each kind's view, the heal state and the rules read must survive the trim: a field the
  // healer starts reading later and the cache drops fails here, not silently in a cluster.
  const lastApplied = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', spec: {} });
  const meta = (extra: Record<string, string> = {}) => ({
    name: 'web',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion: '7',
    generation: 5,
    deletionTimestamp: '2026-11-30T10:05:00Z',
    labels: { app: 'web', 'aiops.io/autoheal': 'enabled' },
    annotations: {
      ...(stateAnnotations(
        toPersisted({
          ...INITIAL_MEMORY,
          phase: 'stabilising',
          step: 2,
          attempt: 1,
          episodeStartedAt: 1,
        }),
      ) as Record<string, string>),
      'aiops.io/paused-until': '2026-12-01T00:00:00Z',
      'deployment.kubernetes.io/revision': '4',
      [LAST_APPLIED_ANNOTATION]: lastApplied,
      ...extra,
    },
    managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
  });
  const template = {
    metadata: { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': 't' } },
    spec: { containers: [{ name: 'web', image: 'web:2', env: [{ name: 'A', value: '1' }] }] },
  };
  const conditions = [
    {
      type: 'Progressing',
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "web-5d9" has timed out progressing.',
      lastUpdateTime: '2026-11-30T10:00:00Z',
      lastTransitionTime: '2026-11-30T09:50:00Z',
    },
  ];

  it("keeps every field a Deployment's view, heal state and rules read", () => {
    const listed = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(),
      spec: { replicas: 3, paused: true, progressDeadlineSeconds: 120, template },
      status: {
        observedGeneration: 4,
        replicas: 4,
        updatedReplicas: 2,
        availableReplicas: 1,
        unavailableReplicas: 3,
        conditions,
      },
    };
    const asListed = listed as unknown as V1Deployment;
    const kept = cacheCopy(asListed);
    expect(deploymentView(kept, { release: true })).toEqual(
      deploymentView(asListed, { release: true }),
    );
    expect(deploymentView(kept).deadlineExceeded).toBe(true);
    expect(readPersisted(kept)).toEqual(readPersisted(asListed));
    expect(readPersisted(kept).state).toBeDefined();
    const { [LAST_APPLIED_ANNOTATION]: _dropped, ...annotations } = listed.metadata.annotations;
    expect(kept.metadata?.annotations).toEqual(annotations);
    expect(kept.metadata?.labels).toEqual(listed.metadata.labels);
    expect(kept.spec?.template).toEqual(template);
    // what is dropped
    expect(Object.keys(kept.metadata?.annotations ?? {})).not.toContain(LAST_APPLIED_ANNOTATION);
    expect(Object.keys(kept.metadata ?? {})).not.toContain('managedFields');
    expect((kept.status as { conditions: unknown[] }).conditions).toEqual([
      { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
    ]);
  });

  it("keeps every field a Rollout's view reads (pause conditions, promotion, restart)", () => {
    const listed: ArgoRollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: meta() as never,
      spec: {
        replicas: 3,
        template,
        restartAt: '2026-11-30T10:00:00Z',
        workloadRef: { name: 'w' },
      },
      status: {
        observedGeneration: '4',
        replicas: 4,
        updatedReplicas: 2,
        availableReplicas: 1,
        currentPodHash: 'abc',
        stableRS: 'def',
        phase: 'Paused',
        pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-11-30T09:59:00Z' }],
        controllerPause: true,
        restartedAt: '2026-11-30T09:00:00Z',
        conditions: conditions as never,
      },
    };
    const kept = cacheCopy(listed);
    expect(rolloutView(kept, { release: true })).toEqual(rolloutView(listed, { release: true }));
    expect(rolloutView(kept).pausedBy).toContain('CanaryPauseStep since 2026-11-30T09:59:00Z');
    expect(rolloutView(kept).unfinished).toContain('not promoted');
    expect(kept.spec).toEqual(listed.spec);
    expect(kept.status?.pauseConditions).toEqual(listed.status?.pauseConditions);
  });
});
