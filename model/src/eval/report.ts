/**
 * The evaluation report: real-data days and the synthetic held-out set, each with the model beside
 * the rule baselines, as JSON (for tools and the backend's `GET /model`) and markdown (committed
 * beside the artifact).
 */
import { describeEvidence } from './episodeEvidence.js';
import type { DayResult, DetectorResult, FalseAlarmEpisode } from './realData.js';
import type { DetectorName, SyntheticReport, SyntheticVerdict } from './synthetic.js';
import type { TuningRecord } from './tuning.js';

export interface EvaluationReport {
  format: 'aiops-risk-report/2';
  model: { version: string; weightsDigest: string; threshold: number };
  command: string;
  realData: {
    source: string;
    days: DayResult[];
    /** Day folders found that could not be evaluated, with why (the others still were). */
    skipped?: { day: string; reason: string }[];
    /** Days found where the model beats both baselines (literal bar / at the same false-alarm budget). */
    summary: {
      days: number;
      beatsBothLiteral: number;
      beatsBothAtBudget: number;
      /** Days where the model beats each baseline at its own operating point. */
      beatsEntry3Sigma?: number;
      beatsSloDistance?: number;
      /** Days where a baseline detects every fault: no detector can detect more, the literal bar is out of reach. */
      baselineDetectsAll?: string[];
    };
  } | null;
  synthetic: SyntheticReport;
  /** The synthetic verdict: model ahead of both rules in ROC-AUC, in detections at no more false alarms, and at the same budget. */
  syntheticVerdict: SyntheticVerdict;
  tuning?: unknown;
}

const f2 = (x: number | null | undefined): string =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2);
const f3 = (x: number | null | undefined): string =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(3);
const f1 = (x: number | null | undefined): string =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1);
const hhmm = (t: number): string => new Date(t * 1000).toISOString().slice(11, 16);
const lag = (s: number | null): string => (s === null ? '–' : `${Math.round(s)} s`);

function detectorRow(d: DetectorResult): string {
  const s = d.score;
  return `| ${d.name} | ${d.operatingPoint} | ${s.detected}/${s.faults} | ${s.culpritDetected ?? '–'} | ${lag(s.medianLagSeconds)} | ${s.falseAlarmMinutes} | ${f2(s.falseAlarmMinutesPerHour)} | ${f1(s.chanceDetected)} |`;
}

const DETECTOR_LABEL: Record<DetectorName, string> = {
  model: 'model + SLO + own-normal layers (entry rule)',
  slo_distance: 'SLO-distance rule (≥ 1)',
  own_3sigma: '3σ on own 5xx and p95 (history)',
};

