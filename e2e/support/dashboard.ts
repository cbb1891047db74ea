/**
 * Serves the BUILT dashboard the way `npm start -w dashboard` does (vite preview, same-origin proxy of
 * /api to the healer and /predict, /model to the backend) and launches Debian's chromium headless.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { freePort, startProcess, waitForHttp, type ManagedProcess } from '@aiops/simulator/testing';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DASHBOARD_DIR = join(ROOT, 'dashboard');
export const ARTIFACTS_DIR = join(ROOT, 'e2e', 'artifacts');
export const CHROMIUM = '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds the dashboard when dist/ is missing or older than its sources (`npm run test:e2e` has just
 * built it; a direct jest run may not have), so the test never checks a stale bundle.
 */
export function ensureDashboardBuilt(): void {
  const index = join(DASHBOARD_DIR, 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(join(DASHBOARD_DIR, 'src')),
    statSync(join(DASHBOARD_DIR, 'index.html')).mtimeMs,
    statSync(join(DASHBOARD_DIR, 'vite.config.ts')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const r = spawnSync('npm', ['run', 'build', '-w', 'dashboard'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `npm run build -w dashboard failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`,
    );
}

export interface RunningDashboard {
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/** `vite preview` of dashboard/dist on a free port, proxying to the given healer and backend. */
export async function startDashboard(opts: {
  healerUrl: string;
  backendUrl: string;
}): Promise<RunningDashboard> {
  const port = await freePort();
  const proc = startProcess(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'preview',
      '--port',
      String(port),
      '--strictPort',
    ],
    {
      cwd: DASHBOARD_DIR,
      env: {
        ...process.env,
        PORT: String(port),
        HEALER_URL: opts.healerUrl,
        BACKEND_URL: opts.backendUrl,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/`, 20_000);
  } catch (err) {
    await proc.stop();
    throw new Error(`vite preview did not start:\n${proc.output()}`, { cause: err });
  }
  return { url, process: proc, stop: () => proc.stop() };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
