/**
 * The healer's configuration: parsed once (zod) in main.ts from the environment and an optional
 * YAML/JSON file (mounted from a ConfigMap), then passed to every component. Components never read
 * `process.env`.
 */
import { TARGET_KINDS } from './kinds/types.js';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { DEFAULT_FEATURE_QUERIES } from '@aiops/model/queries';
import { FEATURE_NAMES, type FeatureName } from '@aiops/model/schema';
import { createTask, validate as validateCron } from 'node-cron';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_BUDGET_LIMITS } from './budget/types.js';
import { HEAL_ACTIONS } from './policy/types.js';
import { HUMANS_CONFIG, SLACK_APP_CONFIG } from './humans/schema.js';
import { parseSelector, SelectorError } from './silence/selector.js';

const D = DEFAULT_BUDGET_LIMITS;
const count = z.number().int().min(0);
/** `backend.explain` by default: the messages' top 3 and two more for the dashboard's bars. */
export const EXPLAIN_DEFAULT = 5;
const EXPLAIN_RULE = 'must be "all" or a whole number 0–999';

/** Raised when the configuration breaks a rule; `issues` names each field and rule. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Why a label selector does not parse (naming the part), or undefined. */
function selectorProblem(selector: string): string | undefined {
  try {
    parseSelector(selector);
    return undefined;
  } catch (err) {
    if (err instanceof SelectorError) return `must be a label selector: ${err.message}`;
    throw err;
  }
}

const probability = z.number().min(0).max(1);
/** A URL the healer fetches or links to: http or https (`ftp://`, `file:` and the like are typos). */
export const httpUrl = (): z.ZodURL =>
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const durationMs = z.number().int().min(0);
const promRange = z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a PromQL duration such as 2m');

const featureQueries = z
  .record(z.string(), z.string().min(1))
  .superRefine((q, ctx) => {
    for (const k of Object.keys(q)) {
      if (!(FEATURE_NAMES as readonly string[]).includes(k)) {
        ctx.addIssue({ code: 'custom', message: `unknown feature "${k}"`, path: [k] });
      }
    }
  })
  .transform((q) => ({ ...DEFAULT_FEATURE_QUERIES, ...q }) as Record<FeatureName, string>);

