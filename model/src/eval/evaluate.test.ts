import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Predictor } from '../predictor.js';
import { SCENARIOS } from '../data/scenarios.js';
import { BAR, evaluate, formatReport, PRECURSOR_SCENARIOS } from './evaluate.js';

let predictor: Predictor;
beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
});
afterAll(() => predictor.dispose());

describe('held-out evaluation', () => {
  it('reports every scenario, the bar and a markdown summary', () => {
    const report = evaluate(predictor, { seed: 77, runsPerScenario: 1 });
    expect(report.scenarios.map((s) => s.scenario)).toEqual([...SCENARIOS]);
    expect(report.data.variant).toBe('heldout');
    expect(report.overall.rows + report.data.unforecastableRows).toBe(report.allRows.rows);
    const c = report.overall.confusion;
    expect(c.tp + c.fp + c.tn + c.fn).toBe(report.overall.rows);
    expect(report.bar).toHaveLength(6 + PRECURSOR_SCENARIOS.length);
    expect(report.pass).toBe(report.bar.every((b) => b.pass));
    expect(report.examples.originalHealthyRisk).toBeLessThan(BAR.maxOriginalHealthyRisk);
    const md = formatReport(report);
    expect(md).toContain(`# Risk model evaluation — ${predictor.version}`);
    expect(md).toContain('| healthy_busy † |');
    expect(md).toMatch(/\| ROC-AUC \| 0\.\d{3} \|/);
  });
});
