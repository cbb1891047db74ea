/**
 * main.ts as a real child process (under tsx, with the real model): it loads, turns ready,
 * and on SIGTERM stops accepting, finishes the request in flight and exits 0 within 10 s.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ORIGINAL_HEALTHY_EXAMPLE } from '@aiops/model';

const backendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Child {
  proc: ChildProcess;
  /** Resolves with the first JSON log line whose msg matches. */
  logLine(msg: string): Promise<Record<string, unknown>>;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let running: ChildProcess | undefined;
afterEach(() => {
  if (running?.pid !== undefined && running.exitCode === null && running.signalCode === null) {
    process.kill(running.pid, 'SIGKILL');
  }
});

function startMain(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: backendDir,
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: 'test/tsconfig.tsx.json',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = proc;
  let out = '';
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let partial = '';
  proc.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    partial += b.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const raw of parts) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of waiters.filter((x) => x.msg === line.msg)) w.resolve(line);
    }
  });
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    output: () => out,
    exited,
    logLine: (msg) =>
      Promise.race([
        new Promise<Record<string, unknown>>((resolve) => {
          const seen = lines.find((l) => l.msg === msg);
          if (seen) resolve(seen);
          else waiters.push({ msg, resolve });
        }),
        exited.then(() => {
          throw new Error(`main exited before logging "${msg}":\n${out}`);
        }),
      ]),
  };
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (s += c));
    res.on('end', () => resolve(s));
    res.on('error', reject);
  });
}

describe('main.ts', () => {
  it('exits 2 naming the variable when the configuration is invalid', async () => {
    const child = startMain({ BATCH_LIMIT: 'lots' });
    const { code } = await child.exited;
    expect(code).toBe(2);
    expect(child.output()).toContain('BATCH_LIMIT');
  });

  it.each([['MODEL_DIR'], ['SHADOW_MODEL_DIR']])(
    'exits 1 naming %s when the model it names cannot be loaded',
    async (variable) => {
      const child = startMain({ [variable]: '/nonexistent/models' });
      const { code } = await child.exited;
      expect(code).toBe(1);
      const fatal = child
        .output()
        .split('\n')
        .find((l) => l.includes('"level":60'));
      expect(JSON.parse(fatal ?? '{}')).toMatchObject({
        variable,
        dir: '/nonexistent/models',
        msg: expect.stringContaining(`${variable}=/nonexistent/models: cannot load a model`),
      });
    },
  );

  it('on SIGTERM stops accepting, finishes the in-flight request and exits 0 within 10 s', async () => {
    const child = startMain({});
    const { port } = (await child.logLine('listening; loading the model')) as { port: number };
    await child.logLine('model ready');
    const body = JSON.stringify(ORIGINAL_HEALTHY_EXAMPLE);

    // A request in flight: headers sent and accepted (100 Continue), body still to come.
    let req!: ClientRequest;
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/predict',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          expect: '100-continue',
        },
      });
      req.on('response', resolve);
      req.on('error', reject);
    });
    await new Promise<void>((resolve) => req.once('continue', () => resolve()));

    const signalled = performance.now();
    process.kill(child.proc.pid!, 'SIGTERM');
    await child.logLine('shutting down: draining requests');

    // No new connections once draining.
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => 'accepted',
      (err: Error) => (err.cause as { code?: string } | undefined)?.code ?? err.message,
    );
    expect(refused).toBe('ECONNREFUSED');

    // The in-flight request still gets its answer.
    req.end(body);
    const res = await response;
    const answer = JSON.parse(await readBody(res)) as { risk: number };
    expect(res.statusCode).toBe(200);
    expect(answer.risk).toBeGreaterThanOrEqual(0);
    expect(answer.risk).toBeLessThanOrEqual(1);

    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(10_000);
    expect(child.output()).toContain('all requests finished; server closed');
  });
});
