/**
 * The held-out evaluation summary `GET /model` serves, read from the artifact's `report.json`
 * (written by `npm run model:eval`). Optional: an artifact without one serves `heldout: null`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** `report.json` exists but is not the JSON object we expect. */
export class EvaluationReportError extends Error {
  override readonly name = 'EvaluationReportError';
}

/**
 * The overall held-out metrics of `<dir>/report.json` and the model version they belong to,
 * or undefined when the file does not exist.
 */
export async function readHeldoutSummary(dir: string): Promise<object | undefined> {
  const file = path.join(dir, 'report.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EvaluationReportError(`cannot read ${file}`, { cause: err });
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch (err) {
    throw new EvaluationReportError(`${file} is not valid JSON`, { cause: err });
  }
  const r = report as { model?: { version?: unknown }; data?: unknown; overall?: unknown };
  if (typeof r !== 'object' || r === null || typeof r.overall !== 'object' || r.overall === null) {
    throw new EvaluationReportError(`${file} has no "overall" section`);
  }
  const { healthyBusyFalsePositiveRate } = report as { healthyBusyFalsePositiveRate?: unknown };
  return {
    version: typeof r.model?.version === 'string' ? r.model.version : null,
    overall: r.overall,
    ...(typeof healthyBusyFalsePositiveRate === 'number' ? { healthyBusyFalsePositiveRate } : {}),
  };
}
