/** What a silence or the kill switch holding a rung reports: an Event once per hold, no message. */
import type { Decision } from '../policy/types.js';
import type { ReportView } from '../report/messages.js';
import type { ReportInput } from '../report/reporter.js';
import { EVENT_REASONS } from '../report/types.js';

export function silencedReport(
  v: ReportView,
  d: Extract<Decision, { kind: 'act' }>,
  verdict: { message: string; repeated: boolean },
): ReportInput {
  const message = `${d.reason}; held: ${verdict.message}`;
  return {
    subject: v.subject,
    level: verdict.repeated ? 'debug' : 'info',
    message,
    dryRun: v.dryRun,
    ...(verdict.repeated
      ? {}
      : { event: { type: 'Normal', reason: EVENT_REASONS.silenced, action: d.action } }),
  };
}
