import { describe, expect, it } from '@jest/globals';
import { evaluateSynthetic, persistent, syntheticVerdictOf } from './synthetic.js';
import { DEFAULT_ENTRY_RULE } from '../alerting/entryRule.js';
import type { RiskOnly } from '../scoring/scorer.js';

const rule = DEFAULT_ENTRY_RULE; // 3 cycles to enter, 3 below to leave
const T = true;
const F = false;

describe('persistent: a rule through the entry rule', () => {
  it.each([
    ['empty', [], []],
    ['a one-row blip never alerts', [F, T, F, F], [F, F, F, F]],
    ['two rows are not enough', [T, T, F, T, T, F], [F, F, F, F, F, F]],
    [
      'three rows enter on the third and hold three below',
      [T, T, T, F, F, F, F],
      [F, F, T, T, T, F, F],
    ],
    [
      'a hit inside the hold resets the exit streak',
      [T, T, T, F, T, F, F, F],
      [F, F, T, T, T, T, T, F],
    ],
  ])('%s', (_name, hits, want) => {
    expect(persistent(hits, rule)).toEqual(want);
  });
});

const constant = (risk: number, inconclusive?: string) => (): RiskOnly => ({
  risk,
  modelRisk: risk,
  layer: 'model',
  inconclusive,
});

describe('evaluateSynthetic', () => {
  const opts = { seed: 7, runsPerScenario: 1 };

  it('a model at risk 1 on every row detects every breaching run and alerts all the time', () => {
    const r = evaluateSynthetic({ risk: constant(1) }, opts);
    expect(r.events.model.breachingRuns).toBeGreaterThan(0);
    expect(r.events.model.detected).toBe(r.events.model.breachingRuns);
    // Every healthy row but the first two (the entry streak) alerts.
    expect(r.events.model.falseAlarmMinutesPerHour).toBeGreaterThan(55);
    // At that budget the rules may alert as much as they like: at least as many detections.
    expect(r.events.slo_distance.atModelBudget!.detected).toBeGreaterThanOrEqual(
      r.events.slo_distance.detected,
    );
  });

  it('an inconclusive row never enters, whatever its risk (the healer holds it)', () => {
    const r = evaluateSynthetic({ risk: constant(1, 'outside the training range') }, opts);
    expect(r.events.model.detected).toBe(0);
    expect(r.events.model.falseAlarmMinutesPerHour).toBe(0);
    expect(r.rows.model.rocAuc).toBeCloseTo(0.5, 6); // constant scores rank nothing
  });

  it("at the model's false-alarm budget the rules raise no more alert minutes than it", () => {
    const quiet = evaluateSynthetic({ risk: constant(0) }, opts);
    expect(quiet.events.model.falseAlarmMinutesPerHour).toBe(0);
    for (const ev of [quiet.events, quiet.eventsAnyRow]) {
      for (const d of ['slo_distance', 'own_3sigma'] as const) {
        const atBudget = ev[d].atModelBudget!;
        expect(atBudget.falseAlarmMinutesPerHour).toBe(0);
        expect(atBudget.detected).toBeLessThanOrEqual(ev[d].detected);
      }
    }
    const v = syntheticVerdictOf(quiet);
    expect(v.events).toBe(false);
    expect(v.eventsAnyRow).toBe(false);
    expect(quiet.scenariosAnyRow.map((s) => s.scenario)).toEqual(
      quiet.scenarios.map((s) => s.scenario),
    );
  });
});
