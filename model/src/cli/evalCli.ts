/**
 * `npm run model:eval`: evaluates the serving model on every Nezha day found and on held-out
 * synthetic runs, and writes report.json and report.md into the model's version folder.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ARTIFACT_DIR, Predictor } from '../predictor.js';
import { discoverDays, NezhaFormatError } from '../nezha/convert.js';
import { evaluateDay, NoFaultFreeStretchError, type DayResult } from '../eval/realData.js';
import { evaluateSynthetic, syntheticVerdictOf } from '../eval/synthetic.js';
import { formatReport, type EvaluationReport } from '../eval/report.js';
import { fromInvocation } from './paths.js';

export interface EvalCliOptions {
  dir?: string;
  nezha?: string;
  seed?: string;
  runs?: string;
  syntheticOnly?: boolean;
}

/** The repository root: the folder above model/. */
export const REPO_ROOT = path.resolve(DEFAULT_ARTIFACT_DIR, '..', '..');
/** Where the Nezha days are looked for by default: ../shared/data/nezha from the repository root. */
export const DEFAULT_NEZHA_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'nezha');

export const EVAL_USAGE =
  'usage: npm run eval -w model [-- --nezha DIR] [--dir model/artifacts] [--seed 1001] [--runs 10] [--synthetic-only]';