export const CONFIG_SCHEMA = z
  .strictObject({
    /** Namespaces watched; empty means every namespace. */
    namespaces: z.array(z.string().min(1)).default([]),
    /** Label selector that opts a heal target in. */
    labelSelector: z
      .string()
      .min(1)
      .superRefine((s, ctx) => {
        // Checked here, once: the API server would refuse it on every cycle's list instead.
        const problem = selectorProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('aiops.io/autoheal=enabled'),
    /**
     * Kinds of heal target listed with that selector: `Deployment` (apps/v1) and `Rollout`
     * (argoproj.io/v1alpha1; a cluster without the Argo Rollouts CRD simply has none).
     */
    kinds: z
      .array(z.enum(TARGET_KINDS))
      .min(1)
      .refine((k) => new Set(k).size === k.length, 'must not repeat a kind')
      .default([...TARGET_KINDS]),
    /** node-cron expression (seconds field allowed). */
    schedule: z
      .string()
      .refine((s) => validateCron(s), 'must be a valid cron expression')
      .default('*/30 * * * * *'),
    prometheus: z
      .strictObject({
        url: httpUrl().default('http://prometheus-operated.monitoring:9090'),
        window: promRange.default('2m'),
        queries: featureQueries.default(DEFAULT_FEATURE_QUERIES),
        /** A sample older than this (ms) is stale (judged by the samples' own timestamps). */
        maxSampleAgeMs: durationMs.default(120_000),
        /** Read the samples' own timestamps (one more query per cycle). */
        checkSampleAge: z.boolean().default(true),
        /**
         * The pod → deployment join of the feature queries: `recorded` reads
         * namespace_deployment_pod:kube_pod_owner:relabel (deploy/prometheus/recording.yml),
         * `inline` evaluates it in each query, `auto` uses the recorded series when present.
         */
        podJoin: z.enum(['auto', 'recorded', 'inline']).default('auto'),
        /**
         * The per-deployment feature, freshness and SLO-window series: `recorded` reads the
         * recording rules of deploy/prometheus/recording.yml, `inline` evaluates the templates at
         * query time, `auto` reads each recorded series Prometheus has (and warns about the rest).
         */
        featureRules: z.enum(['auto', 'recorded', 'inline']).default('auto'),
        /**
         * Recorded context columns (baseline statistics, SLO windows) a cycle re-reads once their
         * rule group evaluated, the SLO windows first, then the group that evaluates next; the rest keep their last
         * values, at most one evaluation behind, until their turn. The rules change ~157 columns
         * per 5 minutes (21 every minute, 52 every 5): ~16 per cycle of the default 30 s schedule,
         * so 20 keeps up with room to spare and no cycle reads them all at once. Too few for a
         * slower schedule costs bursts (a column is never left two evaluations behind), not age.
         */
        contextRefreshesPerCycle: z.number().int().min(1).max(1000).default(20),
        /**
         * After a start, the recorded baseline statistics read per cycle (the SLO windows all on
         * the first): the cold cycle reads ~46 answers instead of all 91, and the last is read
         * on cycle ⌈65 / this⌉ (4 by default) whatever the fleet size. Until then every deployment
         * is held as `warming up` (no action, no streak, no alert) unless the SLO layer fired.
         * 1000: all at once, no warm-up.
         */
        contextWarmupPerCycle: z.number().int().min(1).max(1000).default(20),
        /** Prometheus queries one cycle keeps in flight at once (the rest wait their turn). */
        maxConcurrentQueries: z.number().int().min(1).max(64).default(4),
        /**
         * gzip the answers (default false): at 10,000 deployments a cycle reads tens of MB, and
         * compressing them costs Prometheus and the healer CPU every cycle — for a Prometheus
         * across a WAN only.
         */
        compressAnswers: z.boolean().default(false),
        timeoutMs: durationMs.min(1).default(5_000),
        retries: z.number().int().min(0).max(10).default(2),
      })
      .prefault({}),
    backend: z
      .strictObject({
        url: httpUrl().default('http://aiops-backend:5000'),
        timeoutMs: durationMs.min(1).default(5_000),
        retries: z.number().int().min(0).max(10).default(2),
        /**
         * How many of each row's contributions `/predict` answers (`?explain=`), largest first:
         * the messages name the top 3 and the dashboard shows what the status API keeps, so the
         * other features' contributions of 10,000 rows are bytes, parsing and memory for nobody.
         * `all` asks for every one (the dashboard's bars then show every feature).
         */
        explain: z
          .union([z.literal('all'), z.number()], { error: EXPLAIN_RULE })
          .refine((v) => v === 'all' || (Number.isInteger(v) && v >= 0 && v <= 999), {
            message: EXPLAIN_RULE,
          })
          .default(EXPLAIN_DEFAULT),
      })
      .prefault({}),
    thresholds: z
      .strictObject({ high: probability.default(0.8), low: probability.default(0.5) })
      .prefault({})
      .refine((t) => t.low <= t.high, { message: 'low must be ≤ high', path: ['low'] }),
    /** N: consecutive cycles at or above `high` before acting. */
    enterCycles: z.number().int().min(1).default(3),
    /** M: consecutive cycles below `low` before a deployment counts as recovered. */
    exitCycles: z.number().int().min(1).default(3),
    /** Settle time after a step's rollout completed, before the step is judged. */
    stabilisationMs: durationMs.default(120_000),
    /** An inconclusive streak this long is notified once. */
    inconclusiveAlertMs: durationMs.default(600_000),
    /**
     * Two assessments closer than this count as one cycle for the N/M streaks. Default: half the
     * schedule's shortest interval.
     */
    minSampleIntervalMs: durationMs.optional(),
    /** An assessment older than this is not acted on. Default: the schedule's interval. */
    maxAssessmentAgeMs: durationMs.min(1).optional(),
    /** `recovering` (risk < high, not yet M cycles < low) closes the episode after this long. */
    recoveryTimeoutMs: durationMs.min(1).default(1_800_000),
    /** A failed or refused action is an error: retried on the same rung, then held and paged. */
    actions: z
      .strictObject({
        /** Consecutive errors on one rung before holding and paging (Argo's consecutiveErrorLimit). */
        errorLimit: z.number().int().min(0).default(3),
        retryBaseMs: durationMs.min(1).default(30_000),
        retryMaxMs: durationMs.min(1).default(300_000),
      })
      .prefault({})
      .refine((a) => a.retryBaseMs <= a.retryMaxMs, {
        message: 'retryBaseMs must be ≤ retryMaxMs',
        path: ['retryBaseMs'],
      }),
    /** Blast radius: many deployments at risk together is not them; hold and send one message. */
    fleet: z
      .strictObject({
        /** Hold every action when more than this many are at risk in one namespace or cluster. */
        maxAtRisk: z.number().int().min(0).default(3),
        /** … or more than this fraction of the watched deployments of a namespace or cluster … */
        maxFraction: z.number().min(0).max(1).default(0.3),
        /** … once at least this many are at risk (one deployment alone is never a fleet event). */
        minAtRisk: z.number().int().min(1).default(2),
        /** `AutoHealFleetHold` Events written per cycle (the rest follow on the next cycles). */
        eventsPerCycle: z.number().int().min(1).default(100),
      })
      .prefault({}),
    ladder: z
      .array(z.enum(HEAL_ACTIONS))
      .min(1)
      .default([...HEAL_ACTIONS]),
    scale: z
      .strictObject({
        step: z.number().int().min(0).default(1),
        maxReplicas: z.number().int().min(1).default(10),
      })
      .prefault({}),
    cacheClear: z
      .strictObject({
        method: z.enum(['exec', 'proxy']).default('exec'),
        command: z.array(z.string().min(1)).min(1).default(['sh', '-c', 'rm -rf /tmp/cache/*']),
        container: z.string().min(1).optional(),
        path: z.string().startsWith('/').default('/cache/clear'),
        port: z.number().int().min(1).max(65535).optional(),
      })
      .prefault({}),
    dryRun: z.boolean().default(false),
    slack: z
      .strictObject({
        /** Never logged. */
        webhookUrl: httpUrl().optional(),
        timeoutMs: durationMs.min(1).default(5_000),
        retries: z.number().int().min(0).max(20).default(5),
        queueSize: z.number().int().min(1).default(100),
        /** At most one message per this interval (Slack allows about one per second). */
        paceMs: durationMs.default(1_000),
        ...SLACK_APP_CONFIG,
      })
      .prefault({}),
    links: z
      .strictObject({ dashboard: httpUrl().optional(), grafana: httpUrl().optional() })
      .prefault({}),
    kube: z
      .strictObject({
        retries: z.number().int().min(0).max(10).default(3),
        /** Per Kubernetes API request. */
        timeoutMs: durationMs.min(1).default(10_000),
        /** Who the Events say reported them. */
        component: z.string().min(1).default('aiops-healer'),
        /**
         * Read the watched targets through informers (one LIST, then a WATCH from its
         * resourceVersion): a steady-state cycle makes no list call. A broken watch, a 410 Gone or
         * a due resync makes the next cycle LIST again (never a cache the watch may have missed).
         * On by default (the Role grants `watch`); false lists every cycle.
         */
        watchTargets: z.boolean().default(true),
        /** With `watchTargets`: a full LIST at least this often, even with a healthy watch. */
        resyncMs: durationMs.min(1_000).default(300_000),
      })
      .prefault({}),
    /** Where features come from: Prometheus (production) or the simulator's state (demo). */
    features: z
      .strictObject({
        source: z.enum(['prometheus', 'simulator']).default('prometheus'),
        simulatorUrl: httpUrl().default('http://127.0.0.1:8001'),
      })
      .prefault({}),
    budgets: z
      .strictObject({
        perDeployment: z
          .strictObject({
            maxActionsPerHour: count.default(D.perDeployment.maxActionsPerHour),
            cooldownSeconds: z.number().min(0).default(D.perDeployment.cooldownSeconds),
          })
          .prefault({}),
        global: z
          .strictObject({
            maxConcurrentHeals: count.default(D.global.maxConcurrentHeals),
            maxRollbacksPerHour: count.default(D.global.maxRollbacksPerHour),
            maxScaleUpsPerHour: count.default(D.global.maxScaleUpsPerHour),
            concurrencyWindowSeconds: z.number().min(0).default(D.global.concurrencyWindowSeconds),
          })
          .prefault({}),
      })
      .prefault({}),
    api: z
      .strictObject({
        /** Bearer token for mutating endpoints (from a Secret; never logged). */
        token: z.string().min(16, 'must be at least 16 characters').optional(),
        /** Bearer token for `GET /api/*` (from a Secret; never logged); none: open reads. */
        readToken: z.string().min(16, 'must be at least 16 characters').optional(),
        /** Concurrent `GET /api/events` streams; more get 503. */
        maxStreams: z.number().int().min(1).default(100),
        /** How long a risk-history answer from Prometheus is reused. */
        historyCacheMs: durationMs.default(15_000),
        /** History queries to Prometheus at once; more are served from memory. */
        maxHistoryQueries: z.number().int().min(1).default(4),
      })
      .prefault({}),
    leader: z
      .strictObject({
        enabled: z.boolean().default(true),
        namespace: z.string().min(1).default('default'),
        leaseName: z.string().min(1).default('aiops-healer'),
        identity: z.string().min(1).default(hostname()),
        leaseDurationSeconds: z.number().positive().default(15),
        renewDeadlineSeconds: z.number().positive().default(10),
        retryPeriodSeconds: z.number().positive().default(2),
        /**
         * This replica's status API as the others reach it, written on the Lease while it leads:
         * a standby hands leader-only requests (approvals, silences, Slack clicks) to it. Default:
         * `http://<podIP>:<port>` when `podIP` is known (the downward API's `POD_IP`).
         */
        advertiseUrl: z.url({ protocol: /^https?$/ }).optional(),
        podIP: z.union([z.ipv4(), z.ipv6()]).optional(),
      })
      .prefault({}),
    ...HUMANS_CONFIG,
    /** SIGTERM: how long to wait for the running cycle and the Slack queue before exiting. */
    shutdownTimeoutMs: durationMs.default(25_000),
    port: z.number().int().min(0).max(65535).default(8081),
    logLevel: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      .default('info'),
  })
  .strict()
  .transform((c) => {
    const cycleIntervalMs = scheduleIntervalMs(c.schedule);
    return {
      ...c,
      /** The schedule's shortest interval between two cycles (derived). */
      cycleIntervalMs,
      minSampleIntervalMs: c.minSampleIntervalMs ?? Math.floor(cycleIntervalMs / 2),
      maxAssessmentAgeMs: c.maxAssessmentAgeMs ?? cycleIntervalMs,
    };
  });

/** The shortest time between two runs of a cron schedule (from its next runs). */
export function scheduleIntervalMs(expression: string): number {
  const task = createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(16).map((d) => d.getTime());
    let min = Number.POSITIVE_INFINITY;
    for (let i = 1; i < runs.length; i++) min = Math.min(min, runs[i]! - runs[i - 1]!);
    return Number.isFinite(min) && min > 0 ? min : 60_000;
  } finally {
    void task.destroy();
  }
}

export type HealerConfig = z.output<typeof CONFIG_SCHEMA>;
export type HealerConfigInput = z.input<typeof CONFIG_SCHEMA>;

/** Config key (`thresholds.high`) → the environment variable that set it, when one did. */
type EnvOrigins = ReadonlyMap<string, string>;

/**
 * One schema issue as [field path, rule] pairs: an unknown key is named as the field it would be
 * (`thresholds.hihg: unknown key`), not as its parent ("thresholds: Unrecognized key").
 */
export function issueFields(i: z.core.$ZodIssue): Array<[path: string, rule: string]> {
  const at = (path: readonly PropertyKey[]): string => path.map(String).join('.');
  if (i.code === 'unrecognized_keys') return i.keys.map((k) => [at([...i.path, k]), 'unknown key']);
  return [[at(i.path), i.message]];
}

function describeIssues(err: z.ZodError, fromEnv: EnvOrigins): string[] {
  return err.issues.flatMap(issueFields).map(([path, rule]) => {
    // The key and, when a variable set it, that variable: the operator typed one or the other.
    const key = [...fromEnv].find(([k]) => path === k || path.startsWith(`${k}.`));
    return `${path || '(root)'}${key ? ` (${key[1]})` : ''}: ${rule}`;
  });
}

/** Validates a plain object (file content merged with env overrides). */
export function parseConfig(input: unknown, fromEnv: EnvOrigins = new Map()): HealerConfig {
  const r = CONFIG_SCHEMA.safeParse(input);
  if (!r.success) {
    const issues = describeIssues(r.error, fromEnv);
    throw new ConfigError(`invalid healer config: ${issues.join('; ')}`, issues, {
      cause: r.error,
    });
  }
  return r.data;
}

type Env = Record<string, string | undefined>;

/** `HEALER_EXPLAIN`: `all` or a number (the schema checks it is a whole number 0–999). */
function explainOf(env: Env, key: string): 'all' | number | undefined {
  const v = env[key];
  if (v === 'all') return v;
  if (v !== undefined && v !== '' && !Number.isFinite(Number(v)))
    throw new ConfigError(`invalid healer config: ${key}: ${EXPLAIN_RULE}, got "${v}"`, [
      `${key}: ${EXPLAIN_RULE}`,
    ]);
  return num(env, key);
}

function num(env: Env, key: string): number | undefined {
  const v = env[key];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    throw new ConfigError(`invalid healer config: ${key}: must be a number, got "${v}"`, [
      `${key}: must be a number`,
    ]);
  }
  return n;
}

