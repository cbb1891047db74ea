import type { Clock } from '../clock.js';
import type { Rng } from '../rng.js';
import { NODES, PODS, REPLICASETS, type Cluster } from '../cluster/cluster.js';
import { storageKey } from '../cluster/store.js';
import type { ContainerState, ContainerStatus, Node, Pod, ReplicaSet } from '../cluster/types.js';
import type { FaultEngine } from '../faults/engine.js';
import type { SignalEffect } from '../faults/types.js';
import {
  diurnalFactor,
  LATENCY_BUCKETS,
  LATENCY_SIGMA,
  latencyCdf,
  podSignals,
  type PodSignals,
} from '../metrics/podSignals.js';
import { defaultWorkload, type WorkloadSpec } from '../workloads.js';
import { isNodeReady } from './replicasets.js';
import type { EventRecorder } from './recorder.js';

/** Counters of one container incarnation; they restart from zero when the container does. */
export interface ContainerCounters {
  cpuSeconds: number;
  rxBytes: number;
  cfsPeriods: number;
  cfsThrottled: number;
  requests: { '200': number; '500': number; '503': number };
  /** Cumulative counts per `LATENCY_BUCKETS` bound, then +Inf. */
  buckets: number[];
  latencySum: number;
}

/** What the kubelet knows about one pod beyond its API object. */
export interface PodRuntime {
  uid: string;
  namespace: string;
  pod: string;
  deployment?: string;
  container: string;
  image: string;
  node?: string;
  /** Allocated when the pod is bound; unique while the simulation runs (pods/proxy routes by it). */
  podIP?: string;
  cpuLimitCores: number;
  memoryLimitBytes: number;
  running: boolean;
  startedAt: number;
  restarts: number;
  consecutiveFailures: number;
  backoffUntil: number;
  ready: boolean;
  nodeLost: boolean;
  lastTerminated?: { reason: string; exitCode: number; startedAt: number; finishedAt: number };
  containerId: string;
  counters: ContainerCounters;
  signals?: PodSignals;
  memoryBytes: number;
  /** What the last status write was computed from (see writeStatus). */
  statusSig?: string;
}

const emptyCounters = (): ContainerCounters => ({
  cpuSeconds: 0,
  rxBytes: 0,
  cfsPeriods: 0,
  cfsThrottled: 0,
  requests: { '200': 0, '500': 0, '503': 0 },
  buckets: LATENCY_BUCKETS.map(() => 0).concat(0),
  latencySum: 0,
});

/** Seconds a crashing container runs before it exits. */
const CRASH_AFTER_SEC = 5;
/** Kubelet's back-off: 10 s doubling to 5 min, reset after 10 min of clean running. */
const backoffSec = (failures: number): number =>
  failures <= 1 ? 0 : Math.min(300, 10 * 2 ** (failures - 2));

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The kubelet and the pods' workloads: starts containers, runs readiness, crashes and OOM-kills
 * them as their faults dictate, and integrates each pod's signals into the counters `/metrics`
 * exposes. One `step(dt)` is one slice of virtual time.
 */