export function formatReport(r: EvaluationReport): string {
  const out: string[] = [];
  out.push(`# Risk model evaluation — ${r.model.version}`, '');
  out.push(
    `Reproduce: \`${r.command}\`. Weights SHA-256 \`${r.model.weightsDigest.slice(0, 16)}…\`.`,
    '',
  );
  if (r.realData) {
    const s = r.realData.summary;
    out.push('## Real cluster data (Nezha)', '');
    out.push(
      `Source: \`${r.realData.source}\`, every day folder found (${s.days}). Each day is converted to the replay file format and scored by \`replay\` — the healer's code path: trailing baselines built from the replayed history only, the Predictor with its SLO and own-normal layers, the healer's entry rule — beside two baselines computed in the same run. Detection: an alert at a row within [injection, +240 s]. False alarms: distinct alerting minutes from 10 min after the last listed injection to the end of the day, per hour (where that is shorter than an hour and the data before the first injection is longer, that stretch instead: the day says so). "culprit": detections by an alert on the injected deployment itself. "by chance": the faults an alarm blind to them would detect, alerting on the same share of minutes at random (a rule alerting 52 minutes per hour detects nearly all of them so; beating it on detections at its own operating point is then beating chance, not a detector, and the same-budget rows are the comparison that means something).`,
      '',
    );
    out.push(realDataVerdict(s), '');
    for (const k of r.realData.skipped ?? []) {
      out.push(`**${k.day} not evaluated**: ${k.reason}`, '');
    }
    for (const d of r.realData.days) {
      out.push(`### ${d.day}`, '');
      out.push(
        `${d.system}: ${d.deployments} series, ${d.rows} rows, ${d.faults} faults (${Object.entries(
          d.faultTypes,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(
            ', ',
          )}); fault-free ${d.faultFree.hours.toFixed(1)} h from ${d.faultFree.from.slice(11, 16)} UTC${d.faultFree.basis === 'before' ? ' (before the first injection: the data ends within the hour after the last)' : ''}; ${d.inconclusiveRows} rows inconclusive (out of distribution).`,
        '',
      );
      out.push(
        '| detector | operating point | detected | culprit | median lag | FA minutes | FA min/h | by chance |',
      );
      out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
      const det = d.detectors;
      for (const x of [
        det.model,
        det.modelLayerOnly,
        det.entry3Sigma,
        det.sloDistance,
        det.entry3SigmaAtModelBudget,
        det.sloDistanceAtModelBudget,
      ]) {
        out.push(detectorRow(x));
      }
      out.push('');
      const types = Object.keys(d.faultTypes).sort();
      out.push('| fault type | model | 3σ entry | SLO rule | model median lag |');
      out.push('| --- | --- | --- | --- | --- |');
      for (const t of types) {
        const c = (x: DetectorResult): string => {
          const [a, b] = x.score.byType[t] ?? [0, 0];
          return `${a}/${b}`;
        };
        const lags = d.detectors.model.score.perFault
          .filter((p) => p.type === t && p.lagSeconds !== null)
          .map((p) => p.lagSeconds as number);
        lags.sort((a, b) => a - b);
        const med = lags.length ? lags[Math.floor(lags.length / 2)]! : null;
        out.push(
          `| ${t} | ${c(det.model)} | ${c(det.entry3Sigma)} | ${c(det.sloDistance)} | ${lag(med)} |`,
        );
      }
      out.push('');
      const v = d.verdict;
      out.push(
        `Verdict: vs 3σ entry ${v.beatsEntry3Sigma ? 'ahead' : '**not ahead**'} at its operating point, ${v.beatsEntry3SigmaAtBudget ? 'ahead' : '**not ahead**'} at the same budget; vs SLO-distance ${v.beatsSloDistance ? 'ahead' : '**not ahead**'} at its operating point, ${v.beatsSloDistanceAtBudget ? 'ahead' : '**not ahead**'} at the same budget.`,
        '',
      );
      if (d.falseAlarmEpisodes.length > 0) {
        out.push(
          `The model's alert episodes in the fault-free hours (${d.detectors.model.score.falseAlarmMinutes} minutes): ${d.falseAlarmEpisodes
            .map(
              (e) =>
                `${e.deployment} ${hhmm(e.start)}–${hhmm(e.end)} (${e.layer}; ${episodeSignals(e)})`,
            )
            .join('; ')}.`,
          '',
        );
      }
      if (d.notes.length > 0) out.push(...d.notes.map((n) => `- data: ${n}`), '');
    }
  } else out.push('## Real cluster data', '', 'Not evaluated (no Nezha folder given).', '');

  const sy = r.synthetic;
  const v = r.syntheticVerdict;
  const rule = `${sy.rule.enterCycles} consecutive cycles at or above the threshold to enter, ${sy.rule.exitCycles} below to leave`;
  out.push('## Synthetic held-out runs', '');
  out.push(
    `Seed ${sy.data.seed}, parameter ranges \`${sy.data.variant}\` (not used in training), ${sy.data.runs} runs (grouped: no run has rows in training), one row every ${sy.data.stepSeconds} s (one healer cycle). Rows: forecastable rows (label: the run's SLO breached now or within 5 min; ${sy.unforecastableRows} positives before their fault's onset excluded). Events: a faulty run is detected by an alert at or after its fault's onset; lead = first breach − first alert; false alarms: alert minutes per hour of the healthy runs. Every detector alerts through the healer's entry rule (${rule}; the model at risk ≥ ${sy.rule.high}, an inconclusive row breaking its streaks; the SLO-distance rule at ≥ 1; own 3σ at ≥ 3σ): the same persistence and hold for all, as the healer would apply to any of them. No objective is declared here, so the SLO layer's burn-rate and latency alerts never fire: the model's alerts come from the network, the own-normal layer and the SLO layer's error ceiling (≥ 5 % of the requests failing over both 30 and 5 minutes, whatever is declared).`,
    '',
  );
  out.push(
    '| detector | ROC-AUC | PR-AUC | Brier | ECE | detected runs | before breach | median lead (min) | FA min/h (healthy runs) | detected at the model’s FA budget |',
  );
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const d of Object.keys(sy.rows) as DetectorName[]) {
    const rw = sy.rows[d];
    const ev = sy.events[d];
    const budget = ev.atModelBudget;
    out.push(
      `| ${DETECTOR_LABEL[d]} | ${f3(rw.rocAuc)} | ${f3(rw.prAuc)} | ${f3(rw.brier)} | ${f3(rw.ece)} | ${ev.detected}/${ev.breachingRuns} | ${ev.early} | ${f2(ev.medianLeadMinutes)} | ${f2(ev.falseAlarmMinutesPerHour)} | ${budget === undefined ? '–' : `${budget.detected}/${ev.breachingRuns} (threshold ${budget.threshold.toPrecision(3)})`} |`,
    );
  }
  out.push('');
  out.push(
    'The rules alerting on any single row instead (no persistence, no hold; the convention of the real-data tables above), the model unchanged:',
    '',
    '| detector | detected runs | before breach | median lead (min) | FA min/h (healthy runs) | detected at the model’s FA budget |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const d of (Object.keys(sy.eventsAnyRow) as DetectorName[]).filter((x) => x !== 'model')) {
    const ev = sy.eventsAnyRow[d];
    const budget = ev.atModelBudget;
    out.push(
      `| ${DETECTOR_LABEL[d]} on any row | ${ev.detected}/${ev.breachingRuns} | ${ev.early} | ${f2(ev.medianLeadMinutes)} | ${f2(ev.falseAlarmMinutesPerHour)} | ${budget === undefined ? '–' : `${budget.detected}/${ev.breachingRuns} (threshold ${budget.threshold.toPrecision(3)})`} |`,
    );
  }
  out.push('');
  const yes = (b: boolean, what: string): string => (b ? what : `**not ${what}**`);
  out.push(
    `Verdict: ROC-AUC ${yes(v.rocAuc, 'ahead of both rules')}. All through the entry rule: events ${yes(v.events, 'ahead of both rules')} (more runs detected, no more false-alarm minutes), at the same false-alarm budget ${yes(v.eventsAtBudget, 'ahead of both')}. Rules on any row: ${yes(v.eventsAnyRow, 'ahead of both')} at their own operating points, ${yes(v.eventsAnyRowAtBudget, 'ahead of both')} at the same budget.`,
    '',
  );
  const anyBy = new Map(sy.scenariosAnyRow.map((x) => [x.scenario, x.detected]));
  out.push(
    '| scenario | runs | breaching | model detected | SLO rule | own 3σ | SLO rule / own 3σ on any row | model median lead (min) | model alert min/h |',
  );
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of sy.scenarios) {
    const any = anyBy.get(s.scenario);
    out.push(
      `| ${s.scenario} | ${s.runs} | ${s.breachingRuns} | ${s.detected.model} | ${s.detected.slo_distance} | ${s.detected.own_3sigma} | ${any ? `${any.slo_distance} / ${any.own_3sigma}` : '–'} | ${f2(s.medianLeadMinutes.model)} | ${f2(s.alertMinutesPerHour.model)} |`,
    );
  }
  out.push(
    '',
    `Lead time is zero or negative where a fault breaks the SLO in the sample it starts (error bursts, node losses, crash loops): nothing precedes them in the features, and the entry rule costs ${sy.rule.enterCycles - 1} cycles after a score first crosses. An error or latency objective is judged only over at least 20 requests in the trailing 5 minutes (the SLO layer's minimum): a failure among a handful of calls to an idle service is no breach.`,
    '',
  );
  if (r.tuning !== undefined) out.push(...tuningSection(r.tuning));
  return out.join('\n');
}

