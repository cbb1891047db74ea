import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CRASH_LOOP_EXAMPLE, ORIGINAL_HEALTHY_EXAMPLE, columnarRequestOf } from '@aiops/model';
import { makeApp } from '../test/harness.js';
import { openApiValidator } from '../test/openapiValidator.js';

const healthy = ORIGINAL_HEALTHY_EXAMPLE;

describe('GET /openapi.json against real responses', () => {
  const loaded = makeApp({ bodyLimit: 200_000 });
  const loading = makeApp({ scorer: null });
  const draining = makeApp();
  draining.model.drain();

  type Case = [string, () => request.Test, string, string];
  const cases: Case[] = [
    ['single 200', () => request(loaded.app).post('/predict').send(healthy), '/predict', 'post'],
    [
      'batch 200',
      () =>
        request(loaded.app)
          .post('/predict')
          .send({ instances: [healthy, CRASH_LOOP_EXAMPLE] }),
      '/predict',
      'post',
    ],
    [
      'streamed batch 200',
      () =>
        request(loaded.app)
          .post('/predict')
          .send({ instances: Array(600).fill(healthy) }),
      '/predict',
      'post',
    ],
    [
      '400 with details',
      () =>
        request(loaded.app)
          .post('/predict')
          .send({ ...healthy, cpu_usage_pct: '1', x: 1 }),
      '/predict',
      'post',
    ],
    [
      '400 malformed',
      () => request(loaded.app).post('/predict').set('content-type', 'application/json').send('{'),
      '/predict',
      'post',
    ],
    [
      '413',
      () =>
        request(loaded.app)
          .post('/predict')
          .send({ instances: Array(1_500).fill(healthy) }),
      '/predict',
      'post',
    ],
    [
      '415',
      () => request(loaded.app).post('/predict').set('content-type', 'text/csv').send('a,b'),
      '/predict',
      'post',
    ],
    ['503', () => request(loading.app).post('/predict').send(healthy), '/predict', 'post'],
    ['405', () => request(loaded.app).put('/predict').send(healthy), '/predict', 'post'],
    ['model 200', () => request(loaded.app).get('/model'), '/model', 'get'],
    ['model 503', () => request(loading.app).get('/model'), '/model', 'get'],
    ['healthz 200', () => request(loaded.app).get('/healthz'), '/healthz', 'get'],
    ['readyz 200', () => request(loaded.app).get('/readyz'), '/readyz', 'get'],
    ['readyz 503 loading', () => request(loading.app).get('/readyz'), '/readyz', 'get'],
    ['readyz 503 draining', () => request(draining.app).get('/readyz'), '/readyz', 'get'],
    ['openapi 200', () => request(loaded.app).get('/openapi.json'), '/openapi.json', 'get'],
  ];

  it.each(cases)('%s matches the documented schema', async (name, send, path, method) => {
    const doc = (await request(loaded.app).get('/openapi.json').expect(200)).body;
    const res = await send();
    expect(res.status).toBe(Number(/\b(\d{3})\b/.exec(name)![1]));
    const validate = openApiValidator(doc).response(path, method, res.status);
    const ok = validate(res.body);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('documents /metrics as text and every route the app serves', async () => {
    const doc = (await request(loaded.app).get('/openapi.json').expect(200)).body;
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/healthz', '/metrics', '/model', '/openapi.json', '/predict', '/readyz'].sort(),
    );
    const res = await request(loaded.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(doc.paths['/metrics'].get.responses['200'].content['text/plain']).toBeDefined();
  });

  it('its request schema accepts the examples the validator accepts', async () => {
    const doc = (await request(loaded.app).get('/openapi.json').expect(200)).body;
    const body = openApiValidator(doc).requestBody('/predict', 'post');
    expect(body(healthy)).toBe(true);
    expect(body({ instances: [healthy, CRASH_LOOP_EXAMPLE] })).toBe(true);
    expect(body({ ...healthy, cpu_usage_pct: '1' })).toBe(false);
    expect(body({ ...healthy, unknown: 1 })).toBe(false);
    expect(body({ instances: [] })).toBe(false);
    // The columnar form, with the context the healer sends; and what it must not hold.
    const columnar = columnarRequestOf([
      healthy,
      {
        ...CRASH_LOOP_EXAMPLE,
        replicas: 4,
        baseline: { cpu_usage_pct: { p10: 1, p50: 2, p90: 3, slope: -0.5 } },
        slo: { availability: 0.999, windows: { '5m': { error_ratio: 0.5, requests: 100 } } },
      },
    ]);
    expect(body(columnar)).toBe(true);
    expect((await request(loaded.app).post('/predict').send(columnar)).status).toBe(200);
    const broken = [
      { ...columnar, namespace: ['a', 'b'] },
      { columns: { ...columnar.columns, cpu_usage_pct: [1, '2'] } },
      { columns: { ...columnar.columns, restart_count_last_5m: [0, null] } },
      { columns: { ...columnar.columns, cpu_usage: [1, 1] } },
      { ...columnar, slo: [null, 'x'] },
    ];
    for (const b of broken) {
      expect(body(b)).toBe(false);
      expect((await request(loaded.app).post('/predict').send(b)).status).toBe(400);
    }
    // and the response schemas have teeth
    expect(openApiValidator(doc).response('/predict', 'post', 200)({ risk: 2 })).toBe(false);
  });
});
