import { describe, expect, it } from '@jest/globals';
import type { Prediction } from '@aiops/model/schema';
import { Assessor, causeOf, featureValues } from './assess.js';
import type { FeatureResult, FeatureSource } from './types.js';

const layers = (over: Partial<NonNullable<Prediction['layers']>> = {}) => ({
  model: { risk: 0.2, reference_risk: 0.1, abstained: null },
  slo: { fired: false, rule: null, reason: 'within the objective' },
  own_normal: { fired: false, signal: null, reason: 'within its own normal' },
  ...over,
});
const prediction = (layer: Prediction['layer'], l = layers()): Prediction =>
  ({ risk: layer === 'model' ? 0.2 : 1, level: 'low', explanation: [], layer, layers: l }) as never;

describe('causeOf: which layer set the risk, for the messages', () => {
  it.each([
    ['the model: no cause (its signals explain it)', prediction('model'), {}],
    [
      'the SLO layer: its rule and values',
      prediction(
        'slo',
        layers({
          slo: {
            fired: true,
            rule: 'availability_fast_burn',
            reason: 'burn 16× over 1h and 5m',
          },
        }),
      ),
      { cause: 'slo: burn 16× over 1h and 5m' },
    ],
    [
      "the own-normal layer: the signal against the deployment's normal",
      prediction(
        'own_normal',
        layers({
          own_normal: {
            fired: true,
            signal: 'http_caller_p95_latency_seconds',
            reason: "callers' p95 0.210 s is 128 spreads above its own normal",
          },
        }),
      ),
      { cause: "own-normal: callers' p95 0.210 s is 128 spreads above its own normal" },
    ],
    [
      'an answer from before the layers: no cause',
      { ...prediction('model'), layer: undefined },
      {},
    ],
  ])('%s', (_t, p, want) => {
    expect(causeOf(p as Prediction)).toEqual(want);
  });
});

/** A source answering every target with the same result. */
const sourceOf = (result: FeatureResult): FeatureSource => ({
  fetch: async (ts) => new Map(ts.map((t) => [`${t.namespace}/${t.name}`, result])),
});

describe('Assessor: an abstaining model is no risk to act on', () => {
  it('a row the model abstains on (and no layer fired) is inconclusive with its reason; the others are scored', async () => {
    const targets = [
      { namespace: 'shop', name: 'web' },
      { namespace: 'shop', name: 'odd' },
    ];
    const assessor = new Assessor({
      now: () => 0,
      source: sourceOf({ kind: 'ok', features: { cpu_usage_pct: 50 } as never, omitted: [] }),
      predictor: {
        predict: async () => [
          prediction('model'),
          {
            ...prediction('model'),
            risk: 0.93,
            inconclusive: 'out of distribution: cpu_throttle_ratio 9.1 spreads outside training',
          },
        ],
      },
    });
    const batch = await assessor.assess(targets);
    expect(batch.assessments.get('shop/web')).toMatchObject({ kind: 'scored', risk: 0.2 });
    expect(batch.assessments.get('shop/odd')).toEqual({
      kind: 'inconclusive',
      reason:
        'the model abstains: out of distribution: cpu_throttle_ratio 9.1 spreads outside training',
      at: 0,
    });
    expect(batch.dependencies).toContainEqual({ name: 'predict', ok: true });
  });

  it('a scored assessment keeps the feature values sent, not their baseline and SLO', async () => {
    const input = { cpu_usage_pct: 50, baseline: { cpu_usage_pct: { p50: 40 } }, slo: {} };
    const sent: unknown[] = [];
    const assessor = new Assessor({
      now: () => 0,
      source: {
        fetch: async () =>
          new Map([['shop/web', { kind: 'ok', features: input as never, omitted: [] }]]),
      },
      predictor: {
        predict: async (rows) => {
          sent.push(...rows);
          return [prediction('model')];
        },
      },
    });
    const batch = await assessor.assess([{ namespace: 'shop', name: 'web' }]);
    expect(sent).toEqual([input]);
    expect(batch.assessments.get('shop/web')).toMatchObject({ features: { cpu_usage_pct: 50 } });
    const a = batch.assessments.get('shop/web');
    expect(a?.kind === 'scored' && Object.keys(a.features)).toEqual(['cpu_usage_pct']);
  });
});

describe('featureValues: what an assessment keeps of the model input', () => {
  it.each([
    ['nothing', {}, {}],
    [
      'the values, not the baseline or the SLO',
      {
        cpu_usage_pct: 50,
        replicas: 3,
        baseline: { cpu_usage_pct: { p10: 1, p50: 2, p90: 3 } },
        slo: { availability: 0.999 },
      },
      { cpu_usage_pct: 50, replicas: 3 },
    ],
    [
      'NaN stays (the status row shows what was sent)',
      { cpu_usage_pct: NaN },
      { cpu_usage_pct: NaN },
    ],
  ])('%s', (_t, input, want) => {
    expect(featureValues(input as never)).toEqual(want);
  });
});

describe('Assessor: a row warming up (part of its own normal not read yet) is held', () => {
  const WHY = 'own-normal context not read yet since the healer started: 45 of 75 pending';
  /** `null`: not warming. */
  const assess = (p: Prediction, warming: string | null) =>
    new Assessor({
      now: () => 0,
      source: sourceOf({
        kind: 'ok',
        features: { memory_limit_ratio: 0.85 } as never,
        omitted: [],
        ...(warming === null ? {} : { warming }),
      }),
      predictor: { predict: async () => [p] },
    })
      .assess([{ namespace: 'shop', name: 'jvm' }])
      .then((b) => b.assessments.get('shop/jvm'));
  const SLO_FIRED = layers({
    slo: { fired: true, rule: 'availability_fast_burn', reason: 'burn 16× over 1h and 5m' },
  });

  it.each<[string, Prediction, string | null, Record<string, unknown>]>([
    [
      'the model at risk without the baseline: held as warming, not scored',
      { ...prediction('model'), risk: 0.93 },
      WHY,
      { kind: 'inconclusive', warming: true, reason: `warming up: ${WHY}` },
    ],
    [
      'the model abstaining while warming: warming (the abstention may be the missing baseline)',
      { ...prediction('model'), inconclusive: 'out of distribution' },
      WHY,
      { kind: 'inconclusive', warming: true },
    ],
    [
      'the own-normal layer fired on a partial baseline: held as warming',
      prediction(
        'own_normal',
        layers({ own_normal: { fired: true, signal: 'cpu_usage_pct', reason: 'x' } }),
      ),
      WHY,
      { kind: 'inconclusive', warming: true },
    ],
    [
      'the SLO layer fired: scored, its verdict reads only the SLO windows (all read)',
      prediction('slo', SLO_FIRED),
      WHY,
      { kind: 'scored', risk: 1, cause: 'slo: burn 16× over 1h and 5m' },
    ],
    [
      'not warming: scored as before',
      { ...prediction('model'), risk: 0.93 },
      null,
      { kind: 'scored', risk: 0.93 },
    ],
  ])('%s', async (_t, p, warming, want) => {
    expect(await assess(p, warming)).toMatchObject(want);
  });
});
