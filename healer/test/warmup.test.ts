/**
 * The warm-up after a start, end to end through the loop: the healer built by the factory from
 * its config reads a Prometheus (a local server speaking the query API with every recorded series)
 * and a `/predict` fake whose rule is a deployment's own normal — a JVM that always sits at 85 % of
 * its memory limit is at risk only to a judge that lacks its baseline. Its baseline statistics are
 * read `contextWarmupPerCycle` a cycle after the start, so until the last is read it must be held:
 * no action, no page, no inconclusive alert; then it is judged with its baseline.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultWorkload } from '@aiops/simulator';
import {
  BASELINE_FEATURES,
  FEATURES,
  FEATURE_NAMES,
  baselineQueryNamesOf,
  type FeatureInput,
} from '@aiops/model';
import {
  RULE_GROUP_EVALUATION_RECORD,
  recordedBaselineName,
  recordedFeatureName,
  recordingRuleGroups,
} from '@aiops/model/recording';
import { pino } from 'pino';
import { runCheck } from '../src/cli.js';
import { loadKubeConfig } from '../src/actions/kube.js';
import { configFromSources } from '../src/config.js';
import type { RiskRule } from './fakePredict.js';
import { startHarness, type Harness } from './harness.js';

const NS = 'shop';
const JVM = { ...defaultWorkload(NS, 'jvm'), autoheal: true };
const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true };
/** Cycles 10 s apart: every rule group's one evaluation stays fresh through the test. */
const STEP_MS = 10_000;
/** Its memory sits at 85 % of the limit, as it always has. */
const JVM_MEMORY = 0.85;

/** At risk when memory is high and the deployment's own normal does not say it always is. */
const OWN_NORMAL: RiskRule = (f: FeatureInput) => {
  const memory = f.memory_limit_ratio ?? 0;
  const normal = f.baseline?.memory_limit_ratio?.p50;
  const high = memory > 0.8 && !(normal !== undefined && normal > 0.8);
  return {
    risk: high ? 0.95 : 0.05,
    explanation: [{ feature: 'memory_limit_ratio', value: memory, contribution: high ? 0.9 : 0 }],
  };
};

/** Every recorded series' name → its value for a deployment. */
function valueOf(name: string, deployment: string): number | undefined {
  for (const f of FEATURE_NAMES)
    if (name === recordedFeatureName(f))
      return f === 'memory_limit_ratio' && deployment === 'jvm'
        ? JVM_MEMORY
        : FEATURES.find((x) => x.name === f)!.default;
  for (const f of BASELINE_FEATURES)
    for (const stat of baselineQueryNamesOf(f))
      if (name === recordedBaselineName(f, stat)) {
        if (stat === 'count') return 60;
        if (stat === 'slope') return 0;
        return f === 'memory_limit_ratio' && deployment === 'jvm'
          ? JVM_MEMORY
          : FEATURES.find((x) => x.name === f)!.default;
      }
  // an SLO window: no errors, within the objective
  if (name.startsWith('namespace_deployment:aiops_slo_')) return name.includes('requests') ? 10 : 0;
  return undefined;
}

/**
 * A Prometheus with every recorded series, each stamped with the query's time; every rule group
 * evaluated once, just before the first query (so no column is due again in these cycles).
 */
