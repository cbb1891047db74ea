/**
 * `npm start` (scripts/start.mjs) refuses a bad setting before it starts anything: exit 2, the
 * variable and its rule named, no stack trace. Run as the user runs it, with the build skipped.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../src/paths.js';

const runDir = mkdtempSync(join(tmpdir(), 'aiops-start-test-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

function start(env: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, [repoPath('scripts/start.mjs'), ...args], {
    cwd: repoPath('.'),
    // A run that got past the checks would start the stack: the timeout ends it.
    env: { ...process.env, AIOPS_SKIP_BUILD: '1', AIOPS_RUN_DIR: runDir, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('npm start: its settings', () => {
  it.each([
    [{ SIMULATOR_PORT: 'abc' }, 'SIMULATOR_PORT must be a whole number 1–65535, got "abc"'],
    [{ BACKEND_PORT: '0' }, 'BACKEND_PORT must be a whole number 1–65535, got "0"'],
    [{ HEALER_PORT: '70000' }, 'HEALER_PORT must be a whole number 1–65535, got "70000"'],
    [{ PROMETHEUS_PORT: '9090.5' }, 'PROMETHEUS_PORT must be a whole number 1–65535'],
    [{ SLACK_RECEIVER_PORT: '-1' }, 'SLACK_RECEIVER_PORT must be a whole number 1–65535'],
    [{ DASHBOARD_PORT: '8001' }, 'DASHBOARD_PORT must differ from SIMULATOR_PORT: both are 8001'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_CHANNEL: '' }, 'SLACK_CHANNEL must be set'],
  ])('%p exits 2 naming it', (env, message) => {
    const r = start(env);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.status).toBe(2);
  });

  it('refuses an argument (it takes none), naming it with the usage', () => {
    const r = start({}, ['--scenario=none']);
    expect(r.stderr).toContain('unexpected argument "--scenario=none"');
    expect(r.stderr).toContain('usage: npm start');
    expect(r.status).toBe(2);
  });

  it('--help prints the usage and exits 0', () => {
    const r = start({}, ['--help']);
    expect(r.stdout).toContain('SIMULATOR_PORT (8001)');
    expect(r.status).toBe(0);
  });
});
