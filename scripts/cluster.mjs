// `npm run test:cluster`: the tier that runs against a real Kubernetes control plane —
// kube-apiserver and kube-controller-manager built from source (e2e/kube/build.sh), etcd from apt,
// the simulator as the node agent, a real Prometheus. Go is needed to build the control plane.
// Without Go (or another prerequisite) it says what is missing; under CI=true that fails the run.
import { spawnSync } from 'node:child_process';
import { APT_BINARIES, buildAndRunJest, which } from './lib.mjs';

const ci = process.env.CI === 'true';
const NEEDS = {
  go: 'Go >= 1.26 with the Go module proxy (builds kube-apiserver from source)',
  openssl: 'openssl (the test control plane PKI): apt-get install openssl',
  etcd: 'etcd: apt-get install etcd-server',
  prometheus: `prometheus: apt-get install ${APT_BINARIES.prometheus}`,
};
const missing = Object.keys(NEEDS).filter((b) => !which(b));
if (missing.length) {
  for (const b of missing) console.error(`test:cluster: missing ${NEEDS[b]}`);
  if (ci) {
    console.error('test:cluster: CI=true, so a missing prerequisite fails the run');
    process.exit(1);
  }
  console.error('test:cluster: not run (set CI=true to make this an error)');
  process.exit(0);
}

const started = Date.now();
const build = spawnSync('bash', ['e2e/kube/build.sh'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
if (build.status !== 0) process.exit(build.status ?? 1);
const binDir = build.stdout.trim().split('\n').pop();
console.log(
  `test:cluster: control plane binaries in ${binDir} (${Math.round((Date.now() - started) / 1000)} s)`,
);

buildAndRunJest(
  'e2e/cluster/jest.config.js',
  { ...process.env, AIOPS_KUBE_BIN: binDir, AIOPS_TEST_KIND: 'cluster' },
  process.argv.slice(2),
);
