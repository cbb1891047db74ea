/**
 * The evaluation summary `GET /model` serves, read from the artifact version's `report.json`
 * (written by `npm run model:eval`): the synthetic held-out scores and, per real day, the model
 * beside its baselines. Optional: an artifact without one serves `heldout: null`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** `report.json` exists but is not the report we expect. */
export class EvaluationReportError extends Error {
  override readonly name = 'EvaluationReportError';
}

interface Score {
  detected: number;
  faults: number;
  falseAlarmMinutesPerHour: number;
}
interface Report {
  format?: unknown;
  model?: { version?: unknown };
  synthetic?: {
    rows?: Record<
      string,
      { rocAuc?: number; prAuc?: number; brier?: number | null; ece?: number | null }
    >;
    events?: Record<
      string,
      {
        detected?: number;
        breachingRuns?: number;
        falseAlarmMinutesPerHour?: number;
        medianLeadMinutes?: number | null;
      }
    >;
  };
  realData?: {
    days?: { day: string; detectors: Record<string, { score: Score }> }[];
    summary?: unknown;
  } | null;
}

const pick = (s: Score | undefined): Score | null =>
  s
    ? {
        detected: s.detected,
        faults: s.faults,
        falseAlarmMinutesPerHour: s.falseAlarmMinutesPerHour,
      }
    : null;

/** The summary of `<dir>/report.json`, or undefined when the file does not exist. */
export async function readHeldoutSummary(dir: string): Promise<object | undefined> {
  const file = path.join(dir, 'report.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EvaluationReportError(`cannot read ${file}`, { cause: err });
  }
  let report: Report;
  try {
    report = JSON.parse(text) as Report;
  } catch (err) {
    throw new EvaluationReportError(`${file} is not valid JSON`, { cause: err });
  }
  if (
    typeof report !== 'object' ||
    report === null ||
    Array.isArray(report) ||
    report.format !== 'aiops-risk-report/2'
  ) {
    throw new EvaluationReportError(`${file} is not an aiops-risk-report/2 report`);
  }
  const model = report.synthetic?.rows?.model;
  if (typeof model !== 'object' || model === null)
    throw new EvaluationReportError(`${file} has no synthetic model scores`);
  const events = report.synthetic?.events ?? {};
  return {
    version: typeof report.model?.version === 'string' ? report.model.version : null,
    synthetic: {
      model: { ...model, ...events.model },
      sloDistance: {
        rocAuc: report.synthetic?.rows?.slo_distance?.rocAuc ?? null,
        ...events.slo_distance,
      },
      own3Sigma: {
        rocAuc: report.synthetic?.rows?.own_3sigma?.rocAuc ?? null,
        ...events.own_3sigma,
      },
    },
    realData:
      report.realData?.days?.map((d) => ({
        day: d.day,
        model: pick(d.detectors.model?.score),
        entry3Sigma: pick(d.detectors.entry3Sigma?.score),
        sloDistance: pick(d.detectors.sloDistance?.score),
      })) ?? null,
  };
}
