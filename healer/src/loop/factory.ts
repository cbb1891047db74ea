/**
 * Builds a {@link Healer} and its parts from the parsed config. Shared by main.ts (the service),
 * cli.ts (one cycle for CI), the benchmark and the tests, so all of them heal the same way. The
 * clock, the notifier and the feature source can be injected (tests drive a virtual clock).
 */
import { ConfigMapEvidenceStore } from '../autonomy/evidenceStore.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WorkloadActions } from '../actions/workload.js';
import type { KubeClients } from '../actions/kube.js';
import { ActionRunner } from '../actions/runner.js';
import type { HealerConfig } from '../config.js';
import { HealGate } from '../gate/gate.js';
import { LostLeadershipError } from '../leader/errors.js';
import { HealerMetrics } from '../metrics.js';
import { LogNotifier } from '../notify/log.js';
import { SlackNotifier } from '../notify/slack.js';
import { SlackAppNotifier } from '../notify/slackApp.js';
import type { Notifier } from '../notify/types.js';
import { ALLOW_ALL_BUDGET, type BudgetGate } from '../policy/types.js';
import { KubeEventRecorder } from '../report/kubeEvents.js';
import { Reporter } from '../report/reporter.js';
import type { StatusSink } from '../report/types.js';
import type { Sleep } from '../retry.js';
import { Assessor, type Predictor } from '../sources/assess.js';
import { createKinds } from '../kinds/index.js';
import { listWatchedTargets } from '../sources/targets.js';
import { watchedKinds } from '../sources/watchedTargets.js';

/** Asked of the API server per target watch: it ends the stream after this and the watch resumes. */
const WATCH_TIMEOUT_SECONDS = 300;
import { PredictClient } from '../sources/predict.js';
import { PrometheusFeatureSource } from '../sources/prometheus.js';
import { SimulatorFeatureSource } from '../sources/simulator.js';
import type { FeatureSource } from '../sources/types.js';
import { createHumans, type Humans } from '../humans/create.js';
import { PolicyBook } from '../policy/policySource.js';
import { Healer, type HealerDeps } from './healer.js';

export type HealerNotifier = Notifier & {
  flush?(): Promise<void>;
  drain?(timeoutMs: number): Promise<void>;
  pending?(): number;
};

export interface HealerParts {
  healer: Healer;
  notifier: HealerNotifier;
  metrics: HealerMetrics;
  source: FeatureSource;
  predictor: Predictor;
  reporter: Reporter;
  /** Approvals, silences and the kill switch (`src/humans/`). */
  humans: Humans;
  /** Ends the target informers' watches (`kube.watchTargets`). */
  stopWatches(): void;
}

export interface FactoryOptions {
  config: HealerConfig;
  kube: KubeClients;
  logger: Logger;
  registry: Registry;
  sink: StatusSink;
  budget?: BudgetGate;
  /** The clock every part uses (ms since epoch). Default `Date.now`. */
  now?: () => number;
  /** Delay between retries (tests pass one that does not wait). */
  sleep?: Sleep;
  /** Default: Slack when `slack.webhookUrl` is set, else the log. */
  notifier?: HealerNotifier;
  /** Default: from `features.source`. */
  source?: FeatureSource;
  /** Default: `PredictClient` on `backend.url`. */
  predictor?: Predictor;
  isLeader?: () => boolean;
  /** The leader's term (Lease `leaseTransitions`), written into the heal state. */
  term?: () => number | undefined;
  onDependency?: HealerDeps['onDependency'];
  /** `reportingInstance` of the Events (the pod name). */
  instance?: string;
  /**
   * Keep the dry-run evidence autonomy is earned from in its ConfigMap (the service). A one-shot
   * `healer check` does not: it writes nothing it was not asked to.
   */
  keepEvidence?: boolean;
}

