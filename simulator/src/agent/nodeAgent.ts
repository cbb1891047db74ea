import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendError, sendJson } from '../api/http.js';
import { handleSim } from '../api/sim.js';
import type { ApiContext } from '../api/context.js';
import { ScaledClock, type Clock } from '../clock.js';
import { DEPLOYMENTS, EVENTS, HPAS, PODS, ROLLOUTS } from '../cluster/cluster.js';
import { routeNotFound } from '../cluster/errors.js';
import { storageKey } from '../cluster/store.js';
import type { KubeObject, Pod } from '../cluster/types.js';
import { guardStep } from '../guardStep.js';
import { collectMetrics } from '../metrics/collect.js';
import { NODE_NAMES, Simulation } from '../simulator.js';
import { workloadObjects, type WorkloadSpec } from '../workloads.js';
import { ApiFaultActuator } from './apiFaultActuator.js';
import { startEgress } from './egress.js';
import { KubeApiError, KubeClient } from './kubeClient.js';
import { Mirror } from './mirror.js';
import { NodeFleet } from './nodes.js';
import { Outbox } from './outbox.js';

export interface NodeAgentOptions {
  /** Admin kubeconfig of the real control plane. */
  kubeconfig: string;
  /** The Unix socket the apiserver's `cluster` egress dials (see egress.ts); omit to serve no pod ports. */
  egressSocket?: string;
  port?: number;
  host?: string;
  seed?: number;
  clock?: Clock;
  /** Workloads to create through the apiserver (and whose pods behave as specified). */
  workloads?: WorkloadSpec[];
  /** Wall ms between steps (default 250) and between node heartbeats (default 10 000). */
  tickMs?: number;
  heartbeatMs?: number;
  log?: (line: string) => void;
}

export interface RunningNodeAgent {
  /** `/metrics` (kube-state-metrics, cAdvisor, apps) and `/sim/*` (faults, state). */
  readonly url: string;
  readonly sim: Simulation;
  stop(): Promise<void>;
}

/**
 * The simulator as the node agent of a real control plane (as KWOK is): it mirrors the cluster
 * into a `Simulation` on the `external` control plane, registers fake Nodes and heartbeats them,
 * binds Pending pods, runs the same kubelet and fault engine as the fake API server and writes
 * the pods' status back, serves the pods' HTTP port to pods/proxy through the apiserver's
 * egress, and exports the metrics Prometheus scrapes — computed from the real objects.
 */
