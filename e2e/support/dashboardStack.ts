/**
 * What the dashboard's browser test needs from a stack: where the healer and the backend are, and a
 * way to break one deployment so that its risk rises and the healer acts. Three sources:
 * - `E2E_DASHBOARD_STACK=real` (what `npm run test:e2e` uses): the real processes from
 *   `e2e/stack` (simulator, Prometheus, backend, healer), broken through `POST /sim/faults`;
 * - HEALER_URL and BACKEND_URL: services already running, broken through SIMULATOR_URL;
 * - otherwise the fake stack (fakeStack.ts), for fast iteration on the UI.
 */
import { startStack } from '../stack/index.js';
import { startFakeStack, type FakeStack } from './fakeStack.js';

export interface DashboardStack {
  readonly healerUrl: string;
  readonly backendUrl: string;
  /** The deployment injectFault breaks. */
  readonly faultTarget: { namespace: string; name: string };
  /** Breaks faultTarget: its risk must rise and the healer must act. */
  injectFault(): Promise<void>;
  /** Present when running against the fake: controls and fixtures only a fake can offer. */
  readonly fake?: FakeStack;
  stop(): Promise<void>;
}

type Env = Record<string, string | undefined>;

export function isRealStack(env: Env = process.env): boolean {
  return env.E2E_DASHBOARD_STACK === 'real';
}

export function isExternalStack(env: Env = process.env): boolean {
  return isRealStack(env) || Boolean(env.HEALER_URL && env.BACKEND_URL);
}

/** The overview test needs the healer's first cycle done: its status list is empty before that. */
async function untilHealerListsDeployments(healerUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${healerUrl}/api/deployments`).catch(() => undefined);
    if (res?.ok && ((await res.json()) as unknown[]).length > 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the healer at ${healerUrl} listed no deployment within ${timeoutMs} ms`);
}

function simulatorFault(
  simulatorUrl: string,
  target: { namespace: string; name: string },
  kind: string,
) {
  return async (): Promise<void> => {
    const res = await fetch(`${simulatorUrl}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: target.namespace, deployment: target.name, kind }),
    });
    if (!res.ok) throw new Error(`POST /sim/faults answered ${res.status}: ${await res.text()}`);
  };
}

/** How long a stack may take from injectFault to the dashboard showing the rise and an action. */
export function reactionTimeoutMs(env: Env = process.env): number {
  const raw = env.E2E_REACTION_TIMEOUT_MS;
  if (raw !== undefined) {
    const ms = Number(raw);
    if (!Number.isFinite(ms) || ms <= 0)
      throw new Error(`E2E_REACTION_TIMEOUT_MS must be a positive number of ms (got "${raw}")`);
    return ms;
  }
  return isExternalStack(env) ? 120_000 : 10_000;
}

function parseTarget(raw: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = raw.split('/');
  if (!namespace || !name || rest.length)
    throw new Error(`E2E_FAULT_TARGET must be <namespace>/<name> (got "${raw}")`);
  return { namespace, name };
}

export async function dashboardStackFromEnv(env: Env = process.env): Promise<DashboardStack> {
  if (isRealStack(env)) {
    const faultTarget = parseTarget(env.E2E_FAULT_TARGET ?? 'prod/checkout');
    const stack = await startStack();
    await untilHealerListsDeployments(stack.healerUrl);
    return {
      healerUrl: stack.healerUrl,
      backendUrl: stack.backendUrl,
      faultTarget,
      injectFault: simulatorFault(
        stack.simulatorUrl,
        faultTarget,
        env.E2E_FAULT_KIND ?? 'crash_loop',
      ),
      stop: () => stack.stop(),
    };
  }
  if (isExternalStack(env)) {
    const faultTarget = parseTarget(env.E2E_FAULT_TARGET ?? 'prod/checkout');
    return {
      healerUrl: env.HEALER_URL!,
      backendUrl: env.BACKEND_URL!,
      faultTarget,
      async injectFault() {
        if (!env.SIMULATOR_URL)
          throw new Error('SIMULATOR_URL is required to inject a fault into the running stack');
        const res = await fetch(`${env.SIMULATOR_URL}/sim/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            namespace: faultTarget.namespace,
            deployment: faultTarget.name,
            kind: env.E2E_FAULT_KIND ?? 'crash_loop',
          }),
        });
        if (!res.ok)
          throw new Error(`POST /sim/faults answered ${res.status}: ${await res.text()}`);
      },
      stop: async () => undefined,
    };
  }

  const fake = await startFakeStack();
  const faultTarget = { namespace: 'prod', name: 'checkout' };
  return {
    healerUrl: fake.healerUrl,
    backendUrl: fake.backendUrl,
    faultTarget,
    fake,
    async injectFault() {
      // What the healer streams after a crash loop starts: a critical assessment, then step 1.
      const at = new Date().toISOString();
      const current = fake.detail(faultTarget.namespace, faultTarget.name);
      if (!current) throw new Error('the fake lost its checkout fixture');
      fake.push({
        type: 'assessment',
        deployment: {
          ...current,
          risk: 0.93,
          level: 'critical',
          state: 'healing',
          step: 1,
          attempts: 1,
          updatedAt: at,
          trend: [...current.trend, { t: at, risk: 0.93 }],
        },
      });
      fake.push({
        type: 'action',
        ...faultTarget,
        action: {
          at,
          step: 1,
          action: 'restart_scale',
          attempt: 1,
          dryRun: false,
          riskBefore: 0.93,
          outcome: 'pending',
          message:
            'risk 0.93 ≥ 0.80 for 3/3 cycles; top http_5xx_error_rate=0.35 (+0.41) → restart (attempt 1/3)',
        },
      });
    },
    stop: () => fake.stop(),
  };
}
