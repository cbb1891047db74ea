import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FeatureName } from './schema.js';
import type { BaselineWindows } from './features/windows.js';
import type { PlattCalibration } from './train/calibrate.js';
import { tf } from './tf.js';

/** One network input: how it is derived (see features/derive.ts) and standardised. */
export interface InputMetadata {
  name: string;
  feature: FeatureName;
  monotone: 0 | 1;
  mean: number;
  std: number;
  /**
   * The range of the (unstandardised) input over the training data: outside it by more than
   * `ood.margin` × its span the model abstains (see README, "Guard rails").
   */
  lo: number;
  hi: number;
}

/** Everything about a trained model besides its weights: written to `metadata.json`. */
export interface ModelMetadata {
  format: 'aiops-risk-model/2';
  /** `risk-mlp-` + the first 12 hex digits of the weights' SHA-256: same weights, same version. */
  version: string;
  createdAt: string;
  /** Default decision threshold on the calibrated risk. */
  threshold: number;
  /** The label: SLO breached now or within this many minutes. */
  labelHorizonMinutes: number;
  features: {
    name: FeatureName;
    unit: string;
    min: number;
    max: number;
    required: boolean;
    default: number;
  }[];
  inputs: InputMetadata[];
  /** Standardised inputs are clipped to ±clip. */
  clip: number;
  /** The windows the baseline statistics are expected over (the healer's queries use the same). */
  baselineWindows: BaselineWindows;
  calibration: PlattCalibration;
  architecture: {
    hidden: number[];
    activation: 'relu';
    output: 'logit';
    /** Sign of each hidden unit's output weight (monotone construction). */
    unitSigns: number[];
  };
  ood: { margin: number };
  explanation: {
    method: 'integrated_gradients_exact';
    /** The explanation starts from the deployment's own normal (baseline medians; healthy values). */
    reference: 'deployment_baseline';
  };
  training: {
    source: 'synthetic' | 'csv';
    /** SHA-256 of the training matrix and labels. */
    dataDigest: string;
    rows: number;
    positives: number;
    validationRows: number;
    config: Record<string, unknown>;
    finalLoss: number;
    /** Where the data came from: generator seeds and sizes, or the CSV path. */
    data: Record<string, unknown>;
  };
  /** SHA-256 of weights.bin. */
  weightsDigest: string;
  /** Validation metrics at training time (the held-out evaluation is in report.json). */
  metrics: Record<string, number>;
}

/** The artifact is missing, unreadable or inconsistent. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
  constructor(
    readonly dir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const METADATA_FILE = 'metadata.json';
/** In an artifacts root: the file naming the version to serve. */
export const CURRENT_FILE = 'CURRENT';
const VERSION_NAME = /^[a-z0-9][a-z0-9._-]{0,80}$/;

/**
 * The directory of one model version: `dir` itself when it holds a metadata.json, else the version
 * named by `dir/CURRENT` (an artifacts root holding `<version>/` folders).
 */
export async function resolveArtifactDir(dir: string): Promise<string> {
  if (existsSync(path.join(dir, METADATA_FILE))) return dir;
  let name: string;
  try {
    name = (await readFile(path.join(dir, CURRENT_FILE), 'utf8')).trim();
  } catch (err) {
    throw new ArtifactError(
      dir,
      `${dir} holds neither ${METADATA_FILE} nor a ${CURRENT_FILE} file naming the version to serve`,
      { cause: err },
    );
  }
  if (!VERSION_NAME.test(name)) {
    throw new ArtifactError(
      dir,
      `${CURRENT_FILE} in ${dir} names "${name.slice(0, 100)}", not a version folder`,
    );
  }
  return path.join(dir, name);
}

/** Writes `dir/CURRENT` (atomically) naming `version`. */
export async function writeCurrent(root: string, version: string): Promise<void> {
  if (!VERSION_NAME.test(version)) throw new RangeError(`"${version}" is not a version name`);
  const tmp = path.join(root, `.${CURRENT_FILE}.tmp`);
  await writeFile(tmp, version + '\n');
  await rename(tmp, path.join(root, CURRENT_FILE));
}

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((a, b) => a + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Serialises a model's topology and weights (the tfjs layers-model format, one weights file). */
export async function serialiseModel(
  model: tf.LayersModel,
): Promise<{ modelJson: string; weights: Uint8Array }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new Error('tfjs did not hand over the model artifacts');
  const weights = joinWeightData(captured.weightData);
  const modelJson = JSON.stringify({
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: captured.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: captured.weightSpecs }],
  });
  return { modelJson, weights };
}

/** Writes model.json, weights.bin and metadata.json into `dir`. */
export async function writeArtifact(
  dir: string,
  files: { modelJson: string; weights: Uint8Array; metadata: ModelMetadata },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, MODEL_FILE), files.modelJson + '\n');
  await writeFile(path.join(dir, WEIGHTS_FILE), files.weights);
  await writeFile(path.join(dir, METADATA_FILE), JSON.stringify(files.metadata, null, 2) + '\n');
}

async function readJson(dir: string, file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path.join(dir, file), 'utf8');
  } catch (err) {
    throw new ArtifactError(dir, `cannot read ${file} in ${dir}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ArtifactError(dir, `${file} in ${dir} is not valid JSON`, { cause: err });
  }
}

/** Reads an artifact directory: the tfjs model artifacts and the metadata. */
export async function readArtifact(
  root: string,
): Promise<{ artifacts: tf.io.ModelArtifacts; metadata: ModelMetadata; dir: string }> {
  const dir = await resolveArtifactDir(root);
  const metadata = (await readJson(dir, METADATA_FILE)) as ModelMetadata;
  if (metadata?.format !== 'aiops-risk-model/2') {
    throw new ArtifactError(
      dir,
      `${METADATA_FILE} has format ${String(metadata?.format)}, expected aiops-risk-model/2`,
    );
  }
  const modelJson = (await readJson(dir, MODEL_FILE)) as {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const manifest = modelJson.weightsManifest;
  if (!modelJson.modelTopology || !Array.isArray(manifest) || manifest.length === 0) {
    throw new ArtifactError(dir, `${MODEL_FILE} lacks modelTopology or weightsManifest`);
  }
  const weightSpecs = manifest.flatMap((g) => g.weights);
  const chunks: Uint8Array[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      try {
        chunks.push(new Uint8Array(await readFile(path.join(dir, p))));
      } catch (err) {
        throw new ArtifactError(dir, `cannot read weights file ${p} in ${dir}`, { cause: err });
      }
    }
  }
  const weights = joinWeightData(
    chunks.map((c) => c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength) as ArrayBuffer),
  );
  if (metadata.weightsDigest && sha256(weights) !== metadata.weightsDigest) {
    throw new ArtifactError(
      dir,
      `weights in ${dir} do not match metadata.weightsDigest (artifact files from different trainings?)`,
    );
  }
  return {
    artifacts: {
      modelTopology: modelJson.modelTopology,
      weightSpecs,
      weightData: weights.buffer as ArrayBuffer,
      format: 'layers-model',
    },
    metadata,
    dir,
  };
}
