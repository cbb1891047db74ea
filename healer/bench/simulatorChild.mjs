// A simulator with N watched deployments, in its own process so the healer's RSS is measured alone.
// Usage: node bench/simulatorChild.mjs <deployments> <port> <kubeconfig path>.
// Prints "ready <url>" when listening.
import { defaultWorkload, ScaledClock, startSimulator } from '@aiops/simulator';

// Simulated seconds per real second. The simulator steps every pod each simulated second, which
// at 5,000 deployments costs more than a real second: slowed down it stays responsive and leaves
// the CPU to the healer and Prometheus. Prometheus stamps samples itself, so only counter rates
// scale with it. Pods pass readiness at once (no slowed-down start-up to wait for).
const SPEED = Number(process.env.BENCH_SIM_SPEED ?? 0.05);

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
  readinessDelaySec: 0,
}));
const clock = new ScaledClock(SPEED);
const sim = await startSimulator({
  port,
  seed: 42,
  workloads,
  kubeconfigPath,
  clock,
  tickMs: 5_000,
});
console.log(`ready ${sim.url}`);
process.once('SIGTERM', () => {
  void sim.stop().then(() => process.exit(0));
});
