/**
 * Exports a labelled training file from a real Prometheus (see EXPORT_USAGE in
 * src/cli/exportCli.ts and model/README.md, "Retraining on your own history").
 */
import { EXPORT_USAGE, main } from '../src/cli/exportCli.js';

import { commandLine } from '../src/cli/args.js';
import { resolvePaths } from '../src/cli/paths.js';

const raw = commandLine(
  {
    prometheus: { type: 'string' },
    namespace: { type: 'string' },
    deployment: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    step: { type: 'string' },
    window: { type: 'string' },
    out: { type: 'string' },
    alerts: { type: 'string' },
    terminations: { type: 'string' },
    events: { type: 'string' },
    incidents: { type: 'string' },
    'slo-p95': { type: 'string' },
    chunk: { type: 'string' },
  },
  EXPORT_USAGE,
);
const values = resolvePaths(raw, ['out', 'events', 'incidents']);
process.exitCode = await main({ ...values, sloP95: values['slo-p95'] });
