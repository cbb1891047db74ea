/**
 * Trains the risk model and writes model/artifacts/<version>/ (model.json, weights.bin,
 * metadata.json) and model/artifacts/CURRENT.
 *
 *   npm run train -w model                      # synthetic scenarios (the committed artifact)
 *   npm run train -w model -- --data my.csv     # your own history (npm run export; features + label)
 *   npm run train -w model -- --candidate       # write the version folder, keep serving CURRENT
 *   npm run train -w model -- --out /tmp/m      # another artifacts root
 *   npm run train -w model -- --check           # retrain into a temp dir, compare with the committed artifact
 */
import { TRAIN_USAGE, main } from '../src/cli/trainCli.js';

import { commandLine } from '../src/cli/args.js';
import { resolvePaths } from '../src/cli/paths.js';

const raw = commandLine(
  {
    data: { type: 'string' },
    out: { type: 'string' },
    check: { type: 'boolean', default: false },
    epochs: { type: 'string' },
    candidate: { type: 'boolean', default: false },
  },
  TRAIN_USAGE,
);
const values = resolvePaths(raw, ['data', 'out']);
process.exitCode = await main(values);
