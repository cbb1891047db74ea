/**
 * The healer service: parses the config once and wires the parts — Kubernetes clients, the loop,
 * Lease leader election, budgets rebuilt from Events, the status API, readiness, risk history —
 * then runs cycles on the node-cron schedule while this replica leads.
 */
import type { Server } from 'node:http';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createKubeClients, loadKubeConfig } from './actions/kube.js';
import { ReadinessTracker, httpProbe } from './api/readiness.js';
import { mountHumans } from './api/humans.js';
import { createStatusApp } from './api/server.js';
import { StatusStore } from './api/store.js';
import { LedgerBudgetGate } from './budget/gate.js';
import { withBudgetMetrics } from './budget/metrics.js';
import { loadLedgerFromEvents } from './budget/ledgerSource.js';
import { advertisedUrl, ConfigError, loadConfig, redactConfig } from './config.js';
import { createRiskHistory } from './history/prometheus.js';
import { PrometheusRiskHistory } from './history/prometheus.js';
import { LeaseLeaderElector } from './leader/lease.js';
import { registerLeaderMetrics } from './leader/metrics.js';
import { createHealer } from './loop/factory.js';
import { shutdown } from './loop/lifecycle.js';
import { scheduleCycles } from './loop/schedule.js';
import { realSleep } from './retry.js';

async function main(): Promise<void> {
  const config = await loadConfig(process.env);
  const logger = pino({ level: config.logLevel });
  logger.info({ config: redactConfig(config) }, 'healer starting');

  const kc = loadKubeConfig(undefined, { timeoutMs: config.kube.timeoutMs });
  const kube = createKubeClients(kc);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const advertised = advertisedUrl(config);
  const elector = config.leader.enabled
    ? new LeaseLeaderElector(
        kc.makeApiClient(CoordinationV1Api),
        {
          namespace: config.leader.namespace,
          name: config.leader.leaseName,
          identity: config.leader.identity,
          ...(advertised ? { endpoint: advertised } : {}),
          leaseDurationSeconds: config.leader.leaseDurationSeconds,
          renewDeadlineSeconds: config.leader.renewDeadlineSeconds,
          retryPeriodSeconds: config.leader.retryPeriodSeconds,
        },
        undefined,
        (err) =>
          logger.warn({ err: String(err), cause: String(err.cause) }, 'lease request failed'),
      )
    : undefined;
  const isLeader = (): boolean => elector?.isLeader() ?? true;

  const readiness = new ReadinessTracker({
    isLeader,
    probes: {
      ...(config.features.source === 'prometheus'
        ? { prometheus: httpProbe(`${config.prometheus.url.replace(/\/$/, '')}/-/ready`) }
        : {}),
      backend: httpProbe(`${config.backend.url.replace(/\/$/, '')}/readyz`),
    },
  });
  const store = new StatusStore({ thresholds: config.thresholds });

  // Budgets start from the healer's own Events, so a restart or a new leader gets no fresh
  // budget. They fail closed: no action until the ledger is loaded (the loop awaits the load
  // before its first acting cycle, and retries it every cycle while it fails).
  const gate = new LedgerBudgetGate(config.budgets, [], () =>
    loadLedgerFromEvents(kube.core, config.namespaces, {
      component: config.kube.component,
    }).catch((err: unknown) => {
      logger.warn(
        { err: String(err), cause: String((err as { cause?: unknown }).cause) },
        'could not rebuild the budget ledger from Events: no actions until it is',
      );
      throw err;
    }),
  );
  const budget = withBudgetMetrics(gate, registry);
  if (elector) {
    registerLeaderMetrics(registry, elector);
    // Another replica may have acted while this one followed: reload before acting.
    elector.onChange((leading) => {
      if (leading) gate.invalidate();
    });
  }

  const { healer, notifier, humans } = createHealer({
    config,
    kube,
    logger,
    registry,
    sink: store,
    budget,
    isLeader,
    ...(elector ? { term: () => elector.term() } : {}),
    instance: config.leader.identity,
    onDependency: (name, ok, detail) => readiness.report(name, ok, detail),
    keepEvidence: true,
  });

  const history =
    config.features.source === 'prometheus'
      ? createRiskHistory(
          new PrometheusRiskHistory({
            url: config.prometheus.url,
            timeoutMs: config.prometheus.timeoutMs,
          }),
          store,
          { cacheMs: config.api.historyCacheMs, maxConcurrent: config.api.maxHistoryQueries },
        )
      : undefined;
  const app = createStatusApp({
    store,
    registry,
    ...(config.api.token ? { token: config.api.token } : {}),
    ...(config.api.readToken ? { readToken: config.api.readToken } : {}),
    maxStreams: config.api.maxStreams,
    runCheck: () => healer.runCycle(),
    resetDeployment: (ns, name) => healer.reset(ns, name),
    readiness: () => readiness.readiness(),
    ...(elector
      ? { forward: { leader: () => elector.leaderEndpoint(), by: config.leader.identity } }
      : {}),
    shadow: () => healer.shadowEntries(),
    ...(history ? { history } : {}),
    onError: (err) => logger.error({ err: String(err) }, 'status API error'),
    extend: (app, guards) =>
      mountHumans(app, guards, {
        ...humans,
        ...(config.slack.signingSecret ? { signingSecret: config.slack.signingSecret } : {}),
        now: Date.now,
        autonomy: () => healer.autonomy(),
        onRejected: (reason) => logger.warn({ reason }, 'Slack interaction rejected'),
      }),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, () => resolve(s));
  });
  logger.info({ port: config.port }, 'status API listening');

  await elector?.start();
  const probeTimer = setInterval(() => void readiness.refresh(), 10_000);
  probeTimer.unref();
  void readiness.refresh();

  const schedule = scheduleCycles({
    expression: config.schedule,
    // Followers assess too (observe-only) so every replica serves the same status; only the
    // leader acts and notifies.
    run: () => healer.runCycle({ observeOnly: !isLeader() }),
    logger,
  });
  // Slack retries also between cycles.
  const flushTimer = setInterval(() => {
    if (isLeader()) void notifier.flush?.();
  }, 5_000);
  flushTimer.unref();

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'healer stopping');
    clearInterval(probeTimer);
    clearInterval(flushTimer);
    await shutdown(
      {
        stopSchedule: () => schedule.stop(),
        idle: () => healer.idle(),
        ...(notifier.drain && isLeader()
          ? { drainNotifications: (ms) => notifier.drain!(ms) }
          : {}),
        ...(elector ? { releaseLease: () => elector.stop() } : {}),
        closeServer: async () => {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
        now: Date.now,
        sleep: (ms) => realSleep(ms),
        log: (step, detail) => logger.warn(detail ?? {}, step),
      },
      config.shutdownTimeoutMs,
    );
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  // Config errors name the field and the rule; anything else is a bug or a missing dependency.
  console.error(
    err instanceof ConfigError ? err.message : `healer failed to start: ${String(err)}`,
  );
  process.exit(1);
});
