/**
 * The loop's Prometheus metrics, on a registry passed in (the status API serves it at /metrics;
 * the leader and budget modules register theirs on the same one).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class HealerMetrics {
  readonly cycleDuration: Histogram<'result'>;
  readonly deploymentsWatched: Gauge;
  readonly risk: Gauge<'namespace' | 'deployment'>;
  readonly actions: Counter<'action' | 'step' | 'outcome'>;
  readonly stepOutcomes: Counter<'action' | 'outcome'>;
  readonly stepRiskDelta: Histogram<'action'>;
  readonly inconclusive: Counter;
  readonly inconclusiveDeployments: Gauge;
  readonly warmingDeployments: Gauge;
  readonly notifications: Counter<'kind' | 'result'>;
  readonly notificationFailures: Counter;
  readonly notificationsUndelivered: Counter<'why'>;
  readonly prometheusQueries: Counter<'result'>;
  readonly prometheusQuerySeconds: Counter<'phase'>;
  readonly prometheusAnswerBytes: Counter;
  readonly predictRequests: Counter<'result'>;
  readonly reportFailures: Counter<'channel'>;
  readonly fleetHold: Gauge;
  private readonly riskLabels = new Set<string>();

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.cycleDuration = new Histogram({
      name: 'aiops_healer_cycle_duration_seconds',
      help: 'Wall time of one healer cycle (list, fetch, predict, decide, act, report).',
      labelNames: ['result'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.deploymentsWatched = new Gauge({
      name: 'aiops_healer_deployments_watched',
      help: 'Deployments opted in by label in the watched namespaces, at the last cycle.',
      registers,
    });
    this.risk = new Gauge({
      name: 'aiops_deployment_risk',
      help: 'Last conclusive predicted risk (0–1) per watched deployment.',
      labelNames: ['namespace', 'deployment'],
      registers,
    });
    this.actions = new Counter({
      name: 'aiops_healer_actions_total',
      help: 'Heal steps by action, ladder step and outcome (done, skipped, refused, failed, dry_run, budget_denied).',
      labelNames: ['action', 'step', 'outcome'],
      registers,
    });
    this.stepOutcomes = new Counter({
      name: 'aiops_healer_step_outcomes_total',
      help: 'Heal steps judged after their stabilisation window: cured or not_cured.',
      labelNames: ['action', 'outcome'],
      registers,
    });
    this.stepRiskDelta = new Histogram({
      name: 'aiops_healer_step_risk_delta',
      help: 'Risk after the stabilisation window minus risk before the step (negative is better).',
      labelNames: ['action'],
      buckets: [-0.8, -0.6, -0.4, -0.2, -0.1, 0, 0.1, 0.2],
      registers,
    });
    this.inconclusive = new Counter({
      name: 'aiops_healer_inconclusive_assessments_total',
      help: 'Assessments without usable data (missing, NaN, stale, failed query or /predict): never acted on. The warm-up after a start is not counted (aiops_healer_warming_deployments).',
      registers,
    });
    this.inconclusiveDeployments = new Gauge({
      name: 'aiops_healer_inconclusive_deployments',
      help: 'Deployments whose assessment was inconclusive at the last cycle.',
      registers,
    });
    this.warmingDeployments = new Gauge({
      name: 'aiops_healer_warming_deployments',
      help: 'Deployments held at the last cycle because part of their own-normal context is not read yet (the bounded warm-up after a start).',
      registers,
    });
    this.notifications = new Counter({
      name: 'aiops_healer_notifications_total',
      help: 'Notifications by kind and result (delivered, queued, duplicate).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.notificationFailures = new Counter({
      name: 'aiops_healer_notification_failures_total',
      help: 'Failed notification delivery attempts (each retry counts).',
      registers,
    });
    this.notificationsUndelivered = new Counter({
      name: 'aiops_healer_notifications_undelivered_total',
      help: 'Notifications given up on: retry queue full or retries exhausted.',
      labelNames: ['why'],
      registers,
    });
    this.prometheusQueries = new Counter({
      name: 'aiops_healer_prometheus_queries_total',
      help: 'PromQL queries sent (one per feature per cycle), by result.',
      labelNames: ['result'],
      registers,
    });
    this.prometheusQuerySeconds = new Counter({
      name: 'aiops_healer_prometheus_query_seconds_total',
      help: 'Time spent on PromQL answers: waiting for Prometheus (evaluation and transfer) or parsing them here.',
      labelNames: ['phase'],
      registers,
    });
    this.prometheusAnswerBytes = new Counter({
      name: 'aiops_healer_prometheus_answer_bytes_total',
      help: 'Bytes of PromQL answers received.',
      registers,
    });
    this.predictRequests = new Counter({
      name: 'aiops_healer_predict_requests_total',
      help: 'Batched POST /predict calls, by result.',
      labelNames: ['result'],
      registers,
    });
    this.reportFailures = new Counter({
      name: 'aiops_healer_report_failures_total',
      help: 'Reporting side effects that failed (Kubernetes Event, status sink); the action stands.',
      labelNames: ['channel'],
      registers,
    });
    this.fleetHold = new Gauge({
      name: 'aiops_healer_fleet_hold',
      help: '1 while the fleet guard holds actions (many deployments at risk together, or a shared dependency degraded), else 0.',
      registers,
    });
  }

  /**
   * Sets the risk gauge; drops deployments no longer watched and those inconclusive this cycle
   * (a frozen last value would look like a live one).
   */
  setRisks(risks: ReadonlyMap<string, number | null>): void {
    for (const key of this.riskLabels) {
      if (risks.get(key) === undefined || risks.get(key) === null) {
        const [namespace = '', deployment = ''] = key.split('/');
        this.risk.remove({ namespace, deployment });
        this.riskLabels.delete(key);
      }
    }
    for (const [key, risk] of risks) {
      if (risk === null) continue;
      const [namespace = '', deployment = ''] = key.split('/');
      this.risk.set({ namespace, deployment }, risk);
      this.riskLabels.add(key);
    }
  }
}
