// `node bench/listParse.mjs [N]`: the deployment list call at N (default 10,000) deployments, side
// by side in one process — client-node's typed AppsV1Api against the healer's (plain JSON lists) —
// served by a local HTTP server with realistic objects. Prints CPU ms and heap per list call.
import { createServer } from 'node:http';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { createKubeClients } from '@aiops/healer/actions/kube';

const N = Number(process.argv[2] ?? 10_000);
const item = (i) => ({
  metadata: {
    name: `app-${i}`,
    namespace: `bench-${i % 20}`,
    uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    resourceVersion: String(1000 + i),
    generation: 4,
    creationTimestamp: '2026-11-30T01:02:03Z',
    labels: { app: `app-${i}`, 'aiops.io/autoheal': 'enabled' },
    annotations: { 'deployment.kubernetes.io/revision': '4', 'aiops.io/heal-state': '{"v":1}' },
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: `app-${i}` } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: `app-${i}` } },
      spec: {
        containers: [
          {
            name: 'app',
            image: `registry.example/app-${i}:1.2.3`,
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            resources: {
              limits: { cpu: '500m', memory: '256Mi' },
              requests: { cpu: '100m', memory: '128Mi' },
            },
            readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 5 },
          },
        ],
      },
    },
  },
  status: {
    observedGeneration: 4,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    conditions: [
      {
        type: 'Available',
        status: 'True',
        lastUpdateTime: '2026-11-30T01:02:03Z',
        lastTransitionTime: '2026-11-30T01:02:03Z',
        reason: 'MinimumReplicasAvailable',
      },
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: '2026-11-30T01:02:03Z',
        lastTransitionTime: '2026-11-30T01:02:03Z',
        reason: 'NewReplicaSetAvailable',
      },
    ],
  },
});
const body = JSON.stringify({
  kind: 'DeploymentList',
  apiVersion: 'apps/v1',
  metadata: {},
  items: Array.from({ length: N }, (_, i) => item(i)),
});
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [
    { name: 'c', server: `http://127.0.0.1:${server.address().port}`, skipTLSVerify: true },
  ],
  users: [{ name: 'u', token: 't' }],
  contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
  currentContext: 'x',
});
const variants = { typed: kc.makeApiClient(AppsV1Api), plain: createKubeClients(kc).apps };
const results = { typed: [], plain: [] };
for (let round = 0; round < 5; round++) {
  for (const [name, apps] of Object.entries(variants)) {
    globalThis.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const cpu0 = process.cpuUsage();
    const list = await apps.listDeploymentForAllNamespaces({});
    const cpu = process.cpuUsage(cpu0);
    const heap = process.memoryUsage().heapUsed - heap0;
    if (list.items.length !== N) throw new Error(`${name}: ${list.items.length} items`);
    results[name].push({
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      heapMb: Math.round(heap / 2 ** 20),
    });
  }
}
server.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.fromEntries(
  Object.entries(results).map(([k, rs]) => [
    k,
    {
      medianCpuMs: median(rs.map((r) => r.cpuMs)),
      medianHeapMb: median(rs.map((r) => r.heapMb)),
      rounds: rs,
    },
  ]),
);
console.log(
  JSON.stringify(
    { deployments: N, bodyMb: +(body.length / 2 ** 20).toFixed(1), ...summary },
    null,
    2,
  ),
);
