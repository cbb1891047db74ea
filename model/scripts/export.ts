/**
 * Builds a training CSV from a real Prometheus, labelled from an incidents file.
 * See EXPORT_USAGE in src/cli/exportCli.ts and model/README.md.
 */
import { parseArgs } from 'node:util';
import { main } from '../src/cli/exportCli.js';

const { values } = parseArgs({
  options: {
    prometheus: { type: 'string' },
    namespace: { type: 'string' },
    deployment: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    step: { type: 'string' },
    window: { type: 'string' },
    incidents: { type: 'string' },
    out: { type: 'string' },
  },
});
process.exitCode = await main(values);