export function createHealer(o: FactoryOptions): HealerParts {
  const { config, kube, logger } = o;
  const now = o.now ?? Date.now;
  const metrics = new HealerMetrics(o.registry);
  const notifier: HealerNotifier =
    o.notifier ??
    (config.slack.botToken && config.slack.channel
      ? new SlackAppNotifier({
          token: config.slack.botToken,
          channel: config.slack.channel,
          apiUrl: config.slack.apiUrl,
          timeoutMs: config.slack.timeoutMs,
          retries: config.slack.retries,
          onFailed: (m, error) => {
            metrics.notificationFailures.inc();
            logger.warn({ notification: m.kind, error }, 'Slack app delivery failed');
          },
        })
      : undefined) ??
    (config.slack.webhookUrl
      ? new SlackNotifier({
          webhookUrl: config.slack.webhookUrl,
          timeoutMs: config.slack.timeoutMs,
          retries: config.slack.retries,
          queueSize: config.slack.queueSize,
          paceMs: config.slack.paceMs,
          now,
          onAttemptFailed: (m, error) => {
            metrics.notificationFailures.inc();
            logger.warn({ notification: m.kind, error }, 'Slack delivery failed; queued for retry');
          },
          onDropped: (m, why) => {
            metrics.notificationsUndelivered.inc({ why });
            logger.error({ notification: m.kind, why }, 'Slack notification given up');
          },
        })
      : new LogNotifier(logger));
  const source: FeatureSource =
    o.source ??
    (config.features.source === 'simulator'
      ? new SimulatorFeatureSource({
          url: config.features.simulatorUrl,
          now,
          timeoutMs: config.prometheus.timeoutMs,
        })
      : new PrometheusFeatureSource({
          url: config.prometheus.url,
          window: config.prometheus.window,
          queries: config.prometheus.queries,
          maxSampleAgeMs: config.prometheus.maxSampleAgeMs,
          checkSampleAge: config.prometheus.checkSampleAge,
          podJoin: config.prometheus.podJoin,
          featureRules: config.prometheus.featureRules,
          maxConcurrentQueries: config.prometheus.maxConcurrentQueries,
          contextRefreshesPerCycle: config.prometheus.contextRefreshesPerCycle,
          contextWarmupPerCycle: config.prometheus.contextWarmupPerCycle,
          compressAnswers: config.prometheus.compressAnswers,
          onMissingRecords: (missing) =>
            missing.length === 0
              ? logger.info('feature queries read the recorded series')
              : logger.warn(
                  { missing },
                  `${missing.length} feature/SLO series are evaluated per pod at query time: Prometheus lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''} — load deploy/prometheus/recording.yml (in the PrometheusRule); without it a large fleet's cycle costs Prometheus far more`,
                ),
          onPodJoin: (join, why) =>
            join === 'recorded'
              ? logger.info({ podJoin: join }, `feature queries: ${why}`)
              : logger.warn({ podJoin: join }, `feature queries use the inline join: ${why}`),
          timeoutMs: config.prometheus.timeoutMs,
          retries: config.prometheus.retries,
          now,
          ...(o.sleep ? { sleep: o.sleep } : {}),
          onQuery: (_feature, ok, _seconds, answer) => {
            metrics.prometheusQueries.inc({ result: ok ? 'ok' : 'error' });
            if (!answer) return;
            metrics.prometheusQuerySeconds.inc({ phase: 'wait' }, answer.waitSeconds);
            metrics.prometheusQuerySeconds.inc({ phase: 'parse' }, answer.parseSeconds);
            metrics.prometheusAnswerBytes.inc(answer.bytes);
          },
        }));
  const predictor: Predictor =
    o.predictor ??
    new PredictClient({
      url: config.backend.url,
      timeoutMs: config.backend.timeoutMs,
      retries: config.backend.retries,
      explain: config.backend.explain,
      ...(o.sleep ? { sleep: o.sleep } : {}),
    });
  const reporter = new Reporter({
    logger,
    events: new KubeEventRecorder(kube.core, {
      component: config.kube.component,
      ...(o.instance ? { instance: o.instance } : {}),
      now,
      ...(o.sleep ? { sleep: o.sleep } : {}),
    }),
    notifier,
    sink: o.sink,
    metrics,
    now,
    // Followers, and a leader that just lost the Lease, write no Event.
    ...(o.isLeader ? { mayWrite: o.isLeader } : {}),
  });
  const beforeWrite = (): void => {
    if (o.isLeader && !o.isLeader()) throw new LostLeadershipError();
  };
  const humans = createHumans({
    config,
    core: kube.core,
    reporter,
    logger,
    registry: o.registry,
    now,
    inner: new HealGate({
      budget: o.budget ?? ALLOW_ALL_BUDGET,
      maxAssessmentAgeMs: config.maxAssessmentAgeMs,
    }),
  });
  const kinds = createKinds(kube, config.kinds);
  // Informers list each kind once and then watch it: a steady-state cycle lists nothing.
  const watched =
    config.kube.watchTargets && kube.watch
      ? watchedKinds(kinds, kube.watch, {
          now,
          resyncMs: config.kube.resyncMs,
          watchTimeoutSeconds: WATCH_TIMEOUT_SECONDS,
          onRelist: (why) => logger.info({ why }, 'target watch: listing again'),
          onWatchRefused: (status, why) =>
            logger.warn(
              { status, why },
              `target watch refused (HTTP ${status}): grant list and watch on the heal kinds (k8s/base/healer/role.yaml), or set kube.watchTargets: false; listing every cycle meanwhile`,
            ),
        })
      : undefined;
  const healer = new Healer({
    config,
    kube,
    kinds,
    listTargets: (scope) =>
      listWatchedTargets(watched?.kinds ?? kinds, scope, {
        retries: config.kube.retries,
        ...(o.sleep ? { sleep: o.sleep } : {}),
      }),
    assessor: new Assessor({
      source,
      predictor,
      now,
      onPredict: (ok) => metrics.predictRequests.inc({ result: ok ? 'ok' : 'error' }),
    }),
    runner: new ActionRunner(
      new WorkloadActions(kube, kinds, {
        retries: config.kube.retries,
        beforeWrite,
        ...(o.sleep ? { sleep: o.sleep } : {}),
      }),
    ),
    gate: humans.gate,
    approvals: humans.approvals,
    ...(kube.custom ? { policies: new PolicyBook(kube.custom) } : {}),
    reporter,
    sink: o.sink,
    metrics,
    logger,
    now,
    notifier,
    ...(o.sleep ? { sleep: o.sleep } : {}),
    ...(o.isLeader ? { isLeader: o.isLeader } : {}),
    ...(o.term ? { term: o.term } : {}),
    ...(o.onDependency ? { onDependency: o.onDependency } : {}),
    ...(o.keepEvidence
      ? {
          evidence: new ConfigMapEvidenceStore(kube.core, {
            namespace: config.leader.namespace,
            name: config.control.evidenceConfigMap,
          }),
        }
      : {}),
  });
  return {
    healer,
    notifier,
    metrics,
    source,
    predictor,
    reporter,
    humans,
    stopWatches: () => watched?.stop(),
  };
}
