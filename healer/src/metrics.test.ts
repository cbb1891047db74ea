import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { HealerMetrics } from './metrics.js';

const labels = async (m: HealerMetrics) =>
  (await m.risk.get()).values.map((v) => `${v.labels.namespace}/${v.labels.deployment}=${v.value}`);

describe('aiops_deployment_risk', () => {
  it.each<[string, [string, number | null][], [string, number | null][], string[]]>([
    ['kept while scored', [['shop/web', 0.4]], [['shop/web', 0.5]], ['shop/web=0.5']],
    [
      'dropped when it turns inconclusive (no frozen last value)',
      [['shop/web', 0.9]],
      [['shop/web', null]],
      [],
    ],
    [
      'dropped when no longer watched',
      [
        ['shop/web', 0.9],
        ['shop/api', 0.1],
      ],
      [['shop/api', 0.2]],
      ['shop/api=0.2'],
    ],
    ['never scored: never exported', [], [['shop/web', null]], []],
  ])('%s', async (_n, first, second, want) => {
    const m = new HealerMetrics(new Registry());
    m.setRisks(new Map(first));
    m.setRisks(new Map(second));
    expect(await labels(m)).toEqual(want);
  });
});
