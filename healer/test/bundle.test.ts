/**
 * The image's entry point (Dockerfile, target `healer`): `npm run build:bundle -w healer` bundles
 * the built healer with esbuild into dist-bundle/main.mjs. Built here by the same command and run
 * as the pod runs it, against the simulator, a fake `/predict` and a fake Slack webhook: it must
 * serve /healthz, take the Lease, complete cycles (informers, the status API lists the deployment),
 * clear the cache through exec (client-node's WebSocket, bundled) and post to Slack — the Slack
 * client is a lazy import left out of the bundle, loaded on the first message.
 *
 * Needs the build (`tsc -b`, which `npm test` runs first).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  defaultWorkload,
  kubeconfigYaml,
  startSimulator,
  type RunningSimulator,
} from '@aiops/simulator';
import { startSlackReceiver, type RunningSlackReceiver } from '@aiops/simulator/slack/receiver';
import { freePort, startProcess, waitForHttp, type ManagedProcess } from '@aiops/simulator/testing';
import { startExecFake, type ExecFake } from './execFake.js';
import { startFakePredictor, type FakePredictor } from './fakePredict.js';

const HEALER = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(HEALER, 'dist-bundle', 'main.mjs');
const NS = 'shop';

/** Polls `check` until it holds (no timed assertion: the test's own timeout bounds it). */
async function eventually(what: string, check: () => Promise<boolean>, out: () => string) {
  for (let i = 0; i < 600; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen; output:\n${out().slice(-4000)}`);
}

describe('the bundled healer (dist-bundle/main.mjs)', () => {
  let sim: RunningSimulator;
  let slack: RunningSlackReceiver;
  let predict: FakePredictor;
  let exec: ExecFake;
  let dir: string;
  let healer: ManagedProcess;
  let url: string;

  beforeAll(async () => {
    execFileSync('npm', ['run', 'build:bundle'], { cwd: HEALER, stdio: 'pipe' });
    sim = await startSimulator({
      workloads: [{ ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 }],
    });
    // cache clear first: its exec goes through the WebSocket client bundled with client-node
    const res = await fetch(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/web`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({
        metadata: { annotations: { 'aiops.io/ladder': 'cache_clear_restart,rollback,page' } },
      }),
    });
    expect(res.ok).toBe(true);
    // its pods ready, so the first cache clear has pods to run in
    await eventually(
      'web ready',
      async () => {
        const d = (await (
          await fetch(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/web`)
        ).json()) as {
          status?: { readyReplicas?: number };
        };
        return d.status?.readyReplicas === 2;
      },
      () => '',
    );
    // the simulator serves no pods/exec: the fake in front of it answers the exec upgrades
    exec = await startExecFake(sim.url);
    dir = mkdtempSync(join(tmpdir(), 'aiops-bundle-test-'));
    writeFileSync(join(dir, 'kubeconfig'), kubeconfigYaml(exec.url));
    slack = await startSlackReceiver({ port: 0 });
    // every deployment at risk: the first cycle that sees it acts and tells Slack
    predict = await startFakePredictor(() => ({
      risk: 0.99,
      explanation: [{ feature: 'http_5xx_error_rate', value: 0.5, contribution: 0.9 }],
    }));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    healer = startProcess(process.execPath, [BUNDLE], {
      cwd: HEALER,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
        KUBECONFIG: join(dir, 'kubeconfig'),
        HEALER_NAMESPACES: NS,
        HEALER_FEATURE_SOURCE: 'simulator',
        SIMULATOR_URL: sim.url,
        BACKEND_URL: predict.url,
        HEALER_SCHEDULE: '* * * * * *',
        HEALER_ENTER_CYCLES: '1',
        SLACK_WEBHOOK_URL: slack.webhookUrl,
        // the Lease as in the pod: only the leader acts and posts to Slack
        POD_NAMESPACE: NS,
        POD_NAME: 'aiops-healer-bundle-test',
        LOG_LEVEL: 'warn',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await healer?.stop();
    await Promise.all([exec?.stop(), sim?.stop(), slack?.stop(), predict?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is built by `npm run build:bundle` with client-node inside and Slack left out', () => {
    const code = readFileSync(BUNDLE, 'utf8');
    expect(code).not.toMatch(/from\s*["']@kubernetes\/client-node/);
    expect(code).toMatch(/\bKubeConfig = class\b/);
    // still lazy imports, resolved from node_modules on the first message
    expect(code).toMatch(/import\(["']@slack\/webhook["']\)/);
    expect(code).toMatch(/import\(["']@slack\/web-api["']\)/);
  });

  it('imports only Node built-ins and the packages the healer declares (what the image installs)', () => {
    const code = readFileSync(BUNDLE, 'utf8');
    const manifest = JSON.parse(readFileSync(join(HEALER, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const declared = new Set(Object.keys(manifest.dependencies));
    const packageOf = (s: string): string =>
      s
        .split('/')
        .slice(0, s.startsWith('@') ? 2 : 1)
        .join('/');
    // esbuild's output: `import … from "x";` at a line's start, and `import("x")`
    const specifiers = [
      ...code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*["']([^"'.\s][^"'\s]*)["'];?$/gm),
      ...code.matchAll(/^import\s*["']([^"'.\s][^"'\s]*)["'];?$/gm),
      ...code.matchAll(/\bimport\(\s*["']([@a-z][^"'\s]*)["']\s*\)/g),
    ].map((m) => m[1]!);
    const imported = new Set(specifiers.map((s) => packageOf(s.replace(/^node:/, ''))));
    expect(imported.has('express')).toBe(true);
    const undeclared = [...imported].filter((p) => !builtinModules.includes(p) && !declared.has(p));
    expect(undeclared).toEqual([]);
    // client-node's own dependencies (npm may nest them under it) are inside, not imported
    expect(imported.has('@kubernetes/client-node')).toBe(false);
  });

  it('serves /healthz, completes cycles, acts through exec and posts to Slack through the lazily loaded client', async () => {
    await waitForHttp(`${url}/healthz`, 30_000);
    await eventually(
      'a cycle listing shop/web',
      async () => {
        const res = await fetch(`${url}/api/deployments`);
        const body = (await res.json()) as { name: string }[];
        return res.ok && body.some((d) => d.name === 'web');
      },
      () => healer.output(),
    );
    await eventually(
      'a Slack message',
      async () => slack.messages().length > 0,
      () => healer.output(),
    );
    expect(JSON.stringify(slack.messages()[0]!.payload)).toContain('web');
    await eventually(
      'a cache clear through exec',
      async () => exec.calls.length > 0,
      () => healer.output(),
    );
    expect(exec.calls[0]).toMatchObject({
      namespace: NS,
      command: ['sh', '-c', 'rm -rf /tmp/cache/*'],
    });
    expect(predict.requests.length).toBeGreaterThan(0);
  }, 90_000);
});
