/**
 * Evaluates the committed model on held-out synthetic scenarios and writes
 * model/artifacts/report.json and report.md.
 *
 *   npm run eval -w model [-- --dir model/artifacts --seed 1001 --runs 30]
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ARTIFACT_DIR, Predictor } from '../src/predictor.js';
import { evaluate, formatReport } from '../src/eval/evaluate.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    seed: { type: 'string', default: '1001' },
    runs: { type: 'string', default: '30' },
  },
});
const dir = path.resolve(values.dir ?? DEFAULT_ARTIFACT_DIR);
const seed = Number(values.seed);
const runsPerScenario = Number(values.runs);
if (!Number.isInteger(seed) || !Number.isInteger(runsPerScenario) || runsPerScenario < 1) {
  console.error('--seed and --runs must be integers (--runs ≥ 1)');
  process.exit(2);
}
const predictor = await Predictor.load({ dir, engine: 'cpu' });
const report = evaluate(predictor, { seed, runsPerScenario });
predictor.dispose();
await writeFile(path.join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
await writeFile(path.join(dir, 'report.md'), formatReport(report));
for (const b of report.bar)
  console.log(`${b.pass ? 'pass' : 'FAIL'}  ${b.criterion}: ${b.value.toFixed(4)}`);
console.log(
  `wrote ${path.join(dir, 'report.json')} and report.md — ${report.pass ? 'PASS' : 'FAIL'}`,
);
process.exitCode = report.pass ? 0 : 1;
