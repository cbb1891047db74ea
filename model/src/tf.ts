/**
 * The one place that imports TensorFlow.js, so every module shares the same engine instance.
 * `@tensorflow/tfjs` bundles the cpu backend; the wasm backend and tfjs-node are loaded on
 * demand by `selectBackend`.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';

export { tf };

// Production mode: skips debug checks and the cpu backend's "install tfjs-node" console banner.
tf.env().set('PROD', true);

export type Engine = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** No tfjs backend could be selected for the requested engine. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly engine: Engine,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// The node binding is an optional, Docker-only dependency: a variable keeps tsc from resolving it.
const TFJS_NODE = '@tensorflow/tfjs-node';

async function tryTensorflow(): Promise<boolean> {
  try {
    await import(TFJS_NODE);
    return await tf.setBackend('tensorflow');
  } catch (_err) {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const mod = (await import('@tensorflow/tfjs-backend-wasm')) as {
      setWasmPaths?: (prefix: string) => void;
      default?: { setWasmPaths: (prefix: string) => void };
    };
    const setWasmPaths = mod.setWasmPaths ?? mod.default?.setWasmPaths;
    if (!setWasmPaths) return false;
    const require = createRequire(import.meta.url);
    // In Node the wasm binaries are read from disk: point the loader at the package's dist folder.
    setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
    return await tf.setBackend('wasm');
  } catch (_err) {
    return false;
  }
}

/**
 * Makes `engine` the global tfjs backend and returns the backend's name: `auto` prefers
 * tfjs-node, then wasm, then cpu. An explicit engine that cannot load is an error.
 */
export async function selectBackend(engine: Engine): Promise<string> {
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(engine)) {
    throw new EngineError(
      engine,
      `engine must be auto, tensorflow, wasm or cpu, got "${String(engine)}"`,
    );
  }
  if (engine === 'auto' || engine === 'tensorflow') {
    if (await tryTensorflow()) return tf.getBackend();
    if (engine === 'tensorflow') {
      throw new EngineError(
        engine,
        'engine "tensorflow" needs @tensorflow/tfjs-node, which is not installed',
      );
    }
  }
  if (engine === 'auto' || engine === 'wasm') {
    if (await tryWasm()) return tf.getBackend();
    if (engine === 'wasm') throw new EngineError(engine, 'engine "wasm" could not be initialised');
  }
  if (!(await tf.setBackend('cpu')))
    throw new EngineError(engine, 'the cpu backend failed to initialise');
  await tf.ready();
  return tf.getBackend();
}