export async function startNodeAgent(opts: NodeAgentOptions): Promise<RunningNodeAgent> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const clock = opts.clock ?? new ScaledClock(1);
  const client = KubeClient.fromKubeconfig(opts.kubeconfig);
  const outbox = new Outbox(log);
  let actuator: ApiFaultActuator | undefined;
  const sim = new Simulation(clock, opts.seed ?? 1, {
    controlPlane: 'external',
    actuator: (s) => (actuator = new ApiFaultActuator(client, outbox, s.cluster, s.clock)),
  });
  const mirror = new Mirror(client, sim.store, log);
  const version = await client.request<{ gitVersion: string }>('GET', '/version');
  const fleet = new NodeFleet(
    client,
    sim.store,
    outbox,
    NODE_NAMES,
    actuator!.lostNodes,
    () => clock.now(),
    version.gitVersion,
  );

  // The kubelet's own writes (pod status, its Events) go to the apiserver; the mirror's don't.
  const PKEY = storageKey(PODS);
  const EKEY = storageKey(EVENTS);
  const dirtyPods = new Map<string, Pod>();
  const newEvents: KubeObject[] = [];
  sim.store.subscribe((e) => {
    if (mirror.applying) return;
    if (e.key === PKEY && e.type === 'MODIFIED')
      dirtyPods.set(e.object.metadata.uid, e.object as Pod);
    if (e.key === EKEY && e.type === 'ADDED') newEvents.push(e.object);
  });
  const flush = (): void => {
    for (const p of dirtyPods.values()) {
      const { namespace, name } = p.metadata;
      outbox.send(`status of ${namespace}/${name}`, () =>
        client
          .request(
            'PATCH',
            `/api/v1/namespaces/${namespace}/pods/${name}/status`,
            { metadata: { uid: p.metadata.uid }, status: p.status },
            'application/merge-patch+json',
          )
          .catch((err: unknown) => {
            // gone, or replaced by a pod of the same name: nothing to report on
            if (!(err instanceof KubeApiError && (err.status === 404 || err.status === 409)))
              throw err;
          }),
      );
    }
    dirtyPods.clear();
    for (const ev of newEvents.splice(0)) {
      const { namespace, name } = ev.metadata;
      sim.store.delete(EKEY, namespace, name);
      const { metadata, ...rest } = ev;
      outbox.send(`event ${String(ev.reason)} on ${namespace}`, () =>
        client.request('POST', `/api/v1/namespaces/${namespace}/events`, {
          ...rest,
          metadata: { generateName: metadata.generateName ?? `${name}.`, namespace },
        }),
      );
    }
  };

  await fleet.register();
  await mirror.start();
  for (const w of opts.workloads ?? []) await createWorkload(client, sim, w);

  const step = (): void => {
    sim.advanceTo(clock.now());
    fleet.bindPending();
    fleet.confirmDeletions();
    flush();
  };
  const safeStep = guardStep(step, 'agent', log);
  const stepTimer = setInterval(safeStep, opts.tickMs ?? 250);
  const beatTimer = setInterval(() => fleet.heartbeat(), opts.heartbeatMs ?? 10_000);
  const egress = opts.egressSocket ? await startEgress(opts.egressSocket, sim, log) : undefined;

  const ctx: ApiContext = {
    sim,
    serverAddress: '',
    metrics: () => collectMetrics(sim),
    // A fault's patch (a bad release) has reached the apiserver before POST /sim/faults answers.
    settle: () => outbox.drain(),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req, res, ctx).catch((err: unknown) => sendError(res, err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  ctx.serverAddress = `${opts.host ?? '127.0.0.1'}:${port}`;
  log(
    `agent: nodes ${NODE_NAMES.join(', ')} on ${client.endpoint.server} (${version.gitVersion}); metrics and faults at ${url}`,
  );

  return {
    url,
    sim,
    async stop() {
      clearInterval(stepTimer);
      clearInterval(beatTimer);
      mirror.stop();
      await egress?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await outbox.drain().catch(() => undefined);
      client.close();
    },
  };
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/readyz')) {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return;
  }
  if (req.method === 'GET' && url.pathname === '/metrics') {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(ctx.metrics());
    return;
  }
  if (url.pathname.startsWith('/sim/')) return handleSim(req, res, url, ctx);
  // The mirrored pods, read-only: what the healer's SimulatorFeatureSource reads limits from.
  if (req.method === 'GET' && url.pathname === '/api/v1/pods')
    return sendJson(res, 200, {
      apiVersion: 'v1',
      kind: 'PodList',
      items: ctx.sim.cluster.list(PODS, undefined),
    });
  throw routeNotFound();
}

/** Creates a workload's namespace, Deployment and HPA through the apiserver (existing ones kept). */
async function createWorkload(client: KubeClient, sim: Simulation, w: WorkloadSpec): Promise<void> {
  sim.addWorkload(w);
  const create = (path: string, body: unknown) =>
    client.request('POST', path, body).catch((err: unknown) => {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    });
  await create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: w.namespace },
  });
  const { workload, hpa } = workloadObjects(w);
  // A Rollout needs the Argo Rollouts CRD installed (and something playing its controller).
  const def = w.kind === 'Rollout' ? ROLLOUTS : DEPLOYMENTS;
  await create(
    `/apis/${def.group}/${def.version}/namespaces/${w.namespace}/${def.resource}`,
    workload,
  );
  if (hpa) await create(`/apis/autoscaling/v2/namespaces/${w.namespace}/${HPAS.resource}`, hpa);
}
