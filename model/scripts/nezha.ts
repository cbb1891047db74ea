/**
 * Converts a Nezha day folder to a replay file (the documented mapping in src/nezha/convert.ts):
 *
 *   npm run nezha -w model -- --day ../shared/data/nezha/onlineboutique_2022-08-22 --out ob.csv [--faults ob-faults.json]
 *   npm run replay -w model -- --csv ob.csv --out ob-risk.csv
 */
import { parseArgs } from 'node:util';
import { main } from '../src/cli/nezhaCli.js';

import { resolvePaths } from '../src/cli/paths.js';

const { values: raw } = parseArgs({
  options: { day: { type: 'string' }, out: { type: 'string' }, faults: { type: 'string' } },
});
const values = resolvePaths(raw, ['day', 'out', 'faults']);
process.exitCode = await main(values);
