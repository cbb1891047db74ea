/**
 * The whole loop as REAL processes from the built dist, for end-to-end tests: the simulator (no demo
 * scenario), a real Prometheus (apt) scraping it plus the backend and the healer, the backend, the
 * healer against the simulator through a kubeconfig, and a Slack-compatible receiver in this
 * process. Every server is on a free loopback port; `stop()` ends each child by PID (healer first,
 * so it releases its Lease while the simulator is still up) and closes the receiver.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  startProcess,
  startPrometheus,
  waitForHttp,
  type ManagedProcess,
  type RunningPrometheus,
} from '@aiops/simulator/testing';
import { startSlackReceiver, type RunningSlackReceiver } from '@aiops/simulator/slack/receiver';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface HealerTestSettings {
  /** One healer cycle every this many seconds (node-cron `*\/n * * * * *`). */
  cycleSeconds: number;
  /** PromQL window of the feature queries. */
  window: string;
  enterCycles: number;
  exitCycles: number;
  stabilisationMs: number;
}

export const DEFAULT_HEALER_SETTINGS: HealerTestSettings = {
  cycleSeconds: 2,
  window: '30s',
  enterCycles: 2,
  exitCycles: 2,
  stabilisationMs: 15_000,
};

/** A cluster that runs elsewhere: the cluster tier's real control plane with the node agent. */
export interface ExternalCluster {
  /** The healer's kubeconfig (its ServiceAccount token). */
  kubeconfig: string;
  /** The node agent: `/metrics` for Prometheus, `/sim/*` for faults and state. */
  simulatorUrl: string;
  /** The healer's own namespace (its Lease) and the namespaces it watches. */
  podNamespace: string;
  namespaces: string[];
}

export interface StackOptions {
  /** Heal this cluster instead of starting the simulator. */
  cluster?: ExternalCluster;
  healer?: Partial<HealerTestSettings>;
  /**
   * Extra healer config written to the file named by HEALER_CONFIG_FILE (budgets and other keys
   * without an env variable). Env settings above win over it.
   */
  healerConfig?: Record<string, unknown>;
  /** Extra environment for the simulator (SEED, SPEED...). */
  simulatorEnv?: Record<string, string>;
  /** Prometheus scrape interval; `1s` by default. */
  scrapeInterval?: string;
  /** The healer's LOG_LEVEL (`info` by default; its last output is kept for failure messages). */
  logLevel?: string;
}

export interface StackProcess {
  readonly name: 'simulator' | 'prometheus' | 'backend' | 'healer';
  readonly pid: number;
  readonly port: number;
  output(): string;
}

export interface RunningStack {
  readonly simulatorUrl: string;
  readonly backendUrl: string;
  readonly healerUrl: string;
  readonly prometheusUrl: string;
  readonly slack: RunningSlackReceiver;
  readonly kubeconfig: string;
  /** Bearer token for the healer's mutating endpoints. */
  readonly apiToken: string;
  readonly settings: HealerTestSettings;
  readonly processes: readonly StackProcess[];
  /** Every port the stack listens on (children and the receiver). */
  readonly ports: readonly number[];
  /** Ends every child by PID (reverse start order) and closes the receiver; idempotent. */
  stop(): Promise<void>;
}

const DIST = {
  simulator: join(ROOT, 'simulator', 'dist', 'src', 'main.js'),
  backend: join(ROOT, 'backend', 'dist', 'src', 'main.js'),
  healer: join(ROOT, 'healer', 'dist', 'src', 'main.js'),
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A PromQL duration (`30s`, `2m`) in milliseconds. */
export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a PromQL duration: "${d}"`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/**
 * Issue 10's bound on fault → first action: the feature window (for the rates to show the fault)
 * plus N + 1 healer cycles (N consecutive high cycles, plus the one in progress at the fault).
 */
export function firstActionTargetMs(s: HealerTestSettings): number {
  return durationMs(s.window) + (s.enterCycles + 1) * s.cycleSeconds * 1_000;
}

/** Throws naming what to build when a dist entry point is missing. */
export function requireBuilt(): void {
  const missing = Object.entries(DIST).filter(([, p]) => !existsSync(p));
  if (missing.length)
    throw new Error(
      `not built: ${missing.map(([n, p]) => `${n} (${p})`).join(', ')} — run \`npm run build\` first`,
    );
}

async function started(name: string, proc: ManagedProcess, url: string, ms = 60_000) {
  try {
    await waitForHttp(url, ms);
  } catch (err) {
    throw new Error(`${name} did not become ready at ${url}:\n${proc.output().slice(-4000)}`, {
      cause: err,
    });
  }
}