function bool(env: Env, key: string): boolean | undefined {
  const v = env[key]?.toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (['1', 'true', 'yes'].includes(v)) return true;
  if (['0', 'false', 'no'].includes(v)) return false;
  throw new ConfigError(`invalid healer config: ${key}: must be true or false, got "${v}"`, [
    `${key}: must be true or false`,
  ]);
}

function list(env: Env, key: string): string[] | undefined {
  const v = env[key];
  if (v === undefined || v === '') return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

type Obj = Record<string, unknown>;

function setPath(target: Obj, path: string[], value: unknown): void {
  if (value === undefined) return;
  let o = target;
  for (const k of path.slice(0, -1)) {
    const next = o[k];
    if (typeof next !== 'object' || next === null) o[k] = {};
    o = o[k] as Obj;
  }
  o[path[path.length - 1] as string] = value;
}

/** Environment variables and the config keys they set (env wins over the file). */
export const ENV_KEYS: ReadonlyArray<[string, string[], (env: Env, key: string) => unknown]> = [
  ['HEALER_NAMESPACES', ['namespaces'], list],
  ['HEALER_LABEL_SELECTOR', ['labelSelector'], (e, k) => e[k] || undefined],
  ['HEALER_KINDS', ['kinds'], list],
  ['HEALER_SCHEDULE', ['schedule'], (e, k) => e[k] || undefined],
  ['PROMETHEUS_URL', ['prometheus', 'url'], (e, k) => e[k] || undefined],
  ['HEALER_WINDOW', ['prometheus', 'window'], (e, k) => e[k] || undefined],
  ['BACKEND_URL', ['backend', 'url'], (e, k) => e[k] || undefined],
  ['HEALER_EXPLAIN', ['backend', 'explain'], explainOf],
  ['HEALER_THRESHOLD_HIGH', ['thresholds', 'high'], num],
  ['HEALER_THRESHOLD_LOW', ['thresholds', 'low'], num],
  ['HEALER_ENTER_CYCLES', ['enterCycles'], num],
  ['HEALER_EXIT_CYCLES', ['exitCycles'], num],
  ['HEALER_STABILISATION_MS', ['stabilisationMs'], num],
  ['HEALER_MIN_SAMPLE_INTERVAL_MS', ['minSampleIntervalMs'], num],
  ['HEALER_FLEET_MAX_AT_RISK', ['fleet', 'maxAtRisk'], num],
  ['HEALER_FLEET_MAX_FRACTION', ['fleet', 'maxFraction'], num],
  ['HEALER_SCALE_STEP', ['scale', 'step'], num],
  ['HEALER_MAX_REPLICAS', ['scale', 'maxReplicas'], num],
  ['HEALER_CACHE_CLEAR_METHOD', ['cacheClear', 'method'], (e, k) => e[k] || undefined],
  ['HEALER_CACHE_CLEAR_PATH', ['cacheClear', 'path'], (e, k) => e[k] || undefined],
  ['HEALER_DRY_RUN', ['dryRun'], bool],
  ['HEALER_WATCH_TARGETS', ['kube', 'watchTargets'], bool],
  ['SLACK_WEBHOOK_URL', ['slack', 'webhookUrl'], (e, k) => e[k] || undefined],
  ['SLACK_BOT_TOKEN', ['slack', 'botToken'], (e, k) => e[k] || undefined],
  ['SLACK_SIGNING_SECRET', ['slack', 'signingSecret'], (e, k) => e[k] || undefined],
  ['SLACK_CHANNEL', ['slack', 'channel'], (e, k) => e[k] || undefined],
  ['SLACK_API_URL', ['slack', 'apiUrl'], (e, k) => e[k] || undefined],
  ['DASHBOARD_URL', ['links', 'dashboard'], (e, k) => e[k] || undefined],
  ['GRAFANA_URL', ['links', 'grafana'], (e, k) => e[k] || undefined],
  ['HEALER_FEATURE_SOURCE', ['features', 'source'], (e, k) => e[k] || undefined],
  ['SIMULATOR_URL', ['features', 'simulatorUrl'], (e, k) => e[k] || undefined],
  ['HEALER_API_TOKEN', ['api', 'token'], (e, k) => e[k] || undefined],
  ['HEALER_API_READ_TOKEN', ['api', 'readToken'], (e, k) => e[k] || undefined],
  ['HEALER_LEADER_ELECTION', ['leader', 'enabled'], bool],
  ['POD_NAMESPACE', ['leader', 'namespace'], (e, k) => e[k] || undefined],
  ['POD_NAME', ['leader', 'identity'], (e, k) => e[k] || undefined],
  ['POD_IP', ['leader', 'podIP'], (e, k) => e[k] || undefined],
  ['PORT', ['port'], num],
  ['LOG_LEVEL', ['logLevel'], (e, k) => e[k] || undefined],
];

/** Where the other replicas reach this one's status API, if known (`leader.advertiseUrl`). */
export function advertisedUrl(c: Pick<HealerConfig, 'leader' | 'port'>): string | undefined {
  if (c.leader.advertiseUrl) return c.leader.advertiseUrl;
  const ip = c.leader.podIP;
  if (!ip) return undefined;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${c.port}`;
}

/** Parses file text as YAML (a superset of JSON); an empty file is an empty config. */
export function parseConfigText(text: string, source = 'config file'): unknown {
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(
      `invalid healer config: ${source}: not YAML or JSON`,
      [`${source}: not YAML or JSON`],
      { cause: err },
    );
  }
}

/** Merges env overrides into the file's object and validates the result. */
export function configFromSources(env: Env, fileObject: unknown = {}): HealerConfig {
  if (typeof fileObject !== 'object' || fileObject === null || Array.isArray(fileObject)) {
    throw new ConfigError('invalid healer config: (root): must be an object', [
      '(root): must be an object',
    ]);
  }
  const merged = structuredClone(fileObject) as Obj;
  const fromEnv = new Map<string, string>();
  for (const [key, path, read] of ENV_KEYS) {
    const value = read(env, key);
    if (value === undefined) continue;
    setPath(merged, path, value);
    fromEnv.set(path.join('.'), key);
  }
  return parseConfig(merged, fromEnv);
}

/** Reads `HEALER_CONFIG_FILE` (if set) and the environment. Used by main.ts and the CLI only. */
export async function loadConfig(env: Env): Promise<HealerConfig> {
  const file = env.HEALER_CONFIG_FILE;
  let fileObject: unknown = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `invalid healer config: HEALER_CONFIG_FILE: cannot read ${file}`,
        [`HEALER_CONFIG_FILE: cannot read ${file}`],
        { cause: err },
      );
    }
    fileObject = parseConfigText(text, file);
  }
  return configFromSources(env, fileObject);
}

/** The config as safe to log or show: secrets replaced. */
export function redactConfig(config: HealerConfig): unknown {
  return {
    ...config,
    prometheus: {
      ...config.prometheus,
      queries: `${Object.keys(config.prometheus.queries).length} templates`,
    },
    slack: {
      ...config.slack,
      webhookUrl: config.slack.webhookUrl ? '<redacted>' : undefined,
      botToken: config.slack.botToken ? '<redacted>' : undefined,
      signingSecret: config.slack.signingSecret ? '<redacted>' : undefined,
    },
    api: {
      ...config.api,
      token: config.api.token ? '<redacted>' : undefined,
      readToken: config.api.readToken ? '<redacted>' : undefined,
    },
  };
}
