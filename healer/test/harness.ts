/**
 * Builds a real {@link Healer} (by the same factory as main.ts) wired to the simulator (client-node through its kubeconfig), the
 * simulator's signals, a fake /predict server and a Slack receiver, all on one injected clock.
 */
import {
  ManualClock,
  kubeconfigYaml,
  startSimulator,
  type RunningSimulator,
  type WorkloadSpec,
} from '@aiops/simulator';
import { startSlackReceiver, type RunningSlackReceiver } from '@aiops/simulator/slack/receiver';
import type { CoreV1Event } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../src/actions/kube.js';
import { configFromSources, type HealerConfig, type HealerConfigInput } from '../src/config.js';
import { createHealer, type HealerNotifier, type HealerParts } from '../src/loop/factory.js';
import type { Healer } from '../src/loop/healer.js';
import type { HealerMetrics } from '../src/metrics.js';
import { SlackNotifier } from '../src/notify/slack.js';
import { ALLOW_ALL_BUDGET, type BudgetGate } from '../src/policy/types.js';
import { MemoryStatusSink } from '../src/report/memoryStatus.js';
import { SimulatorFeatureSource } from '../src/sources/simulator.js';
import type { FeatureSource } from '../src/sources/types.js';
import { startExecFake, type ExecFake } from './execFake.js';
import { startFakePredictor, type FakePredictor, type RiskRule } from './fakePredict.js';

export interface Harness {
  sim: RunningSimulator;
  clock: ManualClock;
  kube: KubeClients;
  healer: Healer;
  config: HealerConfig;
  predictor: FakePredictor;
  slack: RunningSlackReceiver;
  sink: MemoryStatusSink;
  metrics: HealerMetrics;
  notifier: SlackNotifier;
  /** Approvals, silences and the kill switch. */
  humans: HealerParts['humans'];
  /** The exec fake, when asked for. */
  exec?: ExecFake;
  /** Advances virtual time by one cycle interval and runs a cycle. */
  cycle(ms?: number): ReturnType<Healer['runCycle']>;
  /** Events the healer wrote on a deployment, oldest first. */
  events(namespace: string, name: string): Promise<CoreV1Event[]>;
  /** Their reasons. */
  reasons(namespace: string, name: string): Promise<string[]>;
  /** Runs cycles until `pred` holds; fails naming `watch`'s Events if it never does. */
  cyclesUntil(
    pred: () => Promise<boolean> | boolean,
    max: number,
    watch: { namespace: string; name: string },
  ): Promise<number>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  workloads: WorkloadSpec[];
  config?: Partial<HealerConfigInput>;
  rule?: RiskRule;
  budget?: BudgetGate;
  /** Several healers can share one simulator. */
  sim?: RunningSimulator;
  /** Talk to the cluster through the exec fake (pods/exec answered and recorded). */
  execFake?: boolean;
  /** Wraps the feature source (e.g. to make an assessment slow). */
  wrapSource?: (source: FeatureSource, sim: RunningSimulator) => FeatureSource;
  /**
   * The source the factory builds from the config (`config.prometheus`), as main.ts has it,
   * instead of the simulator's signals.
   */
  configuredSource?: boolean;
  /** Leadership as the loop sees it (default: always leader). */
  isLeader?: () => boolean;
  /** Notifies through this instead of the webhook receiver (the Slack app stand-in). */
  notifier?: HealerNotifier;
  /** Keep autonomy's evidence in its ConfigMap, as the service does. */
  keepEvidence?: boolean;
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = opts.sim ?? (await startSimulator({ clock, workloads: opts.workloads }));
  const simClock = sim.clock as ManualClock;
  const now = (): number => simClock.now();
  if (!opts.sim) sim.tick(60_000);
  const predictor = await startFakePredictor(opts.rule);
  const slack = await startSlackReceiver();
  const config = configFromSources(
    {},
    {
      prometheus: { url: 'http://127.0.0.1:1' },
      backend: { url: predictor.url, retries: 0 },
      slack: { webhookUrl: slack.webhookUrl, timeoutMs: 1_000 },
      enterCycles: 2,
      exitCycles: 2,
      stabilisationMs: 120_000,
      cacheClear: { method: 'proxy', path: '/cache/clear' },
      logLevel: 'silent',
      ...opts.config,
    },
  );
  const exec = opts.execFake ? await startExecFake(sim.url) : undefined;
  const kube = exec
    ? createKubeClients(loadKubeConfigText(kubeconfigYaml(exec.url)))
    : createKubeClients(loadKubeConfig(sim.kubeconfigPath));
  const logger = pino({ level: config.logLevel });
  const sink = new MemoryStatusSink();
  const notifier = new SlackNotifier({
    webhookUrl: slack.webhookUrl,
    timeoutMs: config.slack.timeoutMs,
    retries: 5,
    queueSize: 50,
    now,
    baseDelayMs: 1_000,
    // No pacing on the virtual clock: the sender's 1 msg/s is tested in slack.test.ts.
    sleep: async () => undefined,
  });
  const { healer, metrics, humans } = createHealer({
    config,
    kube,
    logger,
    registry: new Registry(),
    sink,
    budget: opts.budget ?? ALLOW_ALL_BUDGET,
    now,
    sleep: async () => undefined,
    notifier: opts.notifier ?? notifier,
    ...(opts.configuredSource
      ? {}
      : {
          source: (opts.wrapSource ?? ((s) => s))(
            new SimulatorFeatureSource({ url: sim.url, now }),
            sim,
          ),
        }),
    ...(opts.isLeader ? { isLeader: opts.isLeader } : {}),
    ...(opts.keepEvidence ? { keepEvidence: true } : {}),
  });
  const harness: Harness = {
    sim,
    clock: simClock,
    kube,
    healer,
    config,
    predictor,
    slack,
    sink,
    metrics,
    notifier,
    humans,
    ...(exec ? { exec } : {}),
    async cycle(ms = 30_000) {
      sim.tick(ms);
      const report = await healer.runCycle();
      // Slack is sent off the loop: let the sender deliver before the test reads the receiver.
      await notifier.flush();
      return report;
    },
    async events(namespace, name) {
      const list = await kube.core.listNamespacedEvent({ namespace });
      // Event names are the object name + hex time + a sequence number: sortable.
      return list.items
        .filter(
          (e) => e.involvedObject.name === name && e.source?.component === config.kube.component,
        )
        .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
    },
    async reasons(namespace, name) {
      return (await harness.events(namespace, name)).map((e) => e.reason ?? '');
    },
    async cyclesUntil(pred, max, watch) {
      for (let i = 1; i <= max; i++) {
        await harness.cycle();
        if (await pred()) return i;
      }
      const seen = await harness.reasons(watch.namespace, watch.name);
      throw new Error(`not reached after ${max} cycles; events: ${seen.join(', ')}`);
    },
    async stop() {
      await exec?.stop();
      await predictor.stop();
      await slack.stop();
      if (!opts.sim) await sim.stop();
    },
  };
  return harness;
}

function loadKubeConfigText(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}
