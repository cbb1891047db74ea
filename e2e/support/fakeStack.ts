/**
 * A small fake of the healer's status API (+ SSE stream) and the backend's /predict and /model, on two
 * loopback ports, so the dashboard's browser test can run before (and independently of) the real stack.
 * It speaks the wire types the real services export; the lead can point the same test at the real stack.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FEATURES, riskLevel, type Contribution, type FeatureName } from '@aiops/model';
import type {
  ActionRecord,
  DeploymentDetail,
  DeploymentStatus,
  StreamMessage,
} from '@aiops/healer/api/types';

export interface FakeStack {
  readonly healerUrl: string;
  readonly backendUrl: string;
  /** Applies a message to the fake's state (as the healer would) and sends it to every SSE client. */
  push(message: StreamMessage): void;
  /** Open SSE connections right now. */
  streamClients(): number;
  waitForStreamClients(n: number, timeoutMs?: number): Promise<void>;
  /** Bodies received on POST /predict. */
  readonly predictions: unknown[];
  detail(namespace: string, name: string): DeploymentDetail | undefined;
  stop(): Promise<void>;
}

const isoAgo = (now: number, ms: number): string => new Date(now - ms).toISOString();
const MIN = 60_000;

/** A toy, monotone risk model: enough to make the what-if form answer differently per input. */
const WEIGHTS: Partial<Record<FeatureName, number>> = {
  restart_count_last_5m: 0.45,
  ready_replica_ratio: -3.2,
  unavailable_replicas: 0.5,
  http_5xx_error_rate: 7,
  http_p95_latency_seconds: 0.8,
  memory_limit_ratio: 2.2,
  cpu_throttle_ratio: 1.5,
};
const BIAS = 0.2;

