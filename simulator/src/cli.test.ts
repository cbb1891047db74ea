import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { runCli } from './cli.js';
import { ManualClock, startSimulator, type RunningSimulator } from './index.js';

// Virtual hours and real kubectl processes: more than jest's 5 s default per test.
jest.setTimeout(60_000);

describe('fault CLI against a running simulator', () => {
  let sim: RunningSimulator;
  const run = async (...args: string[]): Promise<{ code: number; out: string }> => {
    let out = '';
    const code = await runCli(args, { SIM_URL: sim.url }, (s) => (out += `${s}\n`));
    return { code, out };
  };
  beforeAll(async () => {
    sim = await startSimulator({ clock: new ManualClock(), seed: 4 });
    sim.tick(5_000);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('inject, list, delete', async () => {
    const injected = await run(
      'inject',
      '-n',
      'prod',
      '-d',
      'checkout',
      '-k',
      'memory_leak',
      '-p',
      'bytesPerSec=2000000',
    );
    expect(injected.code).toBe(0);
    const fault = JSON.parse(injected.out) as { id: string; params: Record<string, number> };
    expect(fault.params.bytesPerSec).toBe(2_000_000);
    expect((await run('list')).out).toContain(fault.id);
    expect((await run('delete', fault.id)).code).toBe(0);
    expect((await run('delete', fault.id)).code).toBe(1);
  });
  it('kinds and state', async () => {
    expect(JSON.parse((await run('kinds')).out).kinds).toHaveLength(10);
    expect(JSON.parse((await run('state')).out).deployments).toHaveLength(7);
  });
  it.each([
    [['inject', '-n', 'prod', '-d', 'checkout', '-k', 'nope'], 1, 'kind: must be one of'],
    [['inject', '-p', 'x'], 2, '--param x: must be name=number'],
    [['frob'], 2, 'unknown command "frob"'],
    [[], 2, 'usage:'],
    [['delete'], 2, 'fault id required'],
    [['--bogus'], 2, "Unknown option '--bogus'"],
    // A stray word was dropped: `inject prod checkout crash_loop` injected nothing it named.
    [['list', 'prod'], 2, 'list: unexpected argument "prod"'],
    [['inject', 'prod', 'checkout'], 2, 'inject: unexpected argument "prod"'],
    [['delete', 'f-1', 'f-2'], 2, 'delete: unexpected argument "f-2"'],
  ])('%j → exit %d', async (args, code, text) => {
    const r = await run(...args);
    expect(r.code).toBe(code);
    expect(r.out).toContain(text);
  });
  it('says when the simulator is unreachable', async () => {
    let out = '';
    const code = await runCli(['list', '--url', 'http://127.0.0.1:1'], {}, (s) => (out += s));
    expect(code).toBe(1);
    expect(out).toContain('cannot reach the simulator at http://127.0.0.1:1');
  });
});
