import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_FEATURE_QUERIES, FEATURE_NAMES, renderQuery } from '@aiops/model';
import { startPrometheus, type RunningPrometheus } from '@aiops/simulator/testing';

// Every default feature query must be valid PromQL for the real Prometheus (2.42 from apt), so a
// typo in a template fails here rather than as an "inconclusive" at 3 a.m.
describe('default feature queries against a real Prometheus', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it.each(FEATURE_NAMES.map((f) => [f]))('%s parses and evaluates', async (feature) => {
    const query = renderQuery(DEFAULT_FEATURE_QUERIES[feature], {
      namespace: 'dev|prod',
      deployment: '.+',
      window: '2m',
    });
    const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { status: string; error?: string };
    expect({ feature, status: body.status, error: body.error }).toEqual({
      feature,
      status: 'success',
      error: undefined,
    });
  });
});
