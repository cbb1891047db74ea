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
  it('summarises report.json: version, overall metrics, healthy-busy false positives', async () => {
    const dir = dirWith(
      JSON.stringify({
        model: { version: 'v1' },
        overall: { rocAuc: 0.98, brier: 0.03 },
        healthyBusyFalsePositiveRate: 0.001,
        examples: { big: 'ignored' },
      }),
    );
    expect(await readHeldoutSummary(dir)).toEqual({
      version: 'v1',
      overall: { rocAuc: 0.98, brier: 0.03 },
      healthyBusyFalsePositiveRate: 0.001,
    });
  });

  it('is undefined without a report', async () => {
    expect(await readHeldoutSummary(dirWith())).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', 'not valid JSON'],
    ['no overall section', '{"model":{}}', 'no "overall" section'],
    ['an array', '[]', 'no "overall" section'],
  ])('rejects a report that is %s', async (_name, text, message) => {
    const read = readHeldoutSummary(dirWith(text));
    await expect(read).rejects.toBeInstanceOf(EvaluationReportError);
    await expect(readHeldoutSummary(dirs[dirs.length - 1]!)).rejects.toThrow(message);
  });
});
