// `npm run bench`: every workspace's benchmark (its own `bench` script), after a build.
// Each writes its results under bench/results/; see README "Performance".
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('bench/results', { recursive: true });
const run = (args) => {
  const r = spawnSync('npm', args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(['run', 'build']);
run(['run', 'bench', '--workspaces', '--if-present']);
