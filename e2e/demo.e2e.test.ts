import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@aiops/simulator/testing';
import { ROOT, isAlive, isListening, requireBuilt } from './stack/index.js';

// `npm start` as a newcomer runs it (scripts/start.mjs, already built): it must come up, heal an
// injected crash loop with a Slack message in the terminal, and on Ctrl-C (SIGINT) stop every
// child it started, leaving no process and no listening port behind.

/** PIDs of every descendant of `pid` (from /proc), read while the tree is still attached. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // the command name may hold spaces and parentheses: fields start after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/**
 * start.mjs keeps its kubeconfig and Prometheus TSDB in `.run/`, which a developer's own
 * `npm start` in the checkout shares (and wipes): the test gives it a throwaway AIOPS_RUN_DIR.
 */
function isolatedRunDir(): string {
  return mkdtempSync(join(tmpdir(), 'aiops-e2e-demo-'));
}

const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
/** The output's tail without the per-cycle lines, for failure messages. */
const tail = (s: string): string =>
  strip(s)
    .split('\n')
    .filter((l) => !l.endsWith('cycle done'))
    .join('\n')
    .slice(-6000);

describe('npm start (scripts/start.mjs)', () => {
  let child: ChildProcess | undefined;
  let output = '';
  let runDir: string | undefined;
  /** Every descendant seen while start.mjs ran (they are re-parented once it exits). */
  const seen = new Set<number>();
  let tracker: NodeJS.Timeout | undefined;

  afterAll(async () => {
    clearInterval(tracker);
    // only when the test failed half-way: Ctrl-C as a user would, then nothing of ours may survive
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
    for (const pid of [child?.pid, ...seen])
      if (pid && isAlive(pid))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  }, 60_000);

  /** Resolves when `re` matches the (colour-stripped) output, or throws after `ms` with the tail. */
  const waitForOutput = (re: RegExp, what: string, ms: number): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = strip(output).match(re);
        if (m) {
          clearInterval(timer);
          clearTimeout(timeout);
          resolve(m);
        }
        return Boolean(m);
      };
      const timer = setInterval(check, 200);
      const timeout = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`no ${what} within ${ms} ms; output:\n${tail(output)}`));
      }, ms);
      child?.once('exit', (code, signal) => {
        if (check()) return;
        clearInterval(timer);
        clearTimeout(timeout);
        reject(new Error(`start.mjs exited (${signal ?? code}) before ${what}:\n${tail(output)}`));
      });
    });

  it('comes up, heals a crash loop with a [slack] line, and stops everything on SIGINT', async () => {
    requireBuilt();
    const ports = {
      SIMULATOR_PORT: await freePort(),
      BACKEND_PORT: await freePort(),
      HEALER_PORT: await freePort(),
      DASHBOARD_PORT: await freePort(),
      PROMETHEUS_PORT: await freePort(),
      SLACK_RECEIVER_PORT: await freePort(),
    };
    runDir = isolatedRunDir();
    child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
      cwd: ROOT,
      env: {
        ...process.env,
        AIOPS_RUN_DIR: runDir,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        AIOPS_SKIP_BUILD: '1',
        // no demo schedule: the only fault is the one injected below
        SCENARIO: 'none',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid!;
    tracker = setInterval(() => descendants(pid).forEach((p) => seen.add(p)), 500);
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

    const [, dashboardPort] = await waitForOutput(
      /dashboard\s+http:\/\/localhost:(\d+)/,
      'dashboard URL',
      120_000,
    );
    expect(Number(dashboardPort)).toBe(ports.DASHBOARD_PORT);
    expect(strip(output)).toContain('features: real Prometheus');

    const res = await fetch(`http://127.0.0.1:${ports.SIMULATOR_PORT}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'prod', deployment: 'checkout', kind: 'crash_loop' }),
    });
    expect(res.status).toBe(201);
    const healer = `http://127.0.0.1:${ports.HEALER_PORT}`;
    const [slackLine] = await waitForOutput(
      /\[slack\][^\n]*prod\/checkout[^\n]*/,
      '[slack] line about prod/checkout',
      120_000,
    ).catch(async (err: Error) => {
      const row = await fetch(`${healer}/api/deployments/prod/checkout`)
        .then((r) => r.text())
        .catch((e: unknown) => String(e));
      throw new Error(`${err.message}\nhealer status of prod/checkout: ${row.slice(0, 3000)}`);
    });
    expect(slackLine).toMatch(/restart/i);

    descendants(pid).forEach((p) => seen.add(p));
    // simulator, prometheus, backend, healer, and npm → vite for the dashboard
    expect(seen.size).toBeGreaterThanOrEqual(6);
    for (const p of Object.values(ports))
      expect({ port: p, up: await isListening(p) }).toEqual({ port: p, up: true });

    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(0);

    const stillListening = [];
    for (const [name, p] of Object.entries(ports))
      if (await isListening(p)) stillListening.push(`${name}=${p}`);
    expect(stillListening).toEqual([]);
    clearInterval(tracker);
    expect([...seen].filter(isAlive)).toEqual([]);
  }, 300_000);
});
