import { resolve } from 'node:path';
import { z } from 'zod';
import { SAMPLE_WORKLOADS } from '../workloads.js';
import { startNodeAgent } from './nodeAgent.js';

/** The node agent's environment, validated once here. */
const AgentEnv = z.object({
  KUBECONFIG: z.string().min(1, 'required: the admin kubeconfig of the real control plane'),
  AGENT_EGRESS_SOCKET: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(0),
  HOST: z.string().min(1).default('127.0.0.1'),
  SEED: z.coerce.number().int().min(0).default(1),
  AGENT_WORKLOADS: z
    .enum(['sample', 'none'], { message: 'must be sample or none' })
    .default('none'),
});

/**
 * `node simulator/dist/src/agent/main.js`: the simulator as the node agent of a real control
 * plane (see nodeAgent.ts). Prints `agent: ready <url>` once it serves.
 */
async function main(): Promise<void> {
  const r = AgentEnv.safeParse(process.env);
  if (!r.success)
    throw new Error(
      `invalid node agent configuration: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const env = r.data;
  const agent = await startNodeAgent({
    kubeconfig: resolve(env.KUBECONFIG),
    egressSocket: env.AGENT_EGRESS_SOCKET,
    port: env.PORT,
    host: env.HOST,
    seed: env.SEED,
    workloads: env.AGENT_WORKLOADS === 'sample' ? SAMPLE_WORKLOADS : [],
  });
  console.log(`agent: ready ${agent.url}`);
  const shutdown = (): void => {
    void agent.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
