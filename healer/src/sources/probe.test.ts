import { describe, expect, it } from '@jest/globals';
import { POD_DEPLOYMENT_RECORD } from '@aiops/model/queries';
import { RULE_GROUP_EVALUATION_RECORD } from '@aiops/model/recording';
import { joinOf, probeQuery } from './probe.js';

describe('joinOf', () => {
  it.each<[string, string[], 'recorded' | 'inline', RegExp]>([
    [
      'no recorded series at all: inline',
      [],
      'inline',
      /has no .* load deploy\/prometheus\/recording.yml/,
    ],
    [
      'the features recorded but not the join: inline',
      ['namespace_deployment:aiops_cpu_usage_pct:rate2m', RULE_GROUP_EVALUATION_RECORD],
      'inline',
      /~10× more per cycle/,
    ],
    ['the join recorded: recorded', [POD_DEPLOYMENT_RECORD], 'recorded', /^Prometheus records /],
  ])('%s', (_n, records, join, why) => {
    const picked = joinOf(new Set(records));
    expect(picked.join).toBe(join);
    expect(picked.why).toMatch(why);
    expect(picked.why).toContain(POD_DEPLOYMENT_RECORD);
  });
});

describe('probeQuery', () => {
  it('asks for the recorded series in the namespaces and for every rule group’s', () => {
    const q = probeQuery('prod|dev');
    expect(q).toContain('namespace=~"prod|dev"');
    expect(q).toContain(POD_DEPLOYMENT_RECORD);
    expect(q).toContain(`or count by (__name__, rule_group) (${RULE_GROUP_EVALUATION_RECORD})`);
  });
});
