/**
 * The failure-matrix harness: one simulator (virtual clock) behind a fault-injecting proxy, a fake
 * backend, a Slack receiver, and any number of healer replicas wired as main.ts wires them —
 * Lease election, budgets rebuilt from Events, status store, readiness — each with its own
 * client-node clients. A replica runs a cycle only while it leads, as the schedule does.
 */
import {
  ManualClock,
  ScaledClock,
  kubeconfigYaml,
  type Clock,
  startSimulator,
  type RunningSimulator,
  type WorkloadSpec,
} from '@aiops/simulator';
import { startSlackReceiver, type RunningSlackReceiver } from '@aiops/simulator/slack/receiver';
import {
  CoordinationV1Api,
  KubeConfig,
  type CoreV1Event,
  type V1Deployment,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createKubeClients, withRequestTimeout, type KubeClients } from '../../src/actions/kube.js';
import { readPersisted } from '../../src/actions/state.js';
import { ReadinessTracker, httpProbe } from '../../src/api/readiness.js';
import { createStatusApp } from '../../src/api/server.js';
import { StatusStore } from '../../src/api/store.js';
import {
  LedgerBudgetGate,
  loadLedgerFromEvents,
  withBudgetMetrics,
  type BudgetGate,
  type BudgetLimits,
} from '../../src/budget/index.js';
import { configFromSources, type HealerConfig, type HealerConfigInput } from '../../src/config.js';
import { LeaseLeaderElector } from '../../src/leader/lease.js';
import { createHealer } from '../../src/loop/factory.js';
import type { CycleReport, Healer } from '../../src/loop/healer.js';
import type { HealerMetrics } from '../../src/metrics.js';
import { SlackNotifier } from '../../src/notify/slack.js';
import { PrometheusFeatureSource } from '../../src/sources/prometheus.js';
import { SimulatorFeatureSource } from '../../src/sources/simulator.js';
import type { FeatureSource } from '../../src/sources/types.js';
import { startFakeBackend, type FakeBackend } from './fakeBackend.js';
import { startFaultProxy, type FaultProxy } from './faultProxy.js';

export const NS = 'shop';
/** The Event reasons of the ladder's actions. */
export const HEAL_ACTION_REASONS = ['AutoHealRestart', 'AutoHealCacheClear', 'AutoHealRollback'];
export const LEASE = { namespace: 'default', name: 'aiops-healer' };
export const TOKEN = 'safety-token';
/** Kubernetes requests give up after this long (what main.ts must configure too). */
export const KUBE_TIMEOUT_MS = 500;

const GENEROUS: BudgetLimits = {
  perDeployment: { maxActionsPerHour: 10, cooldownSeconds: 0 },
  global: {
    maxConcurrentHeals: 10,
    maxRollbacksPerHour: 10,
    maxScaleUpsPerHour: 10,
    concurrencyWindowSeconds: 600,
  },
};

export interface Replica {
  identity: string;
  healer: Healer;
  elector: LeaseLeaderElector;
  store: StatusStore;
  readiness: ReadinessTracker;
  metrics: HealerMetrics;
  notifier: SlackNotifier;
  app: ReturnType<typeof createStatusApp>;
  /** One schedule tick: renew/acquire the lease, then a cycle if leading. */
  cycle(): Promise<CycleReport | undefined>;
}

export interface ReplicaOptions {
  identity: string;
  /** Features from this Prometheus instead of the simulator's signals. */
  prometheusUrl?: string;
  config?: Partial<HealerConfigInput>;
  budget?: BudgetLimits;
  /** ANDed with the Lease: a test can take leadership away mid-cycle. */
  leading?: () => boolean;
  /** Builds the budget gate instead of the default ledger gate. */
  gate?: (kube: KubeClients) => BudgetGate;
}

export interface World {
  sim: RunningSimulator;
  clock: Clock;
  proxy: FaultProxy;
  backend: FakeBackend;
  slack: RunningSlackReceiver;
  /** Direct (unproxied) clients for the test's own reads. */
  kube: KubeClients;
  addReplica(opts: ReplicaOptions): Promise<Replica>;
  /** Advances virtual time by `ms` (default one 30 s cycle). */
  advance(ms?: number): void;
  /** Events the healers wrote on a deployment, oldest first. */
  events(name: string): Promise<CoreV1Event[]>;
  reasons(name: string): Promise<string[]>;
  /** The heal actions (restart, cache clear, rollback) among a deployment's Event reasons. */
  actions(name?: string): Promise<string[]>;
  /** Advances one cycle and runs `r` until `pred` holds; fails naming the Events if it never does. */
  cyclesUntil(r: Replica, pred: () => Promise<boolean>, max?: number): Promise<void>;
  deployment(name: string): Promise<V1Deployment>;
  healState(name: string): Promise<ReturnType<typeof readPersisted>['state']>;
  stop(): Promise<void>;
}

/**
 * `realTime` runs the simulator on the wall clock (for suites with a real Prometheus, which
 * stamps samples with wall time); otherwise time moves only with `advance()`.
 */
