// A simulator with N watched deployments, in its own process so the healer's RSS is measured alone.
// Usage: node bench/simulatorChild.mjs <deployments> <port> <kubeconfig path>.
// Prints "ready <url>" when listening.
import { defaultWorkload, startSimulator } from '@aiops/simulator';

const n = Number(process.argv[2]);
const port = Number(process.argv[3]);
const kubeconfigPath = process.argv[4];
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(port) || !kubeconfigPath) {
  console.error('usage: simulatorChild.mjs <deployments ≥ 1> <port> <kubeconfig path>');
  process.exit(2);
}
const NAMESPACES = 10;
const workloads = Array.from({ length: n }, (_, i) => ({
  ...defaultWorkload(`bench-${i % NAMESPACES}`, `app-${i}`),
  autoheal: true,
  replicas: 1,
}));
const sim = await startSimulator({ port, seed: 42, workloads, kubeconfigPath });
console.log(`ready ${sim.url}`);
process.once('SIGTERM', () => {
  void sim.stop().then(() => process.exit(0));
});