/** Starts the stack; on any failure stops what it had started and rethrows. */
export async function startStack(opts: StackOptions = {}): Promise<RunningStack> {
  requireBuilt();
  const settings = { ...DEFAULT_HEALER_SETTINGS, ...opts.healer };
  const dir = await mkdtemp(join(tmpdir(), 'aiops-e2e-stack-'));
  const kubeconfig = join(dir, 'simulator.kubeconfig');
  const children: { name: StackProcess['name']; port: number; proc: ManagedProcess }[] = [];
  let prom: RunningPrometheus | undefined;
  let slack: RunningSlackReceiver | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const c of [...children].reverse()) {
      if (c.name === 'prometheus') await prom?.stop();
      else await c.proc.stop(8_000);
    }
    await slack?.stop();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    slack = await startSlackReceiver({ port: 0 });
    const [simPort, backendPort, healerPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const base = { ...process.env, NODE_ENV: 'test' };

    let simulatorUrl: string;
    if (opts.cluster) simulatorUrl = opts.cluster.simulatorUrl;
    else {
      const sim = startProcess(process.execPath, [DIST.simulator], {
        cwd: ROOT,
        env: {
          ...base,
          PORT: String(simPort),
          HOST: '127.0.0.1',
          KUBECONFIG_OUT: kubeconfig,
          SCENARIO: 'none',
          ...opts.simulatorEnv,
        },
      });
      children.push({ name: 'simulator', port: simPort, proc: sim });
      simulatorUrl = `http://127.0.0.1:${simPort}`;
      await started('simulator', sim, `${simulatorUrl}/version`);
    }

    prom = await startPrometheus({
      targets: [new URL(simulatorUrl).host, `127.0.0.1:${backendPort}`, `127.0.0.1:${healerPort}`],
      scrapeInterval: opts.scrapeInterval ?? '1s',
      // The healer's feature queries read the recorded pod → deployment join.
      ruleFiles: [join(ROOT, 'deploy', 'prometheus', 'recording.yml')],
    });
    const promPort = Number(new URL(prom.url).port);
    children.push({ name: 'prometheus', port: promPort, proc: prom.process });

    const backend = startProcess(process.execPath, [DIST.backend], {
      cwd: ROOT,
      env: { ...base, PORT: String(backendPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    children.push({ name: 'backend', port: backendPort, proc: backend });
    const backendUrl = `http://127.0.0.1:${backendPort}`;
    await started('backend', backend, `${backendUrl}/readyz`);

    const configFile = join(dir, 'healer.json');
    await writeFile(configFile, JSON.stringify(opts.healerConfig ?? {}));
    const apiToken = `e2e-${Math.random().toString(36).slice(2)}-token-0123456789`;
    const healer = startProcess(process.execPath, [DIST.healer], {
      cwd: ROOT,
      env: {
        ...base,
        PORT: String(healerPort),
        KUBECONFIG: opts.cluster?.kubeconfig ?? kubeconfig,
        HEALER_CONFIG_FILE: configFile,
        BACKEND_URL: backendUrl,
        PROMETHEUS_URL: prom.url,
        HEALER_FEATURE_SOURCE: 'prometheus',
        HEALER_NAMESPACES: opts.cluster?.namespaces.join(',') ?? 'dev,prod',
        HEALER_SCHEDULE: `*/${settings.cycleSeconds} * * * * *`,
        HEALER_WINDOW: settings.window,
        HEALER_ENTER_CYCLES: String(settings.enterCycles),
        HEALER_EXIT_CYCLES: String(settings.exitCycles),
        HEALER_STABILISATION_MS: String(settings.stabilisationMs),
        HEALER_CACHE_CLEAR_METHOD: 'proxy',
        HEALER_API_TOKEN: apiToken,
        SLACK_WEBHOOK_URL: slack.webhookUrl,
        DASHBOARD_URL: 'http://localhost:8080',
        POD_NAMESPACE: opts.cluster?.podNamespace ?? 'default',
        POD_NAME: 'aiops-healer-e2e',
        LOG_LEVEL: opts.logLevel ?? 'info',
      },
    });
    children.push({ name: 'healer', port: healerPort, proc: healer });
    const healerUrl = `http://127.0.0.1:${healerPort}`;
    await started('healer', healer, `${healerUrl}/healthz`);

    const slackPort = Number(new URL(slack.url).port);
    return {
      simulatorUrl,
      backendUrl,
      healerUrl,
      prometheusUrl: prom.url,
      slack,
      kubeconfig: opts.cluster?.kubeconfig ?? kubeconfig,
      apiToken,
      settings,
      processes: children.map((c) => ({
        name: c.name,
        pid: c.proc.pid,
        port: c.port,
        output: () => c.proc.output(),
      })),
      ports: [...children.map((c) => c.port), slackPort],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export async function isListening(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * True while a process with this PID runs. A zombie (exited, not yet reaped by its new parent —
 * PID 1 in a container may never reap) counts as gone: it holds no port and runs no code.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
