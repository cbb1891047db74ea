/**
 * A network-boundary fake of the backend's `POST /predict`: a real local HTTP server answering in
 * the backend's shape, with a small transparent risk rule instead of the model.
 */
import { createServer, type Server } from 'node:http';
import {
  riskLevel,
  rowsOfColumnarRequest,
  type ColumnarPredictRequest,
  type Contribution,
  type FeatureInput,
  type FeatureName,
  type Prediction,
} from '@aiops/model';

export type RiskRule = (f: FeatureInput) => { risk: number; explanation: Contribution[] };

/** Errors, unready replicas and restarts drive risk; load alone does not. */
export const SIMPLE_RISK: RiskRule = (f) => {
  const parts: [FeatureName, number, number][] = [
    ['http_5xx_error_rate', f.http_5xx_error_rate, 4 * f.http_5xx_error_rate],
    ['ready_replica_ratio', f.ready_replica_ratio, 0.6 * (1 - f.ready_replica_ratio)],
    ['restart_count_last_5m', f.restart_count_last_5m, 0.15 * f.restart_count_last_5m],
  ];
  const risk = Math.max(0, Math.min(1, 0.05 + parts.reduce((a, p) => a + p[2], 0)));
  const explanation = parts
    .map(([feature, value, contribution]) => ({ feature, value, contribution }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { risk, explanation };
};

/** The backend's answer shape for `instances`, scored by `rule`. */
export function predictionsFor(
  instances: FeatureInput[],
  rule: RiskRule = SIMPLE_RISK,
): Prediction[] {
  return instances.map((f) => {
    const { risk, explanation } = rule(f);
    return {
      risk,
      level: riskLevel(risk),
      threshold: 0.5,
      explanation,
      imputed: [],
      model: { version: 'fake' },
    };
  });
}

/**
 * The rows of a `/predict` body in either form the backend takes: `{"instances": [...]}`, or the
 * columnar body the healer sends (rebuilt as the backend does).
 */
export function instancesOf(body: unknown): FeatureInput[] {
  const b = body as { instances?: FeatureInput[] } & Partial<ColumnarPredictRequest>;
  if (b.columns === undefined) return b.instances ?? [];
  const count = Math.max(0, ...Object.values(b.columns).map((c) => c?.length ?? 0));
  return rowsOfColumnarRequest(b as ColumnarPredictRequest, count);
}

export interface FakePredictor {
  url: string;
  /** Bodies received, in order (their rows, whichever form they were sent in). */
  requests: { instances: FeatureInput[] }[];
  /** Status to answer with instead of predictions (e.g. 500), until reset to undefined. */
  failWith: number | undefined;
  stop(): Promise<void>;
}

export async function startFakePredictor(rule: RiskRule = SIMPLE_RISK): Promise<FakePredictor> {
  const state: FakePredictor = {
    url: '',
    requests: [],
    failWith: undefined,
    stop: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/predict') {
        res.writeHead(404).end();
        return;
      }
      if (state.failWith) {
        res
          .writeHead(state.failWith, { 'content-type': 'application/json' })
          .end('{"error":"boom"}');
        return;
      }
      const body = { instances: instancesOf(JSON.parse(Buffer.concat(chunks).toString())) };
      state.requests.push(body);
      const predictions = predictionsFor(body.instances, rule);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ predictions, elapsed_ms: 1 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  state.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
