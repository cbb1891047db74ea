/** Runs the control plane's own kubectl (same version as the apiserver) against a kubeconfig. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ControlPlane } from './controlPlane.js';

const run = promisify(execFile);

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function kubectl(
  plane: ControlPlane,
  args: string[],
  opts: { kubeconfig?: string; input?: string } = {},
): Promise<KubectlResult> {
  const kubeconfig = opts.kubeconfig ?? plane.adminKubeconfig;
  const child = run(plane.kubectl, ['--kubeconfig', kubeconfig, ...args], {
    maxBuffer: 64 << 20,
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  if (opts.input !== undefined) {
    child.child.stdin?.end(opts.input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}

/** Like `kubectl`, but throws with the output when it exits non-zero. */
export async function kubectlOk(
  plane: ControlPlane,
  args: string[],
  opts: { kubeconfig?: string; input?: string } = {},
): Promise<string> {
  const r = await kubectl(plane, args, opts);
  if (r.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