export class Kubelet {
  readonly runtimes = new Map<string, PodRuntime>();
  private ipSeq = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly faults: FaultEngine,
    private readonly workloads: Map<string, WorkloadSpec>,
    private readonly events: EventRecorder,
  ) {}

  workloadOf(namespace: string, deployment: string | undefined): WorkloadSpec {
    return (
      this.workloads.get(`${namespace}/${deployment}`) ??
      defaultWorkload(namespace, deployment ?? 'unknown')
    );
  }

  step(dtSec: number): void {
    const store = this.cluster.store;
    const now = this.clock.now();
    const nodes = new Map(
      store.peek<Node>(storageKey(NODES)).map((n) => [n.metadata.name, isNodeReady(n)]),
    );
    const rsOwner = new Map(
      store
        .peek<ReplicaSet>(storageKey(REPLICASETS))
        .map((rs) => [
          rs.metadata.uid,
          rs.metadata.ownerReferences?.find((o) => o.kind === 'Deployment' || o.kind === 'Rollout')
            ?.name,
        ]),
    );
    const pods = store.peek<Pod>(storageKey(PODS));
    const seen = new Set<string>();
    const byDeployment = new Map<string, { pod: Pod; rt: PodRuntime }[]>();

    for (const pod of pods) {
      seen.add(pod.metadata.uid);
      const rsUid = pod.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.uid;
      const deployment = rsUid ? rsOwner.get(rsUid) : undefined;
      const spec = this.workloadOf(pod.metadata.namespace!, deployment);
      const rt = this.runtimes.get(pod.metadata.uid) ?? this.admit(pod, deployment, spec);
      if (rt.node === undefined && pod.spec.nodeName) {
        // Bound since admission: the container starts now.
        rt.node = pod.spec.nodeName;
        rt.podIP = this.allocateIp();
        rt.running = true;
        rt.startedAt = now;
      }
      rt.nodeLost = rt.node !== undefined && nodes.get(rt.node) === false;
      const key = `${rt.namespace}/${deployment}`;
      if (!byDeployment.has(key)) byDeployment.set(key, []);
      byDeployment.get(key)!.push({ pod, rt });
    }
    for (const uid of this.runtimes.keys()) if (!seen.has(uid)) this.runtimes.delete(uid);

    for (const group of byDeployment.values()) {
      const first = group[0]!.rt;
      const spec = this.workloadOf(first.namespace, first.deployment);
      const effects = group.map(({ pod, rt }) =>
        this.faults.effectsFor(pod, rt.deployment, {
          containerAgeSec: rt.running ? (now - rt.startedAt) / 1000 : 0,
          podRps: 0,
        }),
      );
      for (let i = 0; i < group.length; i++)
        this.lifecycle(group[i]!.pod, group[i]!.rt, spec, effects[i]!, now);
      const ready = group.filter(({ rt }) => rt.ready).length;
      const loadMult = Math.max(1, ...effects.map((e) => e.loadMultiplier));
      const rps = spec.baseRps * diurnalFactor(now) * loadMult * this.rng.jitter(0.05);
      for (let i = 0; i < group.length; i++) {
        const { rt } = group[i]!;
        const podRps = rt.ready ? rps / ready : 0;
        this.integrate(rt, spec, podRps, effects[i]!, dtSec);
      }
    }
    for (const pod of pods) {
      const rt = this.runtimes.get(pod.metadata.uid);
      if (rt) this.writeStatus(pod, rt, now);
    }
  }

  private admit(pod: Pod, deployment: string | undefined, spec: WorkloadSpec): PodRuntime {
    const c = pod.spec.containers[0]!;
    const rt: PodRuntime = {
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace!,
      pod: pod.metadata.name,
      deployment,
      container: c.name,
      image: c.image,
      node: pod.spec.nodeName,
      podIP: pod.spec.nodeName ? this.allocateIp() : undefined,
      cpuLimitCores: parseCpu(c.resources?.limits?.cpu) ?? spec.cpuLimitCores,
      memoryLimitBytes: parseBytes(c.resources?.limits?.memory) ?? spec.memoryLimitBytes,
      running: pod.spec.nodeName !== undefined,
      startedAt: this.clock.now(),
      restarts: 0,
      consecutiveFailures: 0,
      backoffUntil: 0,
      ready: false,
      nodeLost: false,
      containerId: this.newContainerId(),
      counters: emptyCounters(),
      memoryBytes: 0,
    };
    this.runtimes.set(rt.uid, rt);
    return rt;
  }

  /** The pod network's next address: 10.244.0.1, .2 … (never on the wire; see agent/egress.ts). */
  private allocateIp(): string {
    const n = this.ipSeq++;
    return `10.244.${Math.floor(n / 250) % 256}.${1 + (n % 250)}`;
  }

  /** The running pod that has this IP, for pods/proxy through the apiserver's egress. */
  byIp(ip: string): PodRuntime | undefined {
    for (const rt of this.runtimes.values()) if (rt.podIP === ip) return rt;
    return undefined;
  }

  private newContainerId(): string {
    return `containerd://${Array.from({ length: 64 }, () => this.rng.int(16).toString(16)).join('')}`;
  }

  private lifecycle(
    pod: Pod,
    rt: PodRuntime,
    spec: WorkloadSpec,
    effect: Required<SignalEffect>,
    now: number,
  ): void {
    if (rt.node === undefined) return;
    if (!rt.running && now >= rt.backoffUntil) {
      rt.running = true;
      rt.restarts++;
      rt.startedAt = now;
      rt.containerId = this.newContainerId();
      rt.counters = emptyCounters();
    }
    if (rt.running) {
      const age = (now - rt.startedAt) / 1000;
      if (age >= 600) rt.consecutiveFailures = 0;
      const limit = rt.memoryLimitBytes;
      if (effect.crash && age >= CRASH_AFTER_SEC) this.terminate(pod, rt, 'Error', 1, now);
      else if (rt.memoryBytes >= limit) this.terminate(pod, rt, 'OOMKilled', 137, now);
    }
    const age = (now - rt.startedAt) / 1000;
    rt.ready =
      rt.running &&
      !rt.nodeLost &&
      !effect.notReady &&
      !effect.crash &&
      age >= spec.readinessDelaySec;
  }

  private terminate(pod: Pod, rt: PodRuntime, reason: string, exitCode: number, now: number): void {
    rt.running = false;
    rt.ready = false;
    rt.consecutiveFailures++;
    rt.lastTerminated = { reason, exitCode, startedAt: rt.startedAt, finishedAt: now };
    rt.backoffUntil = now + backoffSec(rt.consecutiveFailures) * 1000;
    rt.memoryBytes = 0;
    if (reason === 'OOMKilled')
      this.events.record(
        pod,
        'Warning',
        'OOMKilling',
        `Memory cgroup out of memory: Killed process (${rt.container})`,
        'kubelet',
      );
    if (rt.backoffUntil > now)
      this.events.record(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${rt.container} in pod ${rt.pod}`,
        'kubelet',
      );
  }

  private integrate(
    rt: PodRuntime,
    spec: WorkloadSpec,
    podRps: number,
    effect: Required<SignalEffect>,
    dt: number,
  ): void {
    if (!rt.running || rt.nodeLost) {
      rt.signals = undefined;
      return;
    }
    const s = podSignals({ ...spec, cpuLimitCores: rt.cpuLimitCores }, podRps, effect, {
      cpu: this.rng.jitter(0.05),
      memory: 1 + 0.01 * this.rng.normal(),
      latency: this.rng.jitter(0.05),
      errors: this.rng.jitter(0.1),
    });
    rt.signals = s;
    rt.memoryBytes = s.memoryBytes;
    const c = rt.counters;
    c.cpuSeconds += s.cpuUsageCores * dt;
    c.rxBytes += s.rxBytesPerSec * dt;
    c.cfsPeriods += 10 * dt;
    c.cfsThrottled += 10 * dt * s.throttleFraction;
    const n = s.rps * dt;
    c.requests['200'] += n * (1 - s.errorRate);
    c.requests['500'] += n * s.errorRate * 0.7;
    c.requests['503'] += n * s.errorRate * 0.3;
    LATENCY_BUCKETS.forEach((le, i) => {
      c.buckets[i]! += n * latencyCdf(le, s.latencyMedianSeconds);
    });
    c.buckets[LATENCY_BUCKETS.length]! += n;
    c.latencySum += n * s.latencyMedianSeconds * Math.exp((LATENCY_SIGMA * LATENCY_SIGMA) / 2);
  }

  private writeStatus(pod: Pod, rt: PodRuntime, now: number): void {
    // Rebuilding and comparing the status is the hot path: skip it when nothing it shows moved.
    const sig = `${rt.node}|${rt.running}|${rt.ready}|${rt.nodeLost}|${rt.restarts}|${rt.containerId}|${rt.consecutiveFailures}|${pod.metadata.resourceVersion}`;
    if (sig === rt.statusSig) return;
    rt.statusSig = sig;
    const prev = pod.status;
    const keep = (
      type: string,
      status: 'True' | 'False' | 'Unknown',
    ): {
      type: string;
      status: 'True' | 'False' | 'Unknown';
      lastProbeTime: null;
      lastTransitionTime: string;
    } => {
      const old = prev?.conditions?.find((c) => c.type === type);
      return {
        type,
        status,
        lastProbeTime: null,
        lastTransitionTime:
          old && old.status === status && old.lastTransitionTime
            ? old.lastTransitionTime
            : iso(now),
      };
    };
    const readyStatus = rt.nodeLost ? 'Unknown' : rt.ready ? 'True' : 'False';
    let state: ContainerState;
    if (rt.node === undefined) state = { waiting: { reason: 'ContainerCreating' } };
    else if (rt.running) state = { running: { startedAt: iso(rt.startedAt) } };
    else
      state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${backoffSec(rt.consecutiveFailures)}s restarting failed container=${rt.container} pod=${rt.pod}_${rt.namespace}(${rt.uid})`,
        },
      };
    const lt = rt.lastTerminated;
    const cs: ContainerStatus = {
      name: rt.container,
      image: rt.image,
      imageID: `${rt.image.split(':')[0]}@sha256:${rt.uid.replaceAll('-', '').padEnd(64, '0').slice(0, 64)}`,
      containerID: rt.containerId,
      ready: rt.ready,
      started: rt.running,
      restartCount: rt.restarts,
      state,
      lastState: lt
        ? {
            terminated: {
              exitCode: lt.exitCode,
              reason: lt.reason,
              startedAt: iso(lt.startedAt),
              finishedAt: iso(lt.finishedAt),
              containerID: rt.containerId,
            },
          }
        : {},
    };
    const status: Pod['status'] = {
      phase: rt.node === undefined ? 'Pending' : 'Running',
      conditions: [
        keep('PodReadyToStartContainers', rt.node ? 'True' : 'False'),
        keep('Initialized', 'True'),
        keep('Ready', readyStatus),
        keep('ContainersReady', readyStatus),
        keep('PodScheduled', rt.node ? 'True' : 'False'),
      ],
      hostIP: rt.node ? `10.0.0.${1 + (rt.node.charCodeAt(rt.node.length - 1) % 200)}` : undefined,
      podIP: rt.podIP,
      startTime: pod.metadata.creationTimestamp,
      containerStatuses: [cs],
      // The apiserver sets the QoS class at creation and refuses to change it.
      qosClass: prev?.qosClass ?? 'Burstable',
    };
    if (JSON.stringify(JSON.parse(JSON.stringify(status))) !== JSON.stringify(prev))
      this.cluster.store.mutate<Pod>(
        storageKey(PODS),
        pod.metadata.namespace,
        pod.metadata.name,
        (p) => {
          p.status = JSON.parse(JSON.stringify(status)) as Pod['status'];
        },
      );
  }
}

/** `500m` → 0.5, `1` → 1. */
export function parseCpu(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  if (!m) return undefined;
  return m[2] === 'm' ? Number(m[1]) / 1000 : Number(m[1]);
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

/** `256Mi` → 268435456. */
export function parseBytes(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G|)$/.exec(q);
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}
