/**
 * Entry point: parse the configuration once, wire the logger, the model and the server, and
 * handle SIGTERM/SIGINT. Everything else lives in server.ts and app.ts.
 */
import os from 'node:os';
import { pino } from 'pino';
import { DEFAULT_ARTIFACT_DIR, Predictor } from '@aiops/model/predictor';
import { ConfigError, ModelDirError, parseConfig } from './config.js';
import { readHeldoutSummary } from './evaluation.js';
import { startServer } from './server.js';
import { ScoringPool } from './pool/scoringPool.js';
import { autoScoringThreads, cpuLimitOf, readCgroupCpuFiles } from './pool/threads.js';

let config;
try {
  config = parseConfig(process.env, process.argv.slice(2));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}

/** 256-row slices each scoring worker scores before it takes requests (JIT warm-up). */
const WORKER_WARMUP_ROUNDS = 40;

const logger = pino({ level: config.logLevel, base: { service: 'backend' } });
let predictor: Predictor | undefined;
let shadow: Predictor | undefined;
/** The model a variable names; a failure says which variable (the serving or the shadow one). */
async function loadModel(variable: 'MODEL_DIR' | 'SHADOW_MODEL_DIR', dir: string | undefined) {
  try {
    return await Predictor.load({ dir, engine: config!.modelEngine });
  } catch (err) {
    throw new ModelDirError(variable, dir ?? DEFAULT_ARTIFACT_DIR, err);
  }
}
const { ready, shutdown } = await startServer(config, {
  logger,
  loadScorer: async () => {
    predictor = await loadModel('MODEL_DIR', config.modelDir);
    return predictor;
  },
  loadShadow: async () => {
    if (config.shadowModelDir === undefined) return undefined;
    shadow = await loadModel('SHADOW_MODEL_DIR', config.shadowModelDir);
    return shadow;
  },
  startPool: async (onFailure) => {
    const threads =
      config.scoringThreads === 'auto'
        ? autoScoringThreads(os.availableParallelism(), cpuLimitOf(readCgroupCpuFiles()))
        : config.scoringThreads;
    if (threads <= 1 || predictor === undefined) return undefined;
    return ScoringPool.start({
      data: {
        metadata: predictor.metadata,
        weights: predictor.scorer.mlp.weights,
        warmupRounds: WORKER_WARMUP_ROUNDS,
      },
      workers: threads - 1,
      minRows: config.scoringPoolMinRows,
      sliceTimeoutMs: config.scoringSliceTimeoutMs,
      onFailure,
    });
  },
  // The report of the version actually loaded (MODEL_DIR may be an artifacts root).
  loadHeldout: () => readHeldoutSummary(predictor?.dir ?? config.modelDir ?? DEFAULT_ARTIFACT_DIR),
}).catch((err: unknown) => {
  logger.fatal({ err, host: config.host, port: config.port }, 'could not listen');
  process.exit(1);
});

ready.catch((err: unknown) => {
  if (err instanceof ModelDirError)
    logger.fatal(
      { err, variable: err.variable, dir: err.dir },
      `could not load the model: ${err.message}`,
    );
  else logger.fatal({ err }, 'could not load the model');
  process.exit(1);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'signal received');
    void shutdown().then((clean) => {
      predictor?.dispose();
      shadow?.dispose();
      logger.flush();
      process.exit(clean ? 0 : 1);
    });
  });
}
