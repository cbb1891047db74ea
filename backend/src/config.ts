/**
 * The backend's configuration, parsed once from the environment in main.ts. Components receive
 * the parsed values; nothing else reads process.env.
 */
import { z } from 'zod';

/**
 * SCORING_POOL_MIN_ROWS by default: with cores to spare (load 2 on the 2-core box) pooling paid
 * from 500 rows and lost at 250; 1,000 leaves a margin (measured: backend README, Performance).
 */
export const DEFAULT_POOL_MIN_ROWS = 1_000;

/** A size as body-parser understands it: bytes, or a number with b/kb/mb. */
const SIZE = /^\d+(\.\d+)?\s*(b|kb|mb)?$/i;

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(5000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Directory holding model.json, weights.bin, metadata.json; default: the committed artifact. */
  MODEL_DIR: z.string().min(1).optional(),
  /** A candidate model (an artifacts root or version folder) scored beside the serving one: shadow mode. */
  SHADOW_MODEL_DIR: z.string().min(1).optional(),
  MODEL_ENGINE: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('cpu'),
  /** Comma-separated browser origins allowed by CORS, `*` for any, empty for none. */
  CORS_ORIGIN: z.string().default('http://localhost:8080'),
  BATCH_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  BODY_LIMIT: z.string().regex(SIZE, 'must be a size like 8mb, 512kb or 1048576').default('32mb'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** On SIGTERM, how long in-flight requests get before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(8_000),
  /**
   * Threads that score a large batch: a number, or `auto` (the CPUs available, at most the CPU
   * limit). Default 1, every request on the main thread: the pool pays only on cores the backend
   * has to itself (README, Performance), so it is opted into where the pod has them.
   */
  SCORING_THREADS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)], {
      error: 'must be "auto" or a whole number 1–64',
    })
    .default(1),
  /** Batches with fewer rows than this are scored on the main thread alone. */
  SCORING_POOL_MIN_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(DEFAULT_POOL_MIN_ROWS),
  /**
   * How long a worker thread may take to score its slice before it is replaced and the slice
   * scored on the main thread (a worker that hangs must not hang the request).
   */
  SCORING_SLICE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
});

export interface BackendConfig {
  port: number;
  host: string;
  modelDir: string | undefined;
  shadowModelDir: string | undefined;
  modelEngine: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  corsOrigins: string[] | '*';
  batchLimit: number;
  bodyLimit: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  shutdownTimeoutMs: number;
  /** SCORING_THREADS: `auto` is resolved at start-up from the CPUs and the CPU limit. */
  scoringThreads: 'auto' | number;
  scoringPoolMinRows: number;
  scoringSliceTimeoutMs: number;
}

/** The configuration is invalid; the message names every variable and its rule. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The model a directory variable names could not be loaded; the message names the variable. */
export class ModelDirError extends Error {
  override readonly name = 'ModelDirError';
  constructor(
    readonly variable: 'MODEL_DIR' | 'SHADOW_MODEL_DIR',
    readonly dir: string,
    cause: unknown,
  ) {
    super(
      `${variable}=${dir}: cannot load a model from it: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/**
 * The configuration from the environment; `argv` may add `--shadow DIR` (the same as
 * SHADOW_MODEL_DIR, and winning over it).
 */
export function parseConfig(
  env: Record<string, string | undefined>,
  argv: readonly string[] = [],
): BackendConfig {
  // An empty variable means "unset" (compose files and shells produce them).
  const present: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== ''),
  );
  const flag = argv.indexOf('--shadow');
  if (flag >= 0) {
    const dir = argv[flag + 1];
    if (dir === undefined || dir.startsWith('--'))
      throw new ConfigError('invalid configuration: --shadow needs a model directory');
    present.SHADOW_MODEL_DIR = dir;
  }
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`, { cause: parsed.error });
  }
  const c = parsed.data;
  const origins = (env.CORS_ORIGIN ?? c.CORS_ORIGIN)
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  return {
    port: c.PORT,
    host: c.HOST,
    modelDir: c.MODEL_DIR,
    shadowModelDir: c.SHADOW_MODEL_DIR,
    modelEngine: c.MODEL_ENGINE,
    corsOrigins: origins.includes('*') ? '*' : origins,
    batchLimit: c.BATCH_LIMIT,
    bodyLimit: c.BODY_LIMIT.replace(/\s+/g, ''),
    logLevel: c.LOG_LEVEL,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    scoringThreads: c.SCORING_THREADS,
    scoringPoolMinRows: c.SCORING_POOL_MIN_ROWS,
    scoringSliceTimeoutMs: c.SCORING_SLICE_TIMEOUT_MS,
  };
}
