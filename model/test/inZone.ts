import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Runs `body` (an ES module's statements; `mod` is the module at `modulePath`) in a child process
 * whose zone is `tz`, and returns what it printed, parsed as JSON. A Jest worker's Date keeps the
 * zone it started in, so a zone-dependent rule is tested in a process of its own.
 */
export async function inZone(tz: string, modulePath: string, body: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const mod = await import(${JSON.stringify(modulePath)});\n${body}`,
    ],
    { env: { ...process.env, TZ: tz } },
  );
  return JSON.parse(stdout) as unknown;
}
