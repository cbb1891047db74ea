// `npm start`: the whole loop on one machine, no cluster and no cloud account.
//
// Builds the workspaces, then runs as child processes: the simulator (a fake cluster with a demo
// fault schedule), a real Prometheus scraping it when the `prometheus` binary is on PATH (else the
// healer reads the simulator directly, and says so), the backend, the healer (against the
// simulator through a kubeconfig), a Slack-compatible webhook receiver whose messages are printed
// here, and the dashboard. Ctrl-C (SIGINT) or SIGTERM stops every child by PID; nothing is left.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { which } from './lib.mjs';

// Where the run keeps its kubeconfig and Prometheus data; a test points it elsewhere.
const RUN_DIR = resolve(process.env.AIOPS_RUN_DIR ?? '.run');
const env = process.env;
const PORT_VARS = {
  simulator: ['SIMULATOR_PORT', 8001],
  backend: ['BACKEND_PORT', 5000],
  healer: ['HEALER_PORT', 8081],
  dashboard: ['DASHBOARD_PORT', 8080],
  prometheus: ['PROMETHEUS_PORT', 9090],
  slack: ['SLACK_RECEIVER_PORT', 8082],
};
const USAGE = `usage: npm start

Runs the whole loop on loopback. It takes no arguments; its settings are environment variables:
  ${Object.values(PORT_VARS)
    .map(([name, port]) => `${name} (${port})`)
    .join(', ')}
  AIOPS_SKIP_BUILD=1, AIOPS_NO_PROMETHEUS=1, AIOPS_RAW_LOGS=1, AIOPS_RUN_DIR (.run),
  SCENARIO, SCENARIO_INTERVAL_SEC, HEALER_* and SLACK_* (see README.md).`;

/** Exits 2 naming the setting and its rule (0 with the usage for --help). */
function usageError(message) {
  console.error(`npm start: ${message}\n\n${USAGE}`);
  process.exit(2);
}
const args = process.argv.slice(2);
if (args.some((a) => a === '--help' || a === '-h')) {
  console.log(USAGE);
  process.exit(0);
}
if (args.length > 0) usageError(`unexpected argument ${JSON.stringify(args[0])}`);

/** The ports, each checked before anything starts (a NaN port was a stack trace from listen). */
function readPorts() {
  const ports = {};
  const owner = new Map();
  for (const [service, [name, fallback]] of Object.entries(PORT_VARS)) {
    const text = env[name] || String(fallback);
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535)
      usageError(`${name} must be a whole number 1–65535, got ${JSON.stringify(text)}`);
    const port = Number(text);
    if (owner.has(port))
      usageError(`${name} must differ from ${owner.get(port)}: both are ${port}`);
    owner.set(port, name);
    ports[service] = port;
  }
  return ports;
}
const PORTS = readPorts();
if (env.SLACK_BOT_TOKEN && !env.SLACK_CHANNEL)
  usageError('SLACK_CHANNEL must be set when SLACK_BOT_TOKEN is: the bot posts to a channel');
const url = (p) => `http://127.0.0.1:${p}`;

if (env.AIOPS_SKIP_BUILD !== '1') {
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const children = [];
let stopping = false;
let slack;

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const RAW_LOGS = env.AIOPS_RAW_LOGS === '1';

/** pino JSON lines become one short readable line (AIOPS_RAW_LOGS=1 keeps them as they are). */
function readable(line) {
  if (RAW_LOGS || !line.startsWith('{')) return line;
  try {
    const o = JSON.parse(line);
    if (typeof o.msg !== 'string') return line;
    const where = o.namespace && o.deployment ? `${o.namespace}/${o.deployment} ` : '';
    const level = o.level >= 40 ? `${LEVELS[o.level] ?? o.level} ` : '';
    const err = o.err ? ` (${typeof o.err === 'string' ? o.err : (o.err.message ?? '')})` : '';
    return `${level}${where}${o.msg}${err}`;
  } catch {
    return line;
  }
}

function prefixLines(stream, out, prefix) {
  let buf = '';
  stream.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.includes('Unknown user config')) out.write(`${prefix}${readable(line)}\n`);
    }
  });
}

