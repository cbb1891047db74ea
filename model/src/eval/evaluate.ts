import {
  CRASH_LOOP_EXAMPLE,
  FEATURE_NAMES,
  ORIGINAL_HEALTHY_EXAMPLE,
  type FeatureInput,
  type FeatureName,
} from '../schema.js';
import type { Predictor } from '../predictor.js';
import { generateRuns } from '../data/dataset.js';
import { SCENARIOS, type ScenarioName } from '../data/scenarios.js';
import { SLO, STEP_SECONDS, type Run } from '../data/simulate.js';
import { brier, confusion, ece, logLoss, prAuc, rocAuc, type Confusion } from './metrics.js';

/**
 * Scenarios whose fault shows in the features before the SLO breaks. The others are sudden: an
 * error burst or a lost node breaks the SLO in the sample where it starts, and a crash loop's
 * first crash already drops a pod and fails its in-flight requests.
 */
export const PRECURSOR_SCENARIOS: readonly ScenarioName[] = [
  'traffic_spike',
  'memory_leak',
  'cpu_starvation',
  'latency_regression',
  'poisoned_cache',
  'bad_release',
];

/** The quality bar from the issue. */
export const BAR = {
  minRocAuc: 0.97,
  maxBrier: 0.05,
  maxEce: 0.05,
  maxHealthyBusyFalsePositiveRate: 0.01,
  maxOriginalHealthyRisk: 0.1,
  minCrashLoopRisk: 0.9,
} as const;

export interface Scores {
  rows: number;
  positives: number;
  rocAuc: number;
  prAuc: number;
  brier: number;
  ece: number;
  logLoss: number;
  confusion: Confusion;
}

export interface ScenarioReport {
  scenario: ScenarioName;
  runs: number;
  rows: number;
  positives: number;
  /** Share of positive rows at or above the threshold. */
  recall: number;
  /** Share of negative rows at or above the threshold. */
  falsePositiveRate: number;
  /** Runs that breach the SLO after their fault's onset. */
  breachingRuns: number;
  /** Breaching runs with an alert (risk ≥ threshold) at or after the fault's onset. */
  alertedRuns: number;
  /** Breaching runs alerted strictly before their first breach. */
  alertedBeforeBreach: number;
  /** Mean of (first breach − first alert) in minutes over alerted runs; negative means late. */
  meanLeadMinutes: number | null;
  hasPrecursors: boolean;
  /** How often each feature ranks first in the explanation of positive predictions. */
  topFeatures: Partial<Record<FeatureName, number>>;
}

export interface EvaluationReport {
  model: { version: string; threshold: number; backend: string };
  data: {
    generator: 'synthetic';
    variant: 'heldout';
    seed: number;
    runsPerScenario: number;
    stepSeconds: number;
    slo: typeof SLO;
    /** Positives whose fault had not begun yet (see README): excluded from `overall`. */
    unforecastableRows: number;
  };
  /** Metrics on the forecastable rows: the headline numbers. */
  overall: Scores;
  /** The same metrics over every row, unforecastable ones included. */
  allRows: Scores;
  healthyBusyFalsePositiveRate: number;
  examples: { originalHealthyRisk: number; crashLoopRisk: number };
  reliability: { bin: string; rows: number; meanRisk: number; observedRate: number }[];
  scenarios: ScenarioReport[];
  bar: { criterion: string; value: number; pass: boolean }[];
  pass: boolean;
}

function scores(risks: number[], labels: number[], threshold: number): Scores {
  return {
    rows: risks.length,
    positives: labels.reduce((a, b) => a + b, 0),
    rocAuc: rocAuc(risks, labels),
    prAuc: prAuc(risks, labels),
    brier: brier(risks, labels),
    ece: ece(risks, labels),
    logLoss: logLoss(risks, labels),
    confusion: confusion(risks, labels, threshold),
  };
}

function inputOf(features: readonly number[]): FeatureInput {
  return Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, features[i]])) as FeatureInput;
}