export async function main(
  opts: EvalCliOptions,
  env: Record<string, string | undefined> = {},
  log: (line: string) => void = console.log,
): Promise<number> {
  const seed = Number(opts.seed ?? '1001');
  const runs = Number(opts.runs ?? '10');
  if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1) {
    log('--seed and --runs must be integers (--runs ≥ 1)');
    return 2;
  }
  const nezha = path.resolve(
    opts.nezha ?? (env.NEZHA_DIR ? fromInvocation(env.NEZHA_DIR, env) : DEFAULT_NEZHA_DIR),
  );
  let days: string[] = [];
  if (!opts.syntheticOnly) {
    if (!existsSync(nezha)) {
      log(`no Nezha data at ${nezha}: pass --nezha DIR (or NEZHA_DIR), or --synthetic-only`);
      return 2;
    }
    try {
      days = await discoverDays(nezha);
    } catch (err) {
      if (err instanceof NezhaFormatError) {
        log(err.message);
        return 2;
      }
      throw err;
    }
    if (days.length === 0) {
      log(`no day folders (a *fault_list.json beside a metric/ folder) under ${nezha}`);
      return 2;
    }
  }
  const predictor = await Predictor.load({
    dir: opts.dir ? path.resolve(opts.dir) : undefined,
    engine: 'cpu',
  });
  try {
    const results: DayResult[] = [];
    const skipped: { day: string; reason: string }[] = [];
    for (const dayDir of days) {
      const t0 = performance.now();
      let d: DayResult;
      try {
        d = await evaluateDay(predictor, dayDir);
      } catch (err) {
        // One day the evaluation cannot read or score costs that day, said in the log and the
        // report; the other days and the synthetic runs are still evaluated.
        if (!(err instanceof NezhaFormatError || err instanceof NoFaultFreeStretchError)) throw err;
        const day = path.basename(dayDir);
        skipped.push({ day, reason: err.message });
        log(`${day}: not evaluated: ${err.message}`);
        continue;
      }
      const m = d.detectors.model.score;
      const e = d.detectors.entry3Sigma.score;
      const s = d.detectors.sloDistance.score;
      log(
        `${d.day}: model ${m.detected}/${m.faults} (${m.falseAlarmMinutesPerHour.toFixed(2)} FA min/h) · ` +
          `3σ entry ${e.detected}/${e.faults} (${e.falseAlarmMinutesPerHour.toFixed(2)}) · ` +
          `SLO rule ${s.detected}/${s.faults} (${s.falseAlarmMinutesPerHour.toFixed(2)}) · ` +
          `at the model's budget: 3σ ${d.detectors.entry3SigmaAtModelBudget.score.detected}, SLO rule ${d.detectors.sloDistanceAtModelBudget.score.detected} ` +
          `[replay ${d.rows} rows in ${d.replayMs.toFixed(0)} ms; day ${((performance.now() - t0) / 1000).toFixed(1)} s]`,
      );
      results.push(d);
    }
    if (days.length > 0 && results.length === 0) {
      log(`no day under ${nezha} could be evaluated (above): nothing written`);
      return 2;
    }
    const synthetic = evaluateSynthetic(predictor, { seed, runsPerScenario: runs });
    const syntheticVerdict = syntheticVerdictOf(synthetic);
    const ev = synthetic.events;
    const any = synthetic.eventsAnyRow;
    log(
      `synthetic: ROC-AUC model ${synthetic.rows.model.rocAuc.toFixed(3)}, SLO rule ${synthetic.rows.slo_distance.rocAuc.toFixed(3)}, own 3σ ${synthetic.rows.own_3sigma.rocAuc.toFixed(3)}; ` +
        `detected runs (all through the entry rule) ${ev.model.detected}/${ev.model.breachingRuns} vs ${ev.slo_distance.detected} and ${ev.own_3sigma.detected}; ` +
        `FA min/h ${ev.model.falseAlarmMinutesPerHour.toFixed(2)} vs ${ev.slo_distance.falseAlarmMinutesPerHour.toFixed(2)} and ${ev.own_3sigma.falseAlarmMinutesPerHour.toFixed(2)}; ` +
        `at the model's budget ${ev.slo_distance.atModelBudget?.detected} and ${ev.own_3sigma.atModelBudget?.detected}; ` +
        `rules on any row: ${any.slo_distance.detected} and ${any.own_3sigma.detected} (FA min/h ${any.slo_distance.falseAlarmMinutesPerHour.toFixed(2)} and ${any.own_3sigma.falseAlarmMinutesPerHour.toFixed(2)})`,
    );
    const tuningFile = path.join(predictor.dir, 'tuning.json');
    const tuning = existsSync(tuningFile)
      ? (JSON.parse(await readFile(tuningFile, 'utf8')) as unknown)
      : undefined;
    const report: EvaluationReport = {
      format: 'aiops-risk-report/2',
      model: {
        version: predictor.version,
        weightsDigest: predictor.metadata.weightsDigest,
        threshold: predictor.threshold,
      },
      command: `npm run model:eval${opts.syntheticOnly ? ' -- --synthetic-only' : ''}`,
      realData: opts.syntheticOnly
        ? null
        : {
            source: path.relative(REPO_ROOT, nezha) || nezha,
            days: results,
            ...(skipped.length > 0 ? { skipped } : {}),
            summary: {
              days: results.length,
              beatsBothLiteral: results.filter(
                (d) => d.verdict.beatsEntry3Sigma && d.verdict.beatsSloDistance,
              ).length,
              beatsBothAtBudget: results.filter(
                (d) => d.verdict.beatsEntry3SigmaAtBudget && d.verdict.beatsSloDistanceAtBudget,
              ).length,
              beatsEntry3Sigma: results.filter((d) => d.verdict.beatsEntry3Sigma).length,
              beatsSloDistance: results.filter((d) => d.verdict.beatsSloDistance).length,
              baselineDetectsAll: results
                .filter((d) =>
                  [d.detectors.entry3Sigma, d.detectors.sloDistance].some(
                    (b) => b.score.detected === b.score.faults,
                  ),
                )
                .map((d) => d.day),
            },
          },
      synthetic,
      syntheticVerdict,
      ...(tuning !== undefined ? { tuning } : {}),
    };
    await writeFile(
      path.join(predictor.dir, 'report.json'),
      JSON.stringify(report, stripTimings, 2) + '\n',
    );
    await writeFile(path.join(predictor.dir, 'report.md'), formatReport(report));
    log(`wrote ${path.join(predictor.dir, 'report.json')} and report.md`);
    return 0;
  } finally {
    predictor.dispose();
  }
}

/** Timings differ run to run: the committed report leaves them out so the command reproduces it. */
function stripTimings(key: string, value: unknown): unknown {
  return key === 'replayMs' ? undefined : value;
}