/** The real-data verdict over every day, and where the literal bar is out of reach. */
/** The episode's top features, the first with what the data showed (when known). */
export function episodeSignals(e: Pick<FalseAlarmEpisode, 'topFeatures' | 'evidence'>): string {
  const [top, ...rest] = e.topFeatures;
  if (top === undefined) return '–';
  const first = e.evidence?.feature === top ? describeEvidence(e.evidence) : top;
  return [first, ...rest].join(', ');
}

export function realDataVerdict(s: NonNullable<EvaluationReport['realData']>['summary']): string {
  const ceiling = s.baselineDetectsAll ?? [];
  return (
    `The model beats both baselines at their own operating points (more faults detected, no more false-alarm minutes per hour) on ${s.beatsBothLiteral} of ${s.days} days${s.beatsEntry3Sigma === undefined ? '' : ` (the 3σ detector on ${s.beatsEntry3Sigma}, the SLO-distance rule on ${s.beatsSloDistance})`}, and detects more faults than both at the same false-alarm budget on ${s.beatsBothAtBudget} of ${s.days} days.` +
    (ceiling.length
      ? ` On ${ceiling.join(', ')} a baseline detects every fault at its own operating point: no detector can detect more there, so the literal bar cannot be met on that day whatever the model does.`
      : '')
  );
}

