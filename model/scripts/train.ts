/**
 * Trains the risk model and writes model/artifacts (model.json, weights.bin, metadata.json).
 *
 *   npm run train -w model                      # synthetic scenarios (the committed artifact)
 *   npm run train -w model -- --data my.csv     # your own history (features + label)
 *   npm run train -w model -- --out /tmp/m      # somewhere else
 *   npm run train -w model -- --check           # retrain into a temp dir, compare with the committed artifact
 */
import { parseArgs } from 'node:util';
import { main } from '../src/cli/trainCli.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    check: { type: 'boolean', default: false },
    epochs: { type: 'string' },
  },
});
process.exitCode = await main(values);
