// `node healer/bench/informerCache.mjs`: the heap the target informer's cache keeps for N
// Deployments (default 10,000; INFORMER_ROWS), each parsed from its own JSON text as a watch
// event is, then copied by `cacheCopy` into a Map, as `sources/informer.ts` does. Two shapes: as
// the bench's simulator serves them, and as a kubectl-applied Deployment comes from a real API
// server (managedFields, the last-applied-configuration annotation, env, probes, conditions with
// messages). Each build and shape runs in its own process (`--expose-gc`, heap after a full GC).
// BENCH_BASELINE_DIR=<another build's healer/> runs that build's cacheCopy too, before this one's;
// BENCH_OUT=file.json writes bench/results/file.json (default: print only).
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROWS = Number(process.env.INFORMER_ROWS ?? 10_000);

/** A Deployment as the simulator serves it (simulator/src/workloads.ts, controller). */
function simulatorShape(i) {
  const name = `app-${i}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: `bench-${i % 10}`,
      uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(1000 + i),
      generation: 1,
      creationTimestamp: '2026-12-01T00:00:00Z',
      labels: { app: name, 'aiops.io/autoheal': 'enabled' },
      annotations: { 'kubernetes.io/change-cause': `initial release registry.local/app:1.0.${i}` },
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name,
              image: `registry.local/app:1.0.${i}`,
              ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
              resources: {
                limits: { cpu: '500m', memory: '256Mi' },
                requests: { cpu: '250m', memory: '128Mi' },
              },
            },
          ],
        },
      },
    },
    status: {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
          lastUpdateTime: '2026-12-01T00:00:10Z',
          lastTransitionTime: '2026-12-01T00:00:10Z',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${name}-5d8f7c9b4" has successfully progressed.`,
          lastUpdateTime: '2026-12-01T00:00:10Z',
          lastTransitionTime: '2026-12-01T00:00:00Z',
        },
      ],
    },
  };
}

/** The same Deployment applied with kubectl, as a real API server returns it. */
function kubectlShape(i) {
  const d = simulatorShape(i);
  const c = d.spec.template.spec.containers[0];
  c.env = Array.from({ length: 8 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${k}-${i}` }));
  c.readinessProbe = { httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP' }, periodSeconds: 5 };
  c.livenessProbe = { httpGet: { path: '/livez', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 };
  c.imagePullPolicy = 'IfNotPresent';
  c.terminationMessagePath = '/dev/termination-log';
  d.spec.template.spec.restartPolicy = 'Always';
  d.spec.template.spec.dnsPolicy = 'ClusterFirst';
  d.spec.revisionHistoryLimit = 10;
  d.spec.progressDeadlineSeconds = 600;
  d.spec.strategy.rollingUpdate = { maxSurge: '25%', maxUnavailable: '25%' };
  const applied = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: d.metadata.name,
      namespace: d.metadata.namespace,
      labels: d.metadata.labels,
    },
    spec: { replicas: 3, selector: d.spec.selector, template: structuredClone(d.spec.template) },
  };
  d.metadata.annotations['deployment.kubernetes.io/revision'] = '1';
  d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] =
    JSON.stringify(applied) + '\n';
  d.metadata.managedFields = [
    {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-12-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': {
          'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
          'f:labels': { '.': {}, 'f:app': {} },
        },
        'f:spec': {
          'f:replicas': {},
          'f:template': {
            'f:spec': {
              'f:containers': {
                [`k:{"name":"${d.metadata.name}"}`]: { '.': {}, 'f:env': {}, 'f:image': {} },
              },
            },
          },
        },
      },
    },
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-12-01T00:00:10Z',
      fieldsType: 'FieldsV1',
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:replicas': {}, 'f:availableReplicas': {} } },
    },
  ];
  return d;
}

const SHAPES = { simulator: 'simulatorShape', 'kubectl-applied': 'kubectlShape' };

// The child: N watch events' JSON texts, each parsed and cached; the heap before and after.
const CHILD = `
const { cacheCopy } = await import(process.argv[1]);
${simulatorShape}
${kubectlShape}
const shape = SHAPE;
const texts = Array.from({ length: ${ROWS} }, (_, i) => JSON.stringify(shape(i)));
const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
const before = heap();
const cache = new Map();
const t0 = process.cpuUsage();
for (const t of texts) { const o = JSON.parse(t); cache.set(o.metadata.namespace + '/' + o.metadata.name, cacheCopy(o)); }
const cpu = process.cpuUsage(t0);
const after = heap();
console.log(JSON.stringify({ cacheMb: (after - before) / 1048576, copyMs: (cpu.user + cpu.system) / 1000, size: cache.size, texts: texts.length }));
`;

function run(healer, shape) {
  const res = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--input-type=module',
      '-e',
      CHILD.replace('SHAPE', SHAPES[shape]),
      pathToFileURL(join(healer, 'dist/src/sources/informer.js')).href,
    ],
    { encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(res.stderr);
  const r = JSON.parse(res.stdout.trim().split('\n').at(-1));
  return { cacheMb: +r.cacheMb.toFixed(1), copyMs: Math.round(r.copyMs) };
}

const builds = [
  ...(process.env.BENCH_BASELINE_DIR
    ? [['baseline', resolve(process.env.BENCH_BASELINE_DIR)]]
    : []),
  ['current', join(HERE, '..')],
];
const rows = [];
for (const shape of Object.keys(SHAPES))
  for (const [variant, dir] of builds)
    rows.push({ shape, variant, rows: ROWS, ...run(dir, shape) });
console.table(rows);
if (process.env.BENCH_OUT) {
  const out = join(HERE, '..', '..', 'bench', 'results', process.env.BENCH_OUT);
  const command = 'node healer/bench/informerCache.mjs';
  await writeFile(out, JSON.stringify({ command, loadavg: loadavg(), rows }, null, 2) + '\n');
  console.log(`wrote ${out}`);
}
