/** Test support: reads the simulator's `/metrics` and derives per-deployment signals like the PromQL would. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export interface Scrape {
  at: number;
  samples: Sample[];
}

export async function scrape(url: string, at: number): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  return { at, samples: parseExposition(await res.text()) };
}

/** pod → deployment through kube_pod_owner and kube_replicaset_owner (the healer's join). */
function podDeployments(s: Scrape): Map<string, string> {
  const rsDep = new Map<string, string>();
  for (const x of s.samples)
    if (x.name === 'kube_replicaset_owner' && x.labels.owner_kind === 'Deployment')
      rsDep.set(`${x.labels.namespace}/${x.labels.replicaset}`, x.labels.owner_name!);
  const out = new Map<string, string>();
  for (const x of s.samples)
    if (x.name === 'kube_pod_owner' && x.labels.owner_kind === 'ReplicaSet') {
      const dep = rsDep.get(`${x.labels.namespace}/${x.labels.owner_name}`);
      if (dep) out.set(`${x.labels.namespace}/${x.labels.pod}`, `${x.labels.namespace}/${dep}`);
    }
  return out;
}

type Filter = (x: Sample) => boolean;

/** Sum per deployment of a gauge at one scrape. */
function sumBy(s: Scrape, name: string, filter: Filter = () => true): Map<string, number> {
  const pd = podDeployments(s);
  const out = new Map<string, number>();
  for (const x of s.samples) {
    if (x.name !== name || !filter(x)) continue;
    const dep = pd.get(`${x.labels.namespace}/${x.labels.pod}`);
    if (dep) out.set(dep, (out.get(dep) ?? 0) + x.value);
  }
  return out;
}

/** Counter increase per deployment between two scrapes, per series, resets handled like increase(). */
function increaseBy(
  a: Scrape,
  b: Scrape,
  name: string,
  filter: Filter = () => true,
): Map<string, number> {
  const key = (x: Sample): string => JSON.stringify(Object.entries(x.labels).sort());
  const before = new Map(
    a.samples.filter((x) => x.name === name && filter(x)).map((x) => [key(x), x.value]),
  );
  const pd = podDeployments(b);
  const out = new Map<string, number>();
  for (const x of b.samples) {
    if (x.name !== name || !filter(x)) continue;
    const dep = pd.get(`${x.labels.namespace}/${x.labels.pod}`);
    if (!dep) continue;
    const prev = before.get(key(x));
    const inc = prev === undefined || x.value < prev ? x.value : x.value - prev;
    out.set(dep, (out.get(dep) ?? 0) + inc);
  }
  return out;
}

/** The signals the model's default queries compute, for one deployment over [a, b]. */
export interface DeploymentSignals {
  errorRate: number;
  rps: number;
  p95Seconds: number;
  cpuPct: number;
  throttleRatio: number;
  memoryBytes: number;
  memoryLimitRatio: number;
  restarts: number;
  readyRatio: number;
  oomKilled: boolean;
}

export function signals(a: Scrape, b: Scrape, dep: string): DeploymentSignals {
  const secs = (b.at - a.at) / 1000;
  const ctr = (x: Sample): boolean => x.labels.container !== '' && x.labels.container !== 'POD';
  const total = increaseBy(a, b, 'http_requests_total').get(dep) ?? 0;
  const errors =
    increaseBy(a, b, 'http_requests_total', (x) => x.labels.code!.startsWith('5')).get(dep) ?? 0;
  const bounds = [
    ...new Set(
      b.samples
        .filter((x) => x.name === 'http_request_duration_seconds_bucket')
        .map((x) => x.labels.le!),
    ),
  ];
  const buckets = bounds
    .map((le) => ({
      le: le === '+Inf' ? Infinity : Number(le),
      n:
        increaseBy(a, b, 'http_request_duration_seconds_bucket', (x) => x.labels.le === le).get(
          dep,
        ) ?? 0,
    }))
    .sort((x, y) => x.le - y.le);
  const count = buckets[buckets.length - 1]?.n ?? 0;
  const target = 0.95 * count;
  let p95 = NaN;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i]!.n >= target && count > 0) {
      const lo = i === 0 ? 0 : buckets[i - 1]!.le;
      const loN = i === 0 ? 0 : buckets[i - 1]!.n;
      const hi = buckets[i]!.le;
      p95 =
        hi === Infinity
          ? lo
          : lo + ((hi - lo) * (target - loN)) / Math.max(1e-9, buckets[i]!.n - loN);
      break;
    }
  }
  const pods = [...podDeployments(b).entries()].filter(([, d]) => d === dep).length;
  const cpuLimit =
    sumBy(b, 'kube_pod_container_resource_limits', (x) => x.labels.resource === 'cpu').get(dep) ??
    1;
  const memLimit =
    sumBy(b, 'kube_pod_container_resource_limits', (x) => x.labels.resource === 'memory').get(
      dep,
    ) ?? 1;
  const mem = sumBy(b, 'container_memory_working_set_bytes', ctr).get(dep) ?? 0;
  const cpu = (increaseBy(a, b, 'container_cpu_usage_seconds_total', ctr).get(dep) ?? 0) / secs;
  const periods = increaseBy(a, b, 'container_cpu_cfs_periods_total').get(dep) ?? 0;
  const throttled = increaseBy(a, b, 'container_cpu_cfs_throttled_periods_total').get(dep) ?? 0;
  const [ns, name] = dep.split('/');
  const gauge = (n: string): number =>
    b.samples.find((x) => x.name === n && x.labels.namespace === ns && x.labels.deployment === name)
      ?.value ?? NaN;
  return {
    errorRate: errors / Math.max(total, 1e-9),
    rps: total / secs,
    p95Seconds: p95,
    cpuPct: (100 * cpu) / cpuLimit,
    throttleRatio: throttled / Math.max(periods, 1e-9),
    memoryBytes: pods ? mem / pods : 0,
    memoryLimitRatio: mem / memLimit,
    restarts: increaseBy(a, b, 'kube_pod_container_status_restarts_total').get(dep) ?? 0,
    readyRatio: Math.min(
      1,
      gauge('kube_deployment_status_replicas_available') / gauge('kube_deployment_spec_replicas'),
    ),
    oomKilled: b.samples.some(
      (x) =>
        x.name === 'kube_pod_container_status_last_terminated_reason' &&
        x.labels.reason === 'OOMKilled' &&
        podDeployments(b).get(`${x.labels.namespace}/${x.labels.pod}`) === dep,
    ),
  };
}