/** Scores held-out scenario runs (other seeds, other parameter ranges) and checks the bar. */
export function evaluate(
  predictor: Predictor,
  opts: { seed: number; runsPerScenario: number },
): EvaluationReport {
  const threshold = predictor.threshold;
  const runs: Run[] = generateRuns({
    seed: opts.seed,
    variant: 'heldout',
    runsPerScenario: opts.runsPerScenario,
  });
  const fRisk: number[] = [];
  const fLab: number[] = [];
  const aRisk: number[] = [];
  const aLab: number[] = [];
  let unforecastable = 0;
  const per = new Map<ScenarioName, { runs: Run[]; risks: number[][] }>();
  const top = new Map<ScenarioName, Partial<Record<FeatureName, number>>>();
  for (const run of runs) {
    const preds = predictor.predict(run.samples.map((s) => inputOf(s.features)));
    const risks = preds.map((p) => p.risk);
    const entry = per.get(run.scenario) ?? { runs: [], risks: [] };
    entry.runs.push(run);
    entry.risks.push(risks);
    per.set(run.scenario, entry);
    const t = top.get(run.scenario) ?? {};
    run.samples.forEach((s, i) => {
      const risk = risks[i] as number;
      aRisk.push(risk);
      aLab.push(s.label);
      if (!s.forecastable) {
        unforecastable++;
        return;
      }
      fRisk.push(risk);
      fLab.push(s.label);
      if (risk >= threshold) {
        const f = preds[i]!.explanation[0]!.feature;
        t[f] = (t[f] ?? 0) + 1;
      }
    });
    top.set(run.scenario, t);
  }

  const scenarios: ScenarioReport[] = SCENARIOS.map((scenario) => {
    const { runs: rs, risks } = per.get(scenario) ?? { runs: [], risks: [] };
    let rows = 0;
    let pos = 0;
    let tp = 0;
    let neg = 0;
    let fp = 0;
    let breaching = 0;
    let alerted = 0;
    let early = 0;
    let leadSum = 0;
    rs.forEach((run, k) => {
      const r = risks[k] as number[];
      run.samples.forEach((s, i) => {
        if (!s.forecastable) return;
        rows++;
        const hit = (r[i] as number) >= threshold;
        if (s.label === 1) {
          pos++;
          if (hit) tp++;
        } else {
          neg++;
          if (hit) fp++;
        }
      });
      // Lead time is about the fault: its first breach at or after its onset (a healthy-phase
      // breach before the onset, e.g. from a random restart, is not what the alert is for).
      const onset = run.faultMinute;
      if (onset === null) return;
      const breachAt = run.samples.find((s) => s.breach && s.minute >= onset)?.minute;
      if (breachAt === undefined) return;
      breaching++;
      const first = run.samples.findIndex(
        (s, i) => s.minute >= onset && (r[i] as number) >= threshold,
      );
      if (first < 0) return;
      alerted++;
      const lead = breachAt - (run.samples[first] as { minute: number }).minute;
      leadSum += lead;
      if (lead > 0) early++;
    });
    const t = top.get(scenario) ?? {};
    const sortedTop = Object.fromEntries(
      Object.entries(t)
        .sort((p, q) => q[1] - p[1])
        .slice(0, 3),
    );
    return {
      scenario,
      runs: rs.length,
      rows,
      positives: pos,
      recall: pos ? tp / pos : NaN,
      falsePositiveRate: neg ? fp / neg : NaN,
      breachingRuns: breaching,
      alertedRuns: alerted,
      alertedBeforeBreach: early,
      meanLeadMinutes: alerted ? leadSum / alerted : null,
      hasPrecursors: PRECURSOR_SCENARIOS.includes(scenario),
      topFeatures: sortedTop,
    };
  });

  const bins = 10;
  const reliability = Array.from({ length: bins }, (_, b) => {
    let n = 0;
    let sr = 0;
    let sl = 0;
    fRisk.forEach((r, i) => {
      if (Math.min(bins - 1, Math.floor(r * bins)) === b) {
        n++;
        sr += r;
        sl += fLab[i] as number;
      }
    });
    return {
      bin: `${(b / bins).toFixed(1)}–${((b + 1) / bins).toFixed(1)}`,
      rows: n,
      meanRisk: n ? sr / n : NaN,
      observedRate: n ? sl / n : NaN,
    };
  });

  const overall = scores(fRisk, fLab, threshold);
  const busy = scenarios.find((s) => s.scenario === 'healthy_busy');
  const healthyBusyFalsePositiveRate = busy?.falsePositiveRate ?? NaN;
  const [h, c] = predictor.predict([ORIGINAL_HEALTHY_EXAMPLE, CRASH_LOOP_EXAMPLE]);
  const examples = { originalHealthyRisk: h!.risk, crashLoopRisk: c!.risk };
  const bar = [
    {
      criterion: `ROC-AUC ≥ ${BAR.minRocAuc}`,
      value: overall.rocAuc,
      pass: overall.rocAuc >= BAR.minRocAuc,
    },
    {
      criterion: `Brier ≤ ${BAR.maxBrier}`,
      value: overall.brier,
      pass: overall.brier <= BAR.maxBrier,
    },
    { criterion: `ECE ≤ ${BAR.maxEce}`, value: overall.ece, pass: overall.ece <= BAR.maxEce },
    {
      criterion: `healthy-but-busy false-positive rate ≤ ${BAR.maxHealthyBusyFalsePositiveRate}`,
      value: healthyBusyFalsePositiveRate,
      pass: healthyBusyFalsePositiveRate <= BAR.maxHealthyBusyFalsePositiveRate,
    },
    {
      criterion: `original healthy example < ${BAR.maxOriginalHealthyRisk}`,
      value: examples.originalHealthyRisk,
      pass: examples.originalHealthyRisk < BAR.maxOriginalHealthyRisk,
    },
    {
      criterion: `crash-loop example > ${BAR.minCrashLoopRisk}`,
      value: examples.crashLoopRisk,
      pass: examples.crashLoopRisk > BAR.minCrashLoopRisk,
    },
    ...scenarios
      .filter((s) => s.hasPrecursors)
      .map((s) => ({
        criterion: `${s.scenario}: mean lead time > 0 min`,
        value: s.meanLeadMinutes ?? NaN,
        pass: (s.meanLeadMinutes ?? -1) > 0,
      })),
  ];
  return {
    model: { version: predictor.version, threshold, backend: predictor.backendName },
    data: {
      generator: 'synthetic',
      variant: 'heldout',
      seed: opts.seed,
      runsPerScenario: opts.runsPerScenario,
      stepSeconds: STEP_SECONDS,
      slo: SLO,
      unforecastableRows: unforecastable,
    },
    overall,
    allRows: scores(aRisk, aLab, threshold),
    healthyBusyFalsePositiveRate,
    examples,
    reliability,
    scenarios,
    bar,
    pass: bar.every((b) => b.pass),
  };
}