function start(name, command, args, extraEnv) {
  // Own process group: a terminal Ctrl-C reaches only this script, which then stops the
  // children in reverse start order (the healer releases its Lease before the simulator goes).
  const child = spawn(command, args, {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `[${name}]`.padEnd(13);
  prefixLines(child.stdout, process.stdout, prefix);
  prefixLines(child.stderr, process.stderr, prefix);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited (${signal ?? code}); stopping the stack`);
      void stopAll(1);
    }
  });
  children.push(child);
  return child;
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of [...children].reverse()) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    await new Promise((done) => {
      const t = setTimeout(() => killGroup(c, 'SIGKILL'), 8000);
      c.once('exit', () => {
        clearTimeout(t);
        done();
      });
      killGroup(c, 'SIGTERM');
    });
  }
  await slack?.stop();
  process.exit(code);
}
/** Signals the child's whole process group (npm → vite), falling back to the child alone. */
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stopAll(0));
process.on('exit', () => {
  for (const c of children)
    if (c.exitCode === null && c.signalCode === null) killGroup(c, 'SIGKILL');
});

async function waitFor(target, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(target);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!stopping) {
    console.error(`[start] ${what} did not become ready at ${target}`);
    await stopAll(1);
  }
}

mkdirSync(RUN_DIR, { recursive: true });
const kubeconfig = resolve(RUN_DIR, 'simulator.kubeconfig');

// 1. The Slack-compatible receiver, in this process: its messages are printed here.
const { startSlackReceiver, renderForTerminal } =
  await import('../simulator/dist/src/slack/receiver.js');
slack = await startSlackReceiver({
  port: PORTS.slack,
  onMessage: (m) => console.log(`\x1b[35m[slack]\x1b[0m       ${renderForTerminal(m)}`),
});

// 2. The fake cluster.
start('simulator', process.execPath, ['simulator/dist/src/main.js'], {
  PORT: String(PORTS.simulator),
  KUBECONFIG_OUT: kubeconfig,
  SCENARIO: env.SCENARIO ?? 'demo',
  SCENARIO_INTERVAL_SEC: env.SCENARIO_INTERVAL_SEC ?? '150',
});
await waitFor(`${url(PORTS.simulator)}/version`, 'simulator');

// 3. Prometheus when available, else the healer's embedded simulator source.
let featureSource;
if (which('prometheus') && env.AIOPS_NO_PROMETHEUS !== '1') {
  const dir = resolve(RUN_DIR, 'prometheus');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = [
    'global:',
    '  scrape_interval: 2s',
    '  evaluation_interval: 2s',
    'scrape_configs:',
    '  - job_name: simulator',
    '    honor_labels: true',
    `    static_configs: [{ targets: ['127.0.0.1:${PORTS.simulator}'] }]`,
    '  - job_name: aiops-backend',
    `    static_configs: [{ targets: ['127.0.0.1:${PORTS.backend}'] }]`,
    '  - job_name: aiops-healer',
    `    static_configs: [{ targets: ['127.0.0.1:${PORTS.healer}'] }]`,
    '',
  ].join('\n');
  writeFileSync(resolve(dir, 'prometheus.yml'), config);
  start('prometheus', 'prometheus', [
    `--config.file=${resolve(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${resolve(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${PORTS.prometheus}`,
    '--storage.tsdb.retention.time=2h',
    '--log.level=warn',
  ]);
  await waitFor(`${url(PORTS.prometheus)}/-/ready`, 'prometheus');
  featureSource = { HEALER_FEATURE_SOURCE: 'prometheus', PROMETHEUS_URL: url(PORTS.prometheus) };
  console.log(`[start]      features: real Prometheus at ${url(PORTS.prometheus)}`);
} else {
  featureSource = { HEALER_FEATURE_SOURCE: 'simulator', SIMULATOR_URL: url(PORTS.simulator) };
  console.log(
    '[start]      features: read from the simulator directly (no `prometheus` binary on PATH; apt-get install prometheus for the real path)',
  );
}

// 4. The backend.
start('backend', process.execPath, ['backend/dist/src/main.js'], {
  PORT: String(PORTS.backend),
  HOST: '127.0.0.1',
  CORS_ORIGIN: `http://localhost:${PORTS.dashboard}`,
  LOG_LEVEL: env.BACKEND_LOG_LEVEL ?? 'warn',
});
await waitFor(`${url(PORTS.backend)}/readyz`, 'backend');

// 5. The healer, tuned for a demo: a cycle every 5 s, short windows, a 30 s stabilisation.
const token = env.HEALER_API_TOKEN ?? randomBytes(16).toString('hex');
start('healer', process.execPath, ['healer/dist/src/main.js'], {
  PORT: String(PORTS.healer),
  KUBECONFIG: kubeconfig,
  BACKEND_URL: url(PORTS.backend),
  HEALER_NAMESPACES: 'dev,prod',
  HEALER_SCHEDULE: env.HEALER_SCHEDULE ?? '*/5 * * * * *',
  HEALER_WINDOW: env.HEALER_WINDOW ?? '1m',
  HEALER_ENTER_CYCLES: env.HEALER_ENTER_CYCLES ?? '2',
  HEALER_EXIT_CYCLES: env.HEALER_EXIT_CYCLES ?? '2',
  HEALER_STABILISATION_MS: env.HEALER_STABILISATION_MS ?? '30000',
  HEALER_CACHE_CLEAR_METHOD: 'proxy',
  HEALER_API_TOKEN: token,
  // The user's own Slack when configured (webhook, or the app: bot token + channel + signing
  // secret); the local receiver otherwise.
  ...ownSlack(env, slack.webhookUrl),
  DASHBOARD_URL: `http://localhost:${PORTS.dashboard}`,
  POD_NAMESPACE: 'default',
  POD_NAME: 'aiops-healer-local',
  ...featureSource,
});
await waitFor(`${url(PORTS.healer)}/healthz`, 'healer');

// 6. The dashboard, proxying /api to the healer and /predict to the backend.
start('dashboard', 'npm', ['start', '-w', 'dashboard'], {
  PORT: String(PORTS.dashboard),
  HEALER_URL: url(PORTS.healer),
  BACKEND_URL: url(PORTS.backend),
});
await waitFor(`http://127.0.0.1:${PORTS.dashboard}/`, 'dashboard');

console.log(`
  aiops-autoheal is running — no cluster, no cloud account.

  dashboard   http://localhost:${PORTS.dashboard}
  backend     ${url(PORTS.backend)}/predict   (GET /model, /metrics)
  healer      ${url(PORTS.healer)}/api/deployments   (token for POST /api/check: ${token})
  simulator   kubectl --kubeconfig ${kubeconfig} get deployments -A
  slack       ${
    env.SLACK_BOT_TOKEN || env.SLACK_WEBHOOK_URL
      ? `your Slack (${env.SLACK_BOT_TOKEN ? `app, channel ${env.SLACK_CHANNEL}` : 'incoming webhook'})`
      : `messages print here as [slack]; all of them at ${slack.url}/messages`
  }
  approvals   ${`http://localhost:${PORTS.dashboard}/#/humans`} (a prod rollback waits for one)

  What to watch: the simulator injects a fault every few minutes into a watched deployment.
  Within a minute one deployment's pods start crash-looping, its risk rises on the dashboard,
  the healer takes a step (restart and scale up first), a [slack] message appears here, and
  the risk falls.
  Inject one yourself:
    curl -s -XPOST ${url(PORTS.simulator)}/sim/faults -H 'content-type: application/json' \\
      -d '{"namespace":"prod","deployment":"checkout","kind":"crash_loop"}'

  Ctrl-C stops everything.
`);

/** Slack settings for the healer: the user's own when set, else the local receiver's webhook. */
function ownSlack(e, localWebhook) {
  // SLACK_CHANNEL is checked with the other settings, before anything starts.
  if (e.SLACK_BOT_TOKEN) {
    return {
      SLACK_BOT_TOKEN: e.SLACK_BOT_TOKEN,
      SLACK_CHANNEL: e.SLACK_CHANNEL,
      ...(e.SLACK_SIGNING_SECRET ? { SLACK_SIGNING_SECRET: e.SLACK_SIGNING_SECRET } : {}),
    };
  }
  return { SLACK_WEBHOOK_URL: e.SLACK_WEBHOOK_URL || localWebhook };
}
