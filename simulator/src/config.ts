import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => ['true', '1', 'yes'].includes(v));

/** The simulator's environment, validated once in main.ts. */
export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8001),
  HOST: z.string().min(1).default('127.0.0.1'),
  SEED: z.coerce.number().int().min(0).default(1),
  KUBECONFIG_OUT: z.string().min(1).default('.run/simulator.kubeconfig'),
  SCENARIO: z.enum(['demo', 'none'], { message: 'must be demo or none' }).default('demo'),
  /** Simulated seconds per real second; REAL_TIME=true forces 1. */
  SPEED: z.coerce.number().positive().max(10_000).default(1),
  REAL_TIME: bool.optional(),
  /** Seconds of simulated time between demo faults. */
  SCENARIO_INTERVAL_SEC: z.coerce.number().positive().default(180),
});

export type SimulatorConfig = {
  port: number;
  host: string;
  seed: number;
  kubeconfigOut: string;
  scenario: 'demo' | 'none';
  speed: number;
  scenarioIntervalMs: number;
};

/** Parses the environment; throws an Error listing every bad variable and its rule. */
export function parseConfig(env: Record<string, string | undefined>): SimulatorConfig {
  const r = ConfigSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid simulator configuration: ${lines.join('; ')}`);
  }
  const c = r.data;
  return {
    port: c.PORT,
    host: c.HOST,
    seed: c.SEED,
    kubeconfigOut: c.KUBECONFIG_OUT,
    scenario: c.SCENARIO,
    speed: c.REAL_TIME ? 1 : c.SPEED,
    scenarioIntervalMs: c.SCENARIO_INTERVAL_SEC * 1000,
  };
}