async function startPrometheus(): Promise<{ url: string; sent: string[]; stop(): Promise<void> }> {
  const sent: string[] = [];
  let evaluatedAt: number | undefined;
  const vector = (rows: { metric: Record<string, string>; at: number; v: number }[]) =>
    JSON.stringify({
      status: 'success',
      data: {
        resultType: 'vector',
        result: rows.map((r) => ({ metric: r.metric, value: [r.at, String(r.v)] })),
      },
    });
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const q = u.searchParams.get('query') ?? '';
    const at = Number(u.searchParams.get('time'));
    sent.push(q);
    evaluatedAt ??= at - 10;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (q === RULE_GROUP_EVALUATION_RECORD)
      return res.end(
        vector(
          recordingRuleGroups().map((g) => ({
            metric: { __name__: RULE_GROUP_EVALUATION_RECORD, rule_group: g.name },
            at,
            v: evaluatedAt!,
          })),
        ),
      );
    // the freshness query: nothing stale
    if (q.startsWith('(')) return res.end(vector([]));
    const name = q.split('{')[0]!;
    return res.end(
      vector(
        ['jvm', 'web'].flatMap((d) => {
          const v = valueOf(name, d);
          return v === undefined ? [] : [{ metric: { namespace: NS, deployment: d }, at, v }];
        }),
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let h: Harness | undefined;
let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined;
afterEach(async () => {
  await h?.stop();
  await prom?.stop();
  h = undefined;
  prom = undefined;
});

/**
 * The JVM and another deployment, read from the Prometheus fake by the source the factory builds
 * (20 baseline statistics a cycle). A judgement without the baseline would act on the first cycle
 * (`enterCycles` 1), and an inconclusive one alert on the second.
 */
async function start(): Promise<Harness> {
  prom = await startPrometheus();
  return startHarness({
    workloads: [JVM, WEB],
    rule: OWN_NORMAL,
    configuredSource: true,
    config: {
      prometheus: { url: prom.url, featureRules: 'recorded', contextWarmupPerCycle: 20 },
      enterCycles: 1,
      inconclusiveAlertMs: 30_000,
    },
  });
}

describe('the warm-up after a start', () => {
  it('holds a deployment judged without its own normal, then judges it with it', async () => {
    h = await start();
    const contextSent = () =>
      prom!.sent.filter((q) => /^namespace_deployment:aiops_[a-z0-9_]+:[a-z0-9_]+\{/.test(q));

    // 65 baseline statistics, 20 a cycle: cycles 1–3 warming, all 10 SLO windows on the first
    const perCycle: number[] = [];
    for (let cycle = 1; cycle <= 3; cycle++) {
      prom!.sent.length = 0;
      const r = await h.cycle(STEP_MS);
      perCycle.push(contextSent().length);
      expect(r.errors).toEqual([]);
      const jvm = r.rows.find((row) => row.name === 'jvm')!;
      expect(jvm).toMatchObject({ decision: 'inconclusive', warmingUp: true, risk: null });
      expect(jvm.detail).toContain('warming up: own-normal context not read yet');
      expect(r.fleetHold).toBeUndefined();
      const status = h.sink.statuses.get(`${NS}/jvm`);
      expect(status).toMatchObject({ state: 'inconclusive', warmingUp: true });
      expect(status?.inconclusiveReason).toContain('prometheus.contextWarmupPerCycle');
    }
    expect(perCycle).toEqual([30, 20, 20]);
    expect(await h.reasons(NS, 'jvm')).toEqual([]);
    expect(h.slack.messages()).toEqual([]);
    expect(
      await h.metrics.registry.getSingleMetricAsString('aiops_healer_warming_deployments'),
    ).toContain('aiops_healer_warming_deployments 2');

    // the last 5 read: judged with its own normal, which says 85 % is where it always sits
    prom!.sent.length = 0;
    const warm = await h.cycle(STEP_MS);
    expect(contextSent()).toHaveLength(5);
    const jvm = warm.rows.find((row) => row.name === 'jvm')!;
    expect(jvm).toMatchObject({ decision: 'none', inconclusive: false, risk: 0.05 });
    expect(jvm.warmingUp).toBeUndefined();
    const sent = h.predictor.requests.at(-1)!.instances[0]!;
    expect(sent.baseline?.memory_limit_ratio?.p50).toBe(JVM_MEMORY);
    expect(Object.keys(sent.baseline ?? {}).sort()).toEqual([...BASELINE_FEATURES].sort());

    // and from then on, every context column cached: none read until its group evaluates
    prom!.sent.length = 0;
    await h.cycle(STEP_MS);
    expect(contextSent()).toEqual([]);
    expect(await h.reasons(NS, 'jvm')).toEqual([]);
    expect(h.slack.messages()).toEqual([]);
  });

  it('a follower warms up while it follows: its first cycle as leader judges with every statistic', async () => {
    h = await start();
    // as main.ts runs a replica that does not hold the Lease: observe-only cycles
    const warming: number[] = [];
    for (let cycle = 1; cycle <= 4; cycle++) {
      h.sim.tick(STEP_MS);
      const r = await h.healer.runCycle({ observeOnly: true });
      warming.push(r.rows.filter((row) => row.warmingUp).length);
    }
    expect(warming).toEqual([2, 2, 2, 0]);
    // the Lease changes hands: the new leader's first cycle reads no context, holds nothing
    prom!.sent.length = 0;
    const first = await h.cycle(STEP_MS);
    expect(
      prom!.sent.filter((q) => /^namespace_deployment:aiops_[a-z0-9_]+:[a-z0-9_]+\{/.test(q)),
    ).toEqual([]);
    expect(first.rows.find((row) => row.name === 'jvm')).toMatchObject({
      decision: 'none',
      risk: 0.05,
    });
    expect(await h.reasons(NS, 'jvm')).toEqual([]);
  });

  it('healer check (one cycle) reads every statistic at once: judged, not warming', async () => {
    h = await start();
    const report = await runCheck(
      { dryRun: true, format: 'table' },
      {
        config: configFromSources(
          {},
          {
            namespaces: [NS],
            prometheus: { url: prom!.url, featureRules: 'recorded' },
            backend: { url: h.predictor.url, retries: 0 },
            logLevel: 'silent',
          },
        ),
        kc: loadKubeConfig(h.sim.kubeconfigPath),
        logger: pino({ level: 'silent' }),
        identity: 'healer-check-warmup',
        now: () => h!.clock.now(),
      },
    );
    expect(report.rows.find((row) => row.name === 'jvm')).toMatchObject({
      decision: 'none',
      risk: 0.05,
    });
    expect(report.rows.some((row) => row.warmingUp)).toBe(false);
  });
});