const f3 = (x: number | null): string => (x === null || Number.isNaN(x) ? '–' : x.toFixed(3));
const f1 = (x: number | null): string => (x === null || Number.isNaN(x) ? '–' : x.toFixed(1));

/** The report as markdown. */
export function formatReport(r: EvaluationReport): string {
  const o = r.overall;
  const lines = [
    `# Risk model evaluation — ${r.model.version}`,
    '',
    `Held-out synthetic scenarios: variant \`${r.data.variant}\` (parameter ranges not used in training), seed ${r.data.seed}, ` +
      `${r.data.runsPerScenario} runs per scenario, one sample every ${r.data.stepSeconds} s. ` +
      `Default threshold ${r.model.threshold}. Overall: **${r.pass ? 'PASS' : 'FAIL'}**.`,
    '',
    '## Bar',
    '',
    '| criterion | value | pass |',
    '| --- | --- | --- |',
    ...r.bar.map((b) => `| ${b.criterion} | ${f3(b.value)} | ${b.pass ? 'yes' : '**no**'} |`),
    '',
    '## Overall',
    '',
    `Forecastable rows: ${o.rows} (${o.positives} positive). ${r.data.unforecastableRows} positives whose fault had not begun yet are excluded (see README).`,
    '',
    '| metric | forecastable rows | all rows |',
    '| --- | --- | --- |',
    `| ROC-AUC | ${f3(o.rocAuc)} | ${f3(r.allRows.rocAuc)} |`,
    `| PR-AUC | ${f3(o.prAuc)} | ${f3(r.allRows.prAuc)} |`,
    `| Brier | ${f3(o.brier)} | ${f3(r.allRows.brier)} |`,
    `| ECE | ${f3(o.ece)} | ${f3(r.allRows.ece)} |`,
    `| log loss | ${f3(o.logLoss)} | ${f3(r.allRows.logLoss)} |`,
    '',
    `Confusion matrix at ${o.confusion.threshold} (forecastable rows):`,
    '',
    '| | predicted positive | predicted negative |',
    '| --- | --- | --- |',
    `| actual positive | ${o.confusion.tp} | ${o.confusion.fn} |`,
    `| actual negative | ${o.confusion.fp} | ${o.confusion.tn} |`,
    '',
    `Precision ${f3(o.confusion.precision)}, recall ${f3(o.confusion.recall)}, false-positive rate ${f3(o.confusion.falsePositiveRate)}. ` +
      `Healthy-but-busy false-positive rate: ${f3(r.healthyBusyFalsePositiveRate)}.`,
    '',
    '## Per scenario',
    '',
    '| scenario | rows | positives | recall | FP rate | breaching runs | alerted | alerted before breach | mean lead (min) | top features when alerting |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.scenarios.map(
      (s) =>
        `| ${s.scenario}${s.hasPrecursors ? '' : ' †'} | ${s.rows} | ${s.positives} | ${f3(s.recall)} | ${f3(s.falsePositiveRate)} | ${s.breachingRuns} | ${s.alertedRuns} | ${s.alertedBeforeBreach} | ${f1(s.meanLeadMinutes)} | ${Object.entries(
          s.topFeatures,
        )
          .map(([k, v]) => `${k} (${v})`)
          .join(', ')} |`,
    ),
    '',
    '† no precursors in the features: these faults are sudden, so lead time is not expected.',
    '',
    '## Reliability (forecastable rows)',
    '',
    '| risk bin | rows | mean risk | observed rate |',
    '| --- | --- | --- | --- |',
    ...r.reliability.map(
      (b) => `| ${b.bin} | ${b.rows} | ${f3(b.meanRisk)} | ${f3(b.observedRate)} |`,
    ),
    '',
    `Examples: original healthy body ${f3(r.examples.originalHealthyRisk)}, crash loop ${f3(r.examples.crashLoopRisk)}.`,
    '',
  ];
  return lines.join('\n');
}
