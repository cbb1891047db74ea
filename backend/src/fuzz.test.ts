/**
 * Property test: random and malformed bodies never produce a 5xx, and the app's verdict on any
 * parseable JSON body agrees with the OpenAPI request schema.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import fc from 'fast-check';
import { FEATURES, ORIGINAL_HEALTHY_EXAMPLE } from '@aiops/model';
import { buildOpenApi } from './openapi.js';
import { makeApp } from '../test/harness.js';
import { openApiValidator } from '../test/openapiValidator.js';

const BATCH_LIMIT = 50;
const BODY_LIMIT = 64 * 1024;
const RUNS = 10_000;

let server: Server;
let base: string;
beforeAll(async () => {
  const { app } = makeApp({ batchLimit: BATCH_LIMIT, bodyLimit: BODY_LIMIT });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Values a client might put in a feature: numbers at and past the bounds, and wrong types. */
const featureValue = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -2, max: 2, noNaN: true }),
  fc.integer({ min: -5, max: 20 }),
  fc.constantFrom(0, 1, -0, 1e308, -1e308, 10_000, 10_001, 1e13, 1e14),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '0.5', '', '1e999', 'abc'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);
const featureNames = FEATURES.map((f) => f.name);
const key = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...featureNames) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'instances', 'toString') },
);
/** Feature objects: mostly the healthy body with some fields changed, dropped or added. */
const row = fc.oneof(
  fc
    .tuple(
      fc.dictionary(key, featureValue, { maxKeys: 4 }),
      fc.subarray(featureNames, { maxLength: 2 }),
    )
    .map(([changes, drop]) => {
      const r: Record<string, unknown> = { ...ORIGINAL_HEALTHY_EXAMPLE };
      for (const d of drop) delete r[d];
      // defineProperty, so a "__proto__" key becomes an own property as JSON.parse would make it
      for (const [k, v] of Object.entries(changes)) {
        Object.defineProperty(r, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return r;
    }),
  fc.dictionary(key, featureValue, { maxKeys: 14 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const jsonBody = fc.oneof(
  row,
  fc.record({ instances: fc.array(row, { maxLength: BATCH_LIMIT + 3 }) }),
  fc.record({ instances: fc.jsonValue({ maxDepth: 2 }), other: fc.option(fc.integer()) }),
  fc.jsonValue({ maxDepth: 3 }),
);
/** Raw texts: valid JSON, JSON with damage, and noise. */
const rawBody = fc.oneof(
  {
    weight: 6,
    arbitrary: jsonBody.map((b) => ({ text: JSON.stringify(b) ?? 'null', json: true })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(jsonBody, fc.nat(), fc.string({ maxLength: 3 })).map(([b, at, junk]) => {
      const t = JSON.stringify(b) ?? 'null';
      const i = at % (t.length + 1);
      return { text: t.slice(0, i) + junk + t.slice(i + 1), json: false };
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ text, json: false })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{"cpu_usage_pct": NaN}',
        '{"cpu_usage_pct": Infinity}',
        '{"memory_usage_bytes": 1e999}',
        '[]',
        '',
        '"x"',
        '\u0000',
        '{"a":'.repeat(200),
        '['.repeat(5000),
      )
      .map((text) => ({ text, json: false })),
  },
);
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/vnd.api+json',
      'garbage',
    ),
  },
);

describe('fuzz: POST /predict', () => {
  it(`answers ${RUNS} random and malformed bodies without a 5xx, agreeing with the OpenAPI schema`, async () => {
    const schemaOk = openApiValidator(buildOpenApi(FEATURES, BATCH_LIMIT)).requestBody(
      '/predict',
      'post',
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(rawBody, contentType, async ({ text }, type) => {
        const res = await fetch(`${base}/predict`, {
          method: 'POST',
          headers: { 'content-type': type },
          body: text,
        });
        const answer = (await res.json()) as { error?: unknown; details?: unknown[] };
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);
        expect([200, 400, 413, 415]).toContain(res.status);
        if (res.status !== 200) expect(typeof answer.error).toBe('string');
        let parsed: unknown;
        let parses = false;
        try {
          parsed = JSON.parse(text);
          parses = true;
        } catch {
          // not JSON: must be a 4xx, checked above
        }
        if (type.startsWith('application/json') && !type.includes('latin1') && parses) {
          expect(res.status === 200).toBe(schemaOk(parsed));
        }
      }),
      { numRuns: RUNS },
    );
    const alive = await fetch(`${base}/healthz`);
    expect(alive.status).toBe(200);
    // The generators reach every answer class.
    for (const s of [200, 400, 415]) expect(statuses.get(s) ?? 0).toBeGreaterThan(50);
  }, 180_000); // 10,000 HTTP round trips: seconds on an idle machine, more on a busy one
});
