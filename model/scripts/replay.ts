/**
 * Replays a long-format CSV through the healer's scoring (trailing baselines from the replayed
 * history, SLO layer, model, entry rule): one output row per input row and the alert episodes.
 *
 *   npm run replay -w model -- --csv FILE [--out FILE] [--model DIR] [--high 0.8 --low 0.5 --enter-cycles 3 --exit-cycles 3] [--strict]
 */
import { REPLAY_USAGE, main } from '../src/cli/replayCli.js';

import { commandLine } from '../src/cli/args.js';
import { resolvePaths } from '../src/cli/paths.js';

const raw = commandLine(
  {
    csv: { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string' },
    high: { type: 'string' },
    low: { type: 'string' },
    'enter-cycles': { type: 'string' },
    'exit-cycles': { type: 'string' },
    'cycle-seconds': { type: 'string' },
    'slo-availability': { type: 'string' },
    'slo-p95': { type: 'string' },
    'no-slo': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
  },
  REPLAY_USAGE,
);
const values = resolvePaths(raw, ['csv', 'out', 'model']);
process.exitCode = await main({
  csv: values.csv,
  out: values.out,
  model: values.model,
  high: values.high,
  low: values.low,
  enterCycles: values['enter-cycles'],
  exitCycles: values['exit-cycles'],
  cycleSeconds: values['cycle-seconds'],
  sloAvailability: values['slo-availability'],
  sloP95: values['slo-p95'],
  noSlo: values['no-slo'],
  strict: values.strict,
});