export function fakePredict(features: Partial<Record<FeatureName, number>>): {
  risk: number;
  explanation: Contribution[];
  imputed: FeatureName[];
} {
  const imputed: FeatureName[] = [];
  const full = {} as Record<FeatureName, number>;
  for (const f of FEATURES) {
    const v = features[f.name];
    if (v === undefined) imputed.push(f.name);
    full[f.name] = v ?? f.default;
  }
  const terms = FEATURES.map((f) => ({
    feature: f.name,
    value: full[f.name],
    // contribution relative to the healthy default, so a healthy value contributes ~0
    z: (WEIGHTS[f.name] ?? 0) * (Math.min(full[f.name], 10) - Math.min(f.default, 10)),
  }));
  const logit = BIAS - 2.2 + terms.reduce((s, t) => s + t.z, 0);
  const risk = 1 / (1 + Math.exp(-logit));
  const total = terms.reduce((s, t) => s + Math.abs(t.z), 0) || 1;
  const spread = risk - 1 / (1 + Math.exp(-(BIAS - 2.2)));
  const explanation = terms
    .map((t) => ({
      feature: t.feature,
      value: t.value,
      contribution: Number(((t.z / total) * Math.abs(spread) * 1.6).toFixed(4)),
    }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { risk, explanation, imputed };
}

function series(now: number, points: number[], stepMs = MIN): { t: string; risk: number }[] {
  return points.map((risk, i) => ({ t: isoAgo(now, (points.length - 1 - i) * stepMs), risk }));
}

function status(
  now: number,
  over: Partial<DeploymentStatus> & Pick<DeploymentStatus, 'namespace' | 'name'>,
): DeploymentStatus {
  const features = over.features ?? {
    restart_count_last_5m: 0,
    cpu_usage_pct: 22,
    memory_usage_bytes: 180 * 1024 * 1024,
    ready_replica_ratio: 1,
    unavailable_replicas: 0,
    network_receive_bytes_per_s: 48_000,
    http_5xx_error_rate: 0.001,
    http_p95_latency_seconds: 0.12,
    http_requests_per_s: 35,
    memory_limit_ratio: 0.42,
  };
  const p = fakePredict(features);
  const risk = over.risk === undefined ? p.risk : over.risk;
  return {
    risk,
    level: risk == null ? null : riskLevel(risk),
    state: 'healthy',
    step: 0,
    attempts: 0,
    dryRun: false,
    explanation: p.explanation,
    features,
    trend: [],
    updatedAt: isoAgo(now, 10_000),
    ...over,
  };
}

/** The sample deployments: one of each state an SRE should recognise at a glance. */
export function sampleDeployments(now: number): DeploymentDetail[] {
  const crash = {
    restart_count_last_5m: 6,
    cpu_usage_pct: 64,
    memory_usage_bytes: 410 * 1024 * 1024,
    ready_replica_ratio: 0.33,
    unavailable_replicas: 2,
    network_receive_bytes_per_s: 12_000,
    http_5xx_error_rate: 0.31,
    http_p95_latency_seconds: 2.4,
    http_requests_per_s: 41,
    memory_limit_ratio: 0.81,
  };
  const paymentsHistory = series(
    now,
    [
      0.08, 0.09, 0.08, 0.1, 0.12, 0.18, 0.35, 0.62, 0.86, 0.93, 0.95, 0.94, 0.7, 0.55, 0.71, 0.88,
      0.92, 0.94, 0.93, 0.95, 0.96, 0.95,
    ],
    MIN,
  );
  const paymentsActions: ActionRecord[] = [
    {
      at: isoAgo(now, 10 * MIN),
      step: 1,
      action: 'restart_scale',
      attempt: 1,
      dryRun: false,
      riskBefore: 0.95,
      riskAfter: 0.55,
      outcome: 'not_cured',
      message:
        'risk 0.95 ≥ 0.80 for 3/3 cycles; top http_5xx_error_rate=0.31 (+0.42) → restart (attempt 1/3)',
    },
    {
      at: isoAgo(now, 4 * MIN),
      step: 2,
      action: 'cache_clear_restart',
      attempt: 1,
      dryRun: false,
      riskBefore: 0.92,
      outcome: 'pending',
      message:
        'risk 0.92 ≥ 0.80 after step 1 (not cured: 0.55 rose to 0.92) → clear cache + restart (attempt 1/2)',
    },
  ];
  const base = (d: DeploymentStatus): DeploymentDetail => ({
    ...d,
    thresholds: { high: 0.8, low: 0.4 },
    history: d.trend,
    actions: [],
    events: [],
    notifications: [],
  });
  const quiet = (points: number[]): { t: string; risk: number }[] => series(now, points);

  return [
    {
      ...base(
        status(now, {
          namespace: 'prod',
          name: 'payments',
          features: crash,
          risk: 0.95,
          state: 'healing',
          step: 2,
          attempts: 2,
          lastAction: paymentsActions[1],
          trend: paymentsHistory.slice(-12),
        }),
      ),
      history: paymentsHistory,
      actions: paymentsActions,
      events: [
        {
          at: isoAgo(now, 10 * MIN - 2000),
          type: 'Warning',
          reason: 'AutoHealRestart',
          message: paymentsActions[0]!.message,
        },
        {
          at: isoAgo(now, 4 * MIN - 2000),
          type: 'Warning',
          reason: 'AutoHealCacheClear',
          message: paymentsActions[1]!.message,
        },
        {
          at: isoAgo(now, 9 * MIN),
          type: 'Normal',
          reason: 'ScalingReplicaSet',
          message: 'Scaled up replica set payments-7d9f to 4',
        },
      ],
      notifications: [
        {
          at: isoAgo(now, 10 * MIN - 1000),
          kind: 'slack',
          text: ':rotating_light: prod/payments risk 95 % → restart + scale up (step 1)',
          delivered: true,
        },
        {
          at: isoAgo(now, 4 * MIN - 1000),
          kind: 'slack',
          text: ':rotating_light: prod/payments still at 92 % → clear cache + restart (step 2)',
          delivered: true,
        },
      ],
    },
    base(
      status(now, {
        namespace: 'prod',
        name: 'checkout',
        trend: quiet([0.06, 0.07, 0.06, 0.08, 0.07, 0.06, 0.07, 0.08, 0.07, 0.07]),
      }),
    ),
    base(
      status(now, {
        namespace: 'prod',
        name: 'cart',
        risk: 0.44,
        state: 'watching',
        features: {
          restart_count_last_5m: 1,
          cpu_usage_pct: 71,
          memory_usage_bytes: 300 * 1024 * 1024,
          ready_replica_ratio: 1,
          unavailable_replicas: 0,
          network_receive_bytes_per_s: 90_000,
          http_5xx_error_rate: 0.04,
          memory_limit_ratio: 0.77,
          memory_growth_ratio_per_min: 0.02,
        },
        trend: quiet([0.18, 0.2, 0.22, 0.25, 0.28, 0.31, 0.35, 0.38, 0.41, 0.44]),
      }),
    ),
    base(
      status(now, {
        namespace: 'prod',
        name: 'inventory',
        risk: 0.71,
        state: 'healing',
        step: 1,
        attempts: 1,
        dryRun: true,
        lastAction: {
          at: isoAgo(now, 2 * MIN),
          step: 1,
          action: 'restart_scale',
          attempt: 1,
          dryRun: true,
          riskBefore: 0.71,
          outcome: 'skipped',
          message: 'dry-run: risk 0.71 ≥ 0.60 for 3/3 cycles → would restart (attempt 1/3)',
        },
        trend: quiet([0.4, 0.45, 0.52, 0.6, 0.66, 0.7, 0.71]),
      }),
    ),
    base(
      status(now, {
        namespace: 'staging',
        name: 'search',
        risk: null,
        state: 'inconclusive',
        explanation: [],
        inconclusiveReason: 'no data for http_5xx_error_rate (Prometheus returned an empty vector)',
        trend: quiet([0.12, 0.11, 0.13]),
      }),
    ),
    base(
      status(now, {
        namespace: 'dev',
        name: 'api',
        risk: 0.9,
        state: 'needs_attention',
        step: 4,
        attempts: 4,
        lastAction: {
          at: isoAgo(now, 38 * MIN),
          step: 4,
          action: 'page',
          attempt: 1,
          dryRun: false,
          riskBefore: 0.9,
          outcome: 'pending',
          message: 'ladder exhausted: rollback did not cure (0.90) → paging on-call',
        },
        trend: quiet([0.85, 0.88, 0.9, 0.89, 0.9]),
      }),
    ),
  ];
}

const json = (res: ServerResponse, code: number, body: unknown): void => {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** The backend's validation, enough of it: names the field and the rule like the real 400. */
function validate(body: unknown): { field: string; rule: string; got: unknown; message: string }[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return [{ field: 'body', rule: 'type', got: typeof body, message: 'must be an object' }];
  const b = body as Record<string, unknown>;
  const details = [];
  for (const f of FEATURES) {
    const v = b[f.name];
    if (v === undefined) {
      if (f.required)
        details.push({ field: f.name, rule: 'required', got: null, message: 'is required' });
    } else if (typeof v !== 'number') {
      details.push({ field: f.name, rule: 'type', got: v, message: 'must be a number' });
    } else if (v < f.min) {
      details.push({ field: f.name, rule: 'min', got: v, message: `must be ≥ ${f.min}` });
    } else if (v > f.max) {
      details.push({ field: f.name, rule: 'max', got: v, message: `must be ≤ ${f.max}` });
    }
  }
  for (const k of Object.keys(b))
    if (!FEATURES.some((f) => f.name === k))
      details.push({ field: k, rule: 'unknown', got: b[k], message: 'is not a feature' });
  return details;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startFakeStack(opts: { now?: number } = {}): Promise<FakeStack> {
  const now = opts.now ?? Date.now();
  const details = new Map(sampleDeployments(now).map((d) => [`${d.namespace}/${d.name}`, d]));
  const clients = new Set<ServerResponse>();
  const predictions: unknown[] = [];

  const toStatus = (d: DeploymentDetail): DeploymentStatus => {
    const { thresholds: _t, history: _h, actions: _a, events: _e, notifications: _n, ...s } = d;
    return s;
  };

  const apply = (m: StreamMessage): void => {
    if (m.type === 'assessment') {
      const key = `${m.deployment.namespace}/${m.deployment.name}`;
      const prev = details.get(key);
      const history = prev?.history ?? [];
      details.set(key, {
        thresholds: { high: 0.8, low: 0.4 },
        actions: [],
        events: [],
        notifications: [],
        ...prev,
        ...m.deployment,
        history:
          m.deployment.risk == null
            ? history
            : [...history, { t: m.deployment.updatedAt, risk: m.deployment.risk }],
      });
    } else {
      const d = details.get(`${m.namespace}/${m.name}`);
      if (!d) return;
      if (m.type === 'action') {
        d.actions = [...d.actions.filter((a) => a.at !== m.action.at), m.action];
        d.lastAction = m.action;
      } else d.notifications = [...d.notifications, m.notification];
    }
  };

  const healer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/api/deployments') {
      json(res, 200, [...details.values()].map(toStatus));
      return;
    }
    const m = /^\/api\/deployments\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const d = details.get(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`);
      if (d) json(res, 200, d);
      else json(res, 404, { error: `${m[1]}/${m[2]} is not watched` });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      // Retry quickly after a drop, and a comment so proxies flush the headers at once.
      res.write('retry: 500\n: connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    json(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  });

  const backend = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/model' && req.method === 'GET') {
        json(res, 200, { version: 'fake-stack-1', threshold: 0.5 });
        return;
      }
      if (url.pathname === '/predict' && req.method === 'POST') {
        const raw = await readBody(req);
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          json(res, 400, {
            error: 'body is not valid JSON',
            details: [
              { field: 'body', rule: 'json', got: raw.slice(0, 40), message: 'must be JSON' },
            ],
          });
          return;
        }
        predictions.push(body);
        const details = validate(body);
        if (details.length) {
          json(res, 400, {
            error: `invalid body: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`,
            details,
          });
          return;
        }
        const p = fakePredict(body as Partial<Record<FeatureName, number>>);
        json(res, 200, {
          risk: p.risk,
          level: riskLevel(p.risk),
          threshold: 0.5,
          explanation: p.explanation,
          imputed: p.imputed,
          model: { version: 'fake-stack-1' },
          elapsed_ms: 0.2,
        });
        return;
      }
      json(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    })();
  });

  const [healerUrl, backendUrl] = await Promise.all([listen(healer), listen(backend)]);

  const cutStreams = (): void => {
    for (const c of clients) c.destroy();
    clients.clear();
  };

  return {
    healerUrl,
    backendUrl,
    predictions,
    push(message) {
      apply(message);
      const frame = `event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`;
      for (const c of clients) c.write(frame);
    },
    streamClients: () => clients.size,
    async waitForStreamClients(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (clients.size < n) {
        if (Date.now() > deadline)
          throw new Error(`expected ${n} SSE client(s) on the fake healer, have ${clients.size}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    detail: (namespace, name) => details.get(`${namespace}/${name}`),
    async stop() {
      cutStreams();
      healer.closeAllConnections();
      backend.closeAllConnections();
      await Promise.all([
        new Promise((r) => healer.close(r)),
        new Promise((r) => backend.close(r)),
      ]);
    },
  };
}
