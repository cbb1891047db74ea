/**
 * A harness with the humans' surface: the status API (approvals, silences, Slack interactions) on
 * loopback, and optionally the Slack app stand-in as the notifier.
 */
import { startSlackApp, type RunningSlackApp } from '@aiops/simulator/slack/app';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MERGE_PATCH } from '../../src/actions/kube.js';
import { mountHumans } from '../../src/api/humans.js';
import { createStatusApp } from '../../src/api/server.js';
import { StatusStore } from '../../src/api/store.js';
import { SlackAppNotifier } from '../../src/notify/slackApp.js';
import { startHarness, type Harness, type HarnessOptions } from '../harness.js';

export const TOKEN = 'humans-test-token-0123';

export interface HumansHarness extends Harness {
  api: string;
  slackApp?: RunningSlackApp;
  /** An authorised API call. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  annotate(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<void>;
}

export async function startHumans(
  opts: HarnessOptions & { slackApp?: boolean },
): Promise<HumansHarness> {
  let slackApp: RunningSlackApp | undefined;
  let now: () => number = Date.now;
  if (opts.slackApp) slackApp = await startSlackApp({ channel: 'C0OPS', now: () => now() });
  const h = await startHarness({
    ...opts,
    ...(slackApp
      ? {
          notifier: new SlackAppNotifier({
            token: slackApp.token,
            channel: 'C0OPS',
            apiUrl: slackApp.apiUrl,
            timeoutMs: 2_000,
            retries: 0,
          }),
        }
      : {}),
  });
  now = () => h.clock.now();
  const app = createStatusApp({
    store: new StatusStore({ thresholds: { high: 0.8, low: 0.5 } }),
    registry: h.metrics.registry,
    token: TOKEN,
    runCheck: () => h.healer.runCycle(),
    resetDeployment: async () => undefined,
    readiness: () => ({ ready: true, role: 'leader', checks: {} }),
    shadow: () => [],
    extend: (a, guards) =>
      mountHumans(a, guards, {
        ...h.humans,
        ...(slackApp ? { signingSecret: slackApp.signingSecret } : {}),
        now,
        autonomy: () => h.healer.autonomy(),
      }),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...h,
    api,
    ...(slackApp ? { slackApp } : {}),
    async call(method, path, body) {
      const r = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      return { status: r.status, json: text ? (JSON.parse(text) as unknown) : undefined };
    },
    async annotate(namespace, name, annotations) {
      await h.kube.apps.patchNamespacedDeployment(
        { name, namespace, body: { metadata: { annotations } } },
        MERGE_PATCH,
      );
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await slackApp?.stop();
      await h.stop();
    },
  };
}
