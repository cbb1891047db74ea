/**
 * The deployment list is parsed as plain JSON (not through client-node's typed deserialisation),
 * against a local HTTP server speaking the list endpoints: the fields the healer reads arrive, and
 * an error answer is still client-node's ApiException with its status.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { createKubeClients } from './kube.js';

let server: Server;
let status: number;
let paths: string[];
const deployment = {
  metadata: {
    name: 'api',
    namespace: 'prod',
    uid: 'u-1',
    generation: 3,
    creationTimestamp: '2026-11-30T01:02:03Z',
    annotations: { 'aiops.io/heal-state': '{}' },
  },
  spec: { replicas: 2, paused: true, template: { metadata: { labels: { app: 'api' } } } },
  status: { observedGeneration: 3, availableReplicas: 2, updatedReplicas: 2 },
};

beforeEach(async () => {
  status = 200;
  paths = [];
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        status === 200
          ? { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: {}, items: [deployment] }
          : { kind: 'Status', status: 'Failure', code: status, message: 'nope' },
      ),
    );
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
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return createKubeClients(kc);
}

describe('deployment lists as plain JSON', () => {
  it('all namespaces: the objects as the API sent them (timestamps stay strings)', async () => {
    const list = await clients().apps.listDeploymentForAllNamespaces({
      labelSelector: 'aiops.io/autoheal=enabled',
    });
    expect(paths[0]).toBe('/apis/apps/v1/deployments?labelSelector=aiops.io%2Fautoheal%3Denabled');
    expect(list.items).toEqual([deployment]);
    expect(typeof list.items[0]!.metadata!.creationTimestamp).toBe('string');
  });

  it('one namespace: the same', async () => {
    const list = await clients().apps.listNamespacedDeployment({ namespace: 'prod' });
    expect(paths[0]).toBe('/apis/apps/v1/namespaces/prod/deployments');
    expect(list.items[0]!.spec!.paused).toBe(true);
  });

  it.each([401, 403, 500])('an HTTP %i answer is an ApiException with its code', async (code) => {
    status = code;
    const err = await clients()
      .apps.listDeploymentForAllNamespaces({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(code);
  });

  it('other calls stay typed (a read deserialises timestamps to Dates)', async () => {
    server.removeAllListeners('request');
    server.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(deployment));
    });
    const d = await clients().apps.readNamespacedDeployment({ namespace: 'prod', name: 'api' });
    expect(d.metadata!.creationTimestamp).toBeInstanceOf(Date);
  });
});
