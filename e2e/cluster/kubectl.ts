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

/**
 * `kubectl wait --for=condition=Established` on CRDs (`targets`: `crd --all` or `crd/<name>`),
 * again while kubectl reports a CRD whose status the apiserver has not written yet: kubectl
 * fails on it (".status.conditions accessor error: <nil>") instead of waiting, which a CRD applied
 * a moment before hits now and then.
 */
export async function waitCrdsEstablished(
  plane: ControlPlane,
  targets: string[],
  timeoutSec: number,
): Promise<void> {
  const deadline = Date.now() + timeoutSec * 1000;
  for (;;) {
    const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    const args = ['wait', '--for=condition=Established', `--timeout=${left}s`, ...targets];
    const r = await kubectl(plane, args);
    if (r.code === 0) return;
    if (!r.stderr.includes('.status.conditions accessor error') || Date.now() >= deadline)
      throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
