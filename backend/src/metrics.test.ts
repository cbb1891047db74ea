import { describe, expect, it } from '@jest/globals';
import type { Prediction } from '@aiops/model';
import { createMetrics, levelsOf } from './metrics.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const pred = (level: Prediction['level']): Prediction => ({
  risk: 0.5,
  level,
  threshold: 0.5,
  explanation: [],
  imputed: [],
  model: { version: 'v' },
  layer: 'model',
  layers: {
    model: { risk: 0.5, reference_risk: 0.1, abstained: null },
    slo: { fired: false, rule: null, reason: '' },
    own_normal: { fired: false, signal: null, reason: '' },
  },
});

describe('createMetrics', () => {
  it('exports cumulative request buckets with inclusive upper bounds, sum and count', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (const s of [0.0005, 0.0007, 0.001, 0.003, 9]) m.observeRequest('/predict', 'POST', 200, s);
    m.observeRequest('unmatched', 'GET', 404, 0.0001);
    const text = await m.registry.metrics();
    const l = 'route="/predict",method="POST",status="200"';
    for (const [le, n] of [
      ['0.0005', 1],
      ['0.001', 3],
      ['0.0025', 3],
      ['0.005', 4],
      ['2.5', 4],
      ['+Inf', 5],
    ] as const) {
      expect(sample(text, `http_request_duration_seconds_bucket{le="${le}",${l}}`)).toBe(n);
    }
    expect(sample(text, `http_request_duration_seconds_count{${l}}`)).toBe(5);
    expect(sample(text, `http_request_duration_seconds_sum{${l}}`)).toBeCloseTo(9.0052, 10);
    expect(sample(text, `http_requests_total{${l}}`)).toBe(5);
    expect(sample(text, 'http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(
      1,
    );
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
  });

  it('counts predictions per level, every level present from the start', async () => {
    const m = createMetrics({ defaultMetrics: false });
    expect(sample(await m.registry.metrics(), 'predictions_total{level="critical"}')).toBe(0);
    m.observeInference(0.00002, levelsOf([pred('low'), pred('critical'), pred('critical')]));
    m.observeInference(0.2, levelsOf([pred('high')]));
    const text = await m.registry.metrics();
    expect(sample(text, 'predictions_total{level="low"}')).toBe(1);
    expect(sample(text, 'predictions_total{level="elevated"}')).toBe(0);
    expect(sample(text, 'predictions_total{level="high"}')).toBe(1);
    expect(sample(text, 'predictions_total{level="critical"}')).toBe(2);
    expect(sample(text, 'model_inference_duration_seconds_bucket{le="0.00005"}')).toBe(1);
    expect(sample(text, 'model_inference_duration_seconds_bucket{le="0.1"}')).toBe(1);
    expect(sample(text, 'model_inference_duration_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(sample(text, 'model_inference_duration_seconds_count')).toBe(2);
  });

  it('exports model_info for the loaded model only', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.setModelInfo('a', 'cpu');
    m.setModelInfo('b', 'cpu');
    const text = await m.registry.metrics();
    expect(sample(text, 'model_info{version="b",engine="cpu"}')).toBe(1);
    expect(text).not.toContain('version="a"');
  });

  it('includes the default process metrics unless asked not to', async () => {
    expect(await createMetrics().registry.metrics()).toContain('process_cpu_seconds_total');
  });
});
