/**
 * Converts a Nezha day folder to a replay file (the documented mapping in src/nezha/convert.ts):
 *
 *   npm run nezha -w model -- --day ../shared/data/nezha/onlineboutique_2022-08-22 --out ob.csv [--faults ob-faults.json]
 *   npm run replay -w model -- --csv ob.csv --out ob-risk.csv
 */
import { NEZHA_USAGE, main } from '../src/cli/nezhaCli.js';

import { commandLine } from '../src/cli/args.js';
import { resolvePaths } from '../src/cli/paths.js';

const raw = commandLine(
  { day: { type: 'string' }, out: { type: 'string' }, faults: { type: 'string' } },
  NEZHA_USAGE,
);
const values = resolvePaths(raw, ['day', 'out', 'faults']);
process.exitCode = await main(values);