function isTuning(t: unknown): t is TuningRecord {
  const o = t as Partial<TuningRecord> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.chosen === 'string' &&
    typeof o.scores === 'object' &&
    Array.isArray(o.heldOut)
  );
}

/** The tuning record (tuning.json beside the artifact) as tables; the raw record is in report.json. */
export function tuningSection(t: unknown): string[] {
  if (!isTuning(t)) return ['## Tuning', '', '```json', JSON.stringify(t, null, 2), '```', ''];
  const out = ['## Tuning', '', `Method: ${t.method}. Chosen: \`${t.chosen}\`.`, ''];
  const beaten = (h: TuningRecord['heldOut'][number]): string =>
    h.baselinesBeaten === undefined ? '' : `; beats ${h.baselinesBeaten} of 2 baselines`;
  const days = t.heldOut.map((h) => h.day);
  out.push(`| variant | settings | ${days.join(' | ')} |`);
  out.push(`| --- | --- | ${days.map(() => '---').join(' | ')} |`);
  for (const [name, scores] of Object.entries(t.scores)) {
    const cells = days.map((d) => {
      const s = scores.find((x) => x.day === d);
      return s === undefined
        ? '–'
        : `${s.detected}/${s.faults}, ${f2(s.falseAlarmMinutesPerHour)} FA min/h`;
    });
    out.push(`| ${name} | \`${JSON.stringify(t.variants[name])}\` | ${cells.join(' | ')} |`);
  }
  out.push(
    '',
    '| held-out day | picked on the other days | result on the held-out day |',
    '| --- | --- | --- |',
  );
  for (const h of t.heldOut)
    out.push(
      `| ${h.day} | ${h.picked} | ${h.detected}/${h.faults}, ${f2(h.falseAlarmMinutesPerHour)} FA min/h${beaten(h)} |`,
    );
  out.push('');
  if (t.byUtility !== undefined) {
    out.push(
      `Chosen by the utility alone instead (the previous runs' objective): \`${t.byUtility.chosen}\`; held out:`,
      '',
      '| held-out day | picked on the other days | result on the held-out day |',
      '| --- | --- | --- |',
    );
    for (const h of t.byUtility.heldOut)
      out.push(
        `| ${h.day} | ${h.picked} | ${h.detected}/${h.faults}, ${f2(h.falseAlarmMinutesPerHour)} FA min/h${beaten(h)} |`,
      );
    out.push('');
  }
  return out;
}
