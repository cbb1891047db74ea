import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EvaluationReportError, readHeldoutSummary } from './evaluation.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dirWith(report?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'backend-eval-'));
  dirs.push(dir);
  if (report !== undefined) writeFileSync(path.join(dir, 'report.json'), report);
  return dir;
}

describe('readHeldoutSummary', () => {
  it('summarises report.json: version, synthetic scores beside the rules, each real day beside its baselines', async () => {
    const score = (detected: number) => ({
      score: { detected, faults: 24, falseAlarmMinutesPerHour: 0.5, perFault: ['ignored'] },
    });
    const dir = dirWith(
      JSON.stringify({
        format: 'aiops-risk-report/2',
        model: { version: 'v1' },
        synthetic: {
          rows: {
            model: { rocAuc: 0.95, brier: 0.05 },
            slo_distance: { rocAuc: 0.9 },
            own_3sigma: { rocAuc: 0.8 },
          },
          events: {
            model: { detected: 90, breachingRuns: 97 },
            slo_distance: { detected: 80 },
            own_3sigma: { detected: 70 },
          },
        },
        realData: {
          days: [
            {
              day: 'd1',
              detectors: { model: score(19), entry3Sigma: score(12), sloDistance: score(22) },
              notes: ['ignored'],
            },
          ],
        },
      }),
    );
    expect(await readHeldoutSummary(dir)).toEqual({
      version: 'v1',
      synthetic: {
        model: { rocAuc: 0.95, brier: 0.05, detected: 90, breachingRuns: 97 },
        sloDistance: { rocAuc: 0.9, detected: 80 },
        own3Sigma: { rocAuc: 0.8, detected: 70 },
      },
      realData: [
        {
          day: 'd1',
          model: { detected: 19, faults: 24, falseAlarmMinutesPerHour: 0.5 },
          entry3Sigma: { detected: 12, faults: 24, falseAlarmMinutesPerHour: 0.5 },
          sloDistance: { detected: 22, faults: 24, falseAlarmMinutesPerHour: 0.5 },
        },
      ],
    });
  });

  it('is undefined without a report', async () => {
    expect(await readHeldoutSummary(dirWith())).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', 'not valid JSON'],
    ['of another format', '{"model":{}}', 'not an aiops-risk-report/2 report'],
    ['an array', '[]', 'not an aiops-risk-report/2 report'],
    ['without synthetic scores', '{"format":"aiops-risk-report/2"}', 'no synthetic model scores'],
  ])('rejects a report that is %s', async (_name, text, message) => {
    const read = readHeldoutSummary(dirWith(text));
    await expect(read).rejects.toBeInstanceOf(EvaluationReportError);
    await expect(readHeldoutSummary(dirs[dirs.length - 1]!)).rejects.toThrow(message);
  });
});
