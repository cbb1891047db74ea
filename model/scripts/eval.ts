/**
 * Evaluates the serving model on real cluster data (every Nezha day found) and on held-out
 * synthetic runs, beside the rule baselines; writes report.json and report.md into its folder.
 *
 *   npm run eval -w model [-- --nezha DIR] [--dir model/artifacts] [--seed 1001 --runs 10] [--synthetic-only]
 *
 * The Nezha folder defaults to ../shared/data/nezha from the repository root, or NEZHA_DIR.
 */
import { EVAL_USAGE, main } from '../src/cli/evalCli.js';

import { commandLine } from '../src/cli/args.js';
import { resolvePaths } from '../src/cli/paths.js';

const raw = commandLine(
  {
    dir: { type: 'string' },
    nezha: { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string' },
    'synthetic-only': { type: 'boolean', default: false },
  },
  EVAL_USAGE,
);
const values = resolvePaths(raw, ['dir', 'nezha']);
process.exitCode = await main({ ...values, syntheticOnly: values['synthetic-only'] }, process.env);
