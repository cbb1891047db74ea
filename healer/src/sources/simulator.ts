/**
 * Features straight from the simulator (`GET /sim/state` for live pod signals, `GET /api/v1/pods`
 * for container limits), for the demo and scenario tests without a Prometheus. It computes what
 * the default PromQL templates compute, from the same signals the simulator exports as metrics:
 * one HTTP round trip pair per cycle, whatever the number of deployments.
 */
import type { FeatureName } from '@aiops/model';
import axios, { type AxiosInstance } from 'axios';
import { targetKey, type FeatureResult, type FeatureSource, type Target } from './types.js';
import { buildInstance, type Sample } from './vector.js';

interface SimPodSignals {
  rps: number;
  errorRate: number;
  cpuUsageCores: number;
  throttleFraction: number;
  memoryBytes: number;
  latencyMedianSeconds: number;
  rxBytesPerSec: number;
}

interface SimState {
  deployments: { namespace: string; name: string; replicas?: number; availableReplicas?: number }[];
  pods: {
    namespace: string;
    name: string;
    deployment?: string;
    restarts: number;
    running: boolean;
    signals?: SimPodSignals;
  }[];
}

interface PodList {
  items: {
    metadata?: { namespace?: string; name?: string };
    spec?: { containers?: { resources?: { limits?: Record<string, string> } }[] };
  }[];
}

/** `500m` → 0.5, `2` → 2; `256Mi` → bytes. Unknown forms → NaN. */
export function parseQuantity(q: string | undefined): number {
  if (q === undefined) return Number.NaN;
  const m = /^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(q.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const mult: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    Ki: 1024,
    M: 1e6,
    Mi: 1024 ** 2,
    G: 1e9,
    Gi: 1024 ** 3,
    T: 1e12,
    Ti: 1024 ** 4,
  };
  return n * (m[2] ? (mult[m[2]] ?? Number.NaN) : 1);
}

/** z for the 95th percentile times the simulator's log-normal latency sigma (0.5). */
const P95_FACTOR = Math.exp(1.6449 * 0.5);
const RESTART_WINDOW_MS = 5 * 60_000;

export interface SimulatorSourceOptions {
  url: string;
  now: () => number;
  timeoutMs?: number;
}

export class SimulatorFeatureSource implements FeatureSource {
  private readonly http: AxiosInstance;
  /** Per pod: restart counts seen, oldest first, for `restart_count_last_5m`. */
  private readonly restarts = new Map<string, { t: number; n: number }[]>();
  /** Per deployment: memory_limit_ratio seen, for its slope. */
  private readonly memRatio = new Map<string, { t: number; r: number }>();

  constructor(private readonly opts: SimulatorSourceOptions) {
    this.http = axios.create({ baseURL: opts.url, timeout: opts.timeoutMs ?? 5_000 });
  }

  async fetch(targets: readonly Target[]): Promise<Map<string, FeatureResult>> {
    const now = this.opts.now();
    const out = new Map<string, FeatureResult>();
    let state: SimState;
    let pods: PodList;
    try {
      [state, pods] = await Promise.all([
        this.http.get<SimState>('/sim/state').then((r) => r.data),
        this.http.get<PodList>('/api/v1/pods').then((r) => r.data),
      ]);
    } catch (err) {
      const reason = `query for simulator state failed: ${err instanceof Error ? err.message : String(err)}`;
      for (const t of targets) {
        out.set(targetKey(t), { kind: 'inconclusive', reason, sourceFailed: true });
      }
      return out;
    }
    const limits = new Map<string, { cpu: number; mem: number }>();
    for (const p of pods.items) {
      const l = p.spec?.containers?.[0]?.resources?.limits;
      limits.set(`${p.metadata?.namespace}/${p.metadata?.name}`, {
        cpu: parseQuantity(l?.cpu),
        mem: parseQuantity(l?.memory),
      });
    }
    const seen = new Set<string>();
    for (const t of targets) {
      const key = targetKey(t);
      const dep = state.deployments.find((d) => d.namespace === t.namespace && d.name === t.name);
      const mine = state.pods.filter((p) => p.namespace === t.namespace && p.deployment === t.name);
      const samples = new Map<FeatureName, Sample>();
      const v = (feature: FeatureName, value: number): void => {
        samples.set(feature, { kind: 'value', value, at: now });
      };
      if (!dep) {
        out.set(key, { kind: 'inconclusive', reason: 'deployment not in simulator state' });
        continue;
      }
      let restarts = 0;
      for (const p of mine) {
        const pk = `${p.namespace}/${p.name}`;
        seen.add(pk);
        const hist = (this.restarts.get(pk) ?? []).filter((s) => s.t >= now - RESTART_WINDOW_MS);
        hist.push({ t: now, n: p.restarts });
        this.restarts.set(pk, hist);
        restarts += p.restarts - (hist[0]?.n ?? p.restarts);
      }
      const live = mine.filter((p) => p.running && p.signals);
      const sig = live.map((p) => ({ s: p.signals!, l: limits.get(`${p.namespace}/${p.name}`) }));
      const sum = (f: (x: (typeof sig)[number]) => number): number =>
        sig.reduce((a, x) => a + f(x), 0);
      const max = (f: (x: (typeof sig)[number]) => number): number =>
        sig.length ? Math.max(...sig.map(f)) : 0;
      const rps = sum((x) => x.s.rps);
      const desired = dep.replicas ?? 0;
      const available = dep.availableReplicas ?? 0;
      v('restart_count_last_5m', Math.max(0, restarts));
      v(
        'cpu_usage_pct',
        sig.length ? (100 * sum((x) => x.s.cpuUsageCores / (x.l?.cpu || 1))) / sig.length : 0,
      );
      v('memory_usage_bytes', sig.length ? sum((x) => x.s.memoryBytes) / sig.length : 0);
      v('ready_replica_ratio', desired > 0 ? Math.min(1, available / desired) : 1);
      v('unavailable_replicas', Math.max(0, desired - available));
      v(
        'network_receive_bytes_per_s',
        sum((x) => x.s.rxBytesPerSec),
      );
      v('http_5xx_error_rate', rps > 0 ? sum((x) => x.s.rps * x.s.errorRate) / rps : 0);
      v('http_requests_per_s', rps);
      if (rps > 0) {
        const p95 = (sum((x) => x.s.rps * x.s.latencyMedianSeconds) / rps) * P95_FACTOR;
        v('http_p95_latency_seconds', p95);
        // The simulated network adds no delay: callers measure what the pods serve.
        v('http_caller_p95_latency_seconds', p95);
      }
      const ratio = max((x) => x.s.memoryBytes / (x.l?.mem || Number.POSITIVE_INFINITY));
      if (sig.length) {
        v('memory_limit_ratio', ratio);
        const prev = this.memRatio.get(key);
        if (prev && now - prev.t >= 15_000)
          v('memory_growth_ratio_per_min', ((ratio - prev.r) * 60_000) / (now - prev.t));
        if (!prev || now - prev.t >= 15_000) this.memRatio.set(key, { t: now, r: ratio });
        v(
          'cpu_throttle_ratio',
          max((x) => x.s.throttleFraction),
        );
      }
      out.set(key, buildInstance(samples, now, Number.POSITIVE_INFINITY));
    }
    for (const pk of [...this.restarts.keys()]) if (!seen.has(pk)) this.restarts.delete(pk);
    return out;
  }
}