export async function startWorld(
  workloads: WorkloadSpec[],
  opts: { realTime?: boolean } = {},
): Promise<World> {
  const clock: Clock = opts.realTime ? new ScaledClock(1) : new ManualClock(Date.UTC(2026, 0, 1));
  const sim = await startSimulator({ clock, workloads, seed: 11 });
  if (!opts.realTime) sim.tick(60_000);
  const proxy = await startFaultProxy(sim.url);
  const backend = await startFakeBackend();
  const slack = await startSlackReceiver();
  const direct = new KubeConfig();
  direct.loadFromString(kubeconfigYaml(sim.url));
  const kube = createKubeClients(direct);
  const now = (): number => clock.now();

  const world: World = {
    sim,
    clock,
    proxy,
    backend,
    slack,
    kube,
    async addReplica(opts) {
      const config: HealerConfig = configFromSources(
        {},
        {
          namespaces: [NS],
          prometheus: {
            url: opts.prometheusUrl ?? 'http://127.0.0.1:1',
            timeoutMs: 300,
            retries: 1,
          },
          backend: { url: backend.url, retries: 1, timeoutMs: 300 },
          slack: { webhookUrl: slack.webhookUrl, timeoutMs: 300 },
          enterCycles: 2,
          exitCycles: 2,
          stabilisationMs: 120_000,
          cacheClear: { method: 'proxy', path: '/cache/clear' },
          kube: { retries: 2 },
          // These tests climb the whole ladder with bad releases; rollback-first right after a
          // release is tested in test/humans/changeAware.test.ts.
          changeAware: { enabled: false },
          logLevel: 'silent',
          ...opts.config,
        },
      );
      const kc = withRequestTimeout(new KubeConfig(), KUBE_TIMEOUT_MS);
      kc.loadFromString(kubeconfigYaml(proxy.url));
      const kubeClients = createKubeClients(kc);
      const logger = pino({ level: config.logLevel });
      const noSleep = async (): Promise<void> => undefined;
      const store = new StatusStore({ thresholds: config.thresholds });
      const notifier = new SlackNotifier({
        webhookUrl: slack.webhookUrl,
        timeoutMs: config.slack.timeoutMs,
        retries: 5,
        queueSize: 50,
        now,
        baseDelayMs: 1_000,
        // No pacing on the virtual clock: the sender's 1 msg/s is tested in slack.test.ts.
        sleep: noSleep,
      });
      const elector = new LeaseLeaderElector(
        kc.makeApiClient(CoordinationV1Api),
        { ...LEASE, identity: opts.identity },
        { now, schedule: () => () => undefined },
      );
      const source: FeatureSource = opts.prometheusUrl
        ? new PrometheusFeatureSource({
            url: opts.prometheusUrl,
            window: config.prometheus.window,
            queries: config.prometheus.queries,
            maxSampleAgeMs: config.prometheus.maxSampleAgeMs,
            timeoutMs: config.prometheus.timeoutMs,
            retries: config.prometheus.retries,
            now: () => Date.now(),
            sleep: noSleep,
          })
        : new SimulatorFeatureSource({ url: sim.url, now });
      let budget: BudgetGate | undefined;
      const { healer, metrics } = createHealer({
        config,
        kube: kubeClients,
        logger,
        registry: new Registry(),
        sink: store,
        budget: {
          check: (r, t) => budget!.check(r, t),
          record: (r, t, o) => budget!.record(r, t, o),
          ready: async () => budget?.ready?.(),
          forget: (ns, name) => budget?.forget?.(ns, name),
        },
        now,
        sleep: noSleep,
        notifier,
        source,
        instance: opts.identity,
        isLeader: () => elector.isLeader() && (opts.leading?.() ?? true),
        term: () => elector.term(),
        onDependency: (name, ok, detail) => readiness.report(name, ok, detail),
      });
      const readiness: ReadinessTracker = new ReadinessTracker({
        isLeader: () => elector.isLeader(),
        probes: {
          ...(opts.prometheusUrl ? { prometheus: httpProbe(`${opts.prometheusUrl}/-/ready`) } : {}),
          backend: httpProbe(`${backend.url}/readyz`),
        },
        probeTimeoutMs: 300,
      });
      const app = createStatusApp({
        store,
        registry: metrics.registry,
        token: TOKEN,
        runCheck: () => healer.runCycle(),
        resetDeployment: (ns, name) => healer.reset(ns, name),
        readiness: () => readiness.readiness(),
        shadow: () => healer.shadowEntries(),
        now: () => new Date(now()),
      });
      return {
        identity: opts.identity,
        healer,
        elector,
        store,
        readiness,
        metrics,
        notifier,
        app,
        async cycle() {
          await elector.tick();
          // A follower assesses and publishes status only, as main.ts runs it.
          if (!elector.isLeader()) {
            await healer.runCycle({ observeOnly: true });
            return undefined;
          }
          // A new leader starts from the budget already spent (the Events), as main.ts does.
          budget ??= opts.gate?.(kubeClients);
          budget ??= withBudgetMetrics(
            new LedgerBudgetGate(
              opts.budget ?? GENEROUS,
              await loadLedgerFromEvents(kubeClients.core, [NS], { component: 'aiops-healer' }),
            ),
            metrics.registry,
          );
          return healer.runCycle();
        },
      };
    },
    advance(ms = 30_000) {
      sim.tick(ms);
    },
    async events(name) {
      const list = await kube.core.listNamespacedEvent({ namespace: NS });
      return list.items
        .filter((e) => e.involvedObject.name === name && e.source?.component === 'aiops-healer')
        .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
    },
    async reasons(name) {
      return (await world.events(name)).map((e) => e.reason ?? '');
    },
    async actions(name = 'web') {
      return (await world.reasons(name)).filter((r) => HEAL_ACTION_REASONS.includes(r));
    },
    async cyclesUntil(r, pred, max = 10) {
      for (let i = 0; i < max; i++) {
        world.advance();
        await r.cycle();
        if (await pred()) return;
      }
      throw new Error(
        `not reached after ${max} cycles; Events: ${(await world.reasons('web')).join(', ')}`,
      );
    },
    deployment: (name) => kube.apps.readNamespacedDeployment({ name, namespace: NS }),
    async healState(name) {
      return readPersisted(await world.deployment(name)).state;
    },
    async stop() {
      await proxy.stop();
      await backend.stop();
      await slack.stop();
      await sim.stop();
    },
  };
  return world;
}
