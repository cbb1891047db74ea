import { resolve } from 'node:path';
import { ScaledClock } from './clock.js';
import { parseConfig } from './config.js';
import { startSimulator } from './index.js';

/** `npm start -w simulator`: the fake cluster with the sample workloads (and the demo faults). */
async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const kubeconfigPath = resolve(config.kubeconfigOut);
  const sim = await startSimulator({
    port: config.port,
    host: config.host,
    seed: config.seed,
    clock: new ScaledClock(config.speed),
    kubeconfigPath,
    scenario: config.scenario,
    scenarioIntervalMs: config.scenarioIntervalMs,
    log: (line) => console.log(line),
  });
  console.log(
    `simulator: Kubernetes API and /metrics at ${sim.url} (speed ×${config.speed}, seed ${config.seed}, scenario ${config.scenario})`,
  );
  console.log(`simulator: kubectl --kubeconfig ${kubeconfigPath} get deployments -A`);
  const shutdown = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
