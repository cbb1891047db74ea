/**
 * Leave-one-day-out tuning of the generator choices on the real days (slow: trains one model per
 * variant; the variants are fixed here, before looking at the results, and `default` is the
 * generator as it was before tuning). Prints the per-day scores, the held-out results and the variant to ship; with
 * --write DIR, writes tuning.json there (the committed one sits beside the artifact and is quoted
 * in its report).
 *
 *   npm run tune -w model [-- --nezha DIR] [--write model/artifacts/<version>]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeArtifact } from '../src/artifact.js';
import { buildArtifact, DEFAULT_SYNTHETIC } from '../src/train/pipeline.js';
import { Predictor } from '../src/predictor.js';
import { discoverDays } from '../src/nezha/convert.js';
import { evaluateDay } from '../src/eval/realData.js';
import { leaveOneDayOut, FA_WEIGHT, type DayScore } from '../src/eval/tuning.js';
import type { GeneratorOptions } from '../src/data/simulate.js';
import { DEFAULT_NEZHA_DIR } from '../src/cli/evalCli.js';
import { commandLine } from '../src/cli/args.js';
import { resolvePaths } from '../src/cli/paths.js';

const USAGE = 'usage: npm run tune -w model [-- --nezha DIR] [--write model/artifacts/<version>]';

const raw = commandLine({ nezha: { type: 'string' }, write: { type: 'string' } }, USAGE);
const values = resolvePaths(raw, ['nezha', 'write']);

/** The variants tried, fixed before looking at the results. */
const BASE: GeneratorOptions = { latencySloFactor: [2.5, 5], latencyBlipMax: 0.03 };
export const VARIANTS: Record<string, GeneratorOptions> = {
  default: BASE,
  'latency-objective-strict': { ...BASE, latencySloFactor: [4, 8] },
  'latency-objective-loose': { ...BASE, latencySloFactor: [1.8, 3.5] },
  'more-outliers': { ...BASE, latencyBlipMax: 0.08 },
};

const days = await discoverDays(values.nezha ?? process.env.NEZHA_DIR ?? DEFAULT_NEZHA_DIR);
const scores: Record<string, DayScore[]> = {};
const tmp = await mkdtemp(path.join(os.tmpdir(), 'aiops-tune-'));
try {
  for (const [name, generator] of Object.entries(VARIANTS)) {
    const t0 = performance.now();
    const built = await buildArtifact({
      data: { kind: 'synthetic', spec: { ...DEFAULT_SYNTHETIC, generator } },
    });
    built.trained.model.dispose();
    const dir = path.join(tmp, name);
    await writeArtifact(dir, built);
    const p = await Predictor.load({ dir, engine: 'cpu' });
    scores[name] = [];
    for (const day of days) {
      const r = await evaluateDay(p, day);
      const s = r.detectors.model.score;
      scores[name].push({
        day: r.day,
        detected: s.detected,
        faults: s.faults,
        falseAlarmMinutesPerHour: s.falseAlarmMinutesPerHour,
      });
    }
    p.dispose();
    console.log(
      `${name}: ${scores[name].map((s) => `${s.day} ${s.detected}/${s.faults} (${s.falseAlarmMinutesPerHour.toFixed(2)} FA/h)`).join(' · ')} [${((performance.now() - t0) / 1000).toFixed(0)} s]`,
    );
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
const lodo = leaveOneDayOut(scores);
for (const h of lodo.heldOut) {
  console.log(
    `held out ${h.day}: picked ${h.picked} on the other days → ${h.detected}/${h.faults}, ${h.falseAlarmMinutesPerHour.toFixed(2)} FA min/h (utility ${h.utility.toFixed(3)})`,
  );
}
console.log(
  `chosen on every day: ${lodo.chosen}; mean utility ${JSON.stringify(lodo.meanUtility)}`,
);
const tuning = {
  method:
    'leave-one-day-out over generator variants; utility = detected share − ' +
    FA_WEIGHT +
    ' × false-alarm minutes per hour',
  variants: VARIANTS,
  scores,
  ...lodo,
};
if (values.write) {
  await writeFile(path.join(values.write, 'tuning.json'), JSON.stringify(tuning, null, 2) + '\n');
  console.log(`wrote ${path.join(values.write, 'tuning.json')}`);
}
