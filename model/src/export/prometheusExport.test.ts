import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FEATURES, FEATURE_NAMES, type FeatureName } from '../schema.js';
import { DEFAULT_FEATURE_QUERIES, renderQuery } from '../queries.js';
import { CsvError, parseTrainingCsv } from '../data/csv.js';
import { main } from '../cli/exportCli.js';
import { parseIncidents, parseTime } from './prometheusExport.js';

const SCOPE = { namespace: 'prod', deployment: '.+', window: '2m' };
const BY_QUERY = new Map(
  FEATURE_NAMES.map((f) => [renderQuery(DEFAULT_FEATURE_QUERIES[f], SCOPE), f]),
);
const FROM = 1_700_000_000;
const TO = FROM + 20 * 60; // 20 minutes at 30 s: 41 samples per deployment
const INCIDENT_START = FROM + 12 * 60;

/** A fake Prometheus answering /api/v1/query_range for the default templates. */
function fakePrometheus(
  failFeature?: FeatureName,
): Promise<{ server: Server; url: string; queries: string[] }> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const params = new URLSearchParams(body);
      const query = params.get('query') ?? '';
      queries.push(query);
      const feature = BY_QUERY.get(query);
      res.setHeader('content-type', 'application/json');
      if (url.pathname !== '/api/v1/query_range' || !feature) {
        res.statusCode = 400;
        res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'unknown query' }));
        return;
      }
      if (feature === failFeature) {
        res.statusCode = 422;
        res.end(
          JSON.stringify({ status: 'error', errorType: 'execution', error: 'query timed out' }),
        );
        return;
      }
      const start = Number(params.get('start'));
      const end = Number(params.get('end'));
      const step = Number(params.get('step'));
      const spec = FEATURES.find((f) => f.name === feature)!;
      const series = ['api', 'web'].flatMap((deployment) => {
        // web has no memory growth series at all: an optional feature, imputed later.
        if (deployment === 'web' && feature === 'memory_growth_ratio_per_min') return [];
        const values: [number, string][] = [];
        for (let t = start; t <= end; t += step) {
          let v: number | string = spec.default;
          if (deployment === 'api' && feature === 'http_5xx_error_rate' && t >= INCIDENT_START)
            v = 0.3;
          if (deployment === 'web' && feature === 'cpu_usage_pct' && t === FROM) v = 'NaN';
          values.push([t, String(v)]);
        }
        return [{ metric: { namespace: 'prod', deployment }, values }];
      });
      res.end(
        JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: series } }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}`, queries });
    }),
  );
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'model-export-'));
  await writeFile(
    path.join(dir, 'incidents.csv'),
    `deployment,start,end\nprod/api,${new Date(INCIDENT_START * 1000).toISOString()},${TO}\n`,
  );
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('export from Prometheus', () => {
  it('range-queries every feature template and writes a labelled training CSV', async () => {
    const prom = await fakePrometheus();
    const lines: string[] = [];
    try {
      const code = await main(
        {
          prometheus: prom.url,
          namespace: 'prod',
          from: String(FROM),
          to: String(TO),
          step: '30s',
          incidents: path.join(dir, 'incidents.csv'),
          out: path.join(dir, 'out.csv'),
        },
        (l) => lines.push(l),
      );
      expect(lines.join('\n')).toMatch(/81 rows/);
      expect(code).toBe(0);
    } finally {
      prom.server.close();
    }
    expect(new Set(prom.queries)).toEqual(new Set(BY_QUERY.keys()));
    const text = await readFile(path.join(dir, 'out.csv'), 'utf8');
    const d = parseTrainingCsv(text);
    // 41 samples for api, 40 for web (its first one lacks cpu and is dropped).
    expect(d.rows).toBe(81);
    // api is labelled from 5 minutes before the incident (the horizon) to its end: minutes 7..20.
    expect(Array.from(d.y).reduce((a, b) => a + b, 0)).toBe(27);
    expect(text.split('\n')[0]).toMatch(/^timestamp,namespace,deployment,restart_count_last_5m,/);
    expect(lines.join('\n')).toMatch(/dropped 1 without a required feature/);
  });

  it('names the feature and the Prometheus error when a query fails', async () => {
    const prom = await fakePrometheus('http_p95_latency_seconds');
    const lines: string[] = [];
    try {
      const code = await main(
        {
          prometheus: prom.url,
          namespace: 'prod',
          from: String(FROM),
          to: String(TO),
          incidents: path.join(dir, 'incidents.csv'),
          out: path.join(dir, 'fail.csv'),
        },
        (l) => lines.push(l),
      );
      expect(code).toBe(1);
    } finally {
      prom.server.close();
    }
    expect(lines.join('\n')).toMatch(
      /http_p95_latency_seconds: Prometheus answered HTTP 422: execution: query timed out/,
    );
  });

  it('rejects bad arguments, naming each', async () => {
    const lines: string[] = [];
    const code = await main(
      { prometheus: 'not a url', namespace: 'prod', from: 'yesterday', to: '5', step: '30x' },
      (l) => lines.push(l),
    );
    expect(code).toBe(2);
    const text = lines.join('\n');
    expect(text).toMatch(/--prometheus "not a url" is not a URL/);
    expect(text).toMatch(/--from "yesterday" is not an ISO 8601 time/);
    expect(text).toMatch(/--step "30x" is not a duration/);
    expect(text).toMatch(/--incidents is required/);
  });
});

describe('incidents file', () => {
  it('accepts ISO and unix times, namespace/name or a namespace column', () => {
    expect(
      parseIncidents('deployment,start,end\nprod/api,1700000000,2023-11-14T22:20:00Z\n'),
    ).toEqual([
      {
        namespace: 'prod',
        deployment: 'api',
        start: 1_700_000_000,
        end: parseTime('2023-11-14T22:20:00Z'),
      },
    ]);
    expect(parseIncidents('namespace,deployment,start,end\ndev,web,1,2')).toEqual([
      { namespace: 'dev', deployment: 'web', start: 1, end: 2 },
    ]);
  });

  it.each([
    ['deployment,start\napi,1', 1, 'end', /missing/],
    ['deployment,start,end\napi,soon,5', 2, 'start', /"soon" is not an ISO 8601 time/],
    ['deployment,start,end\napi,1,2\napi,9,5', 3, 'end', /before start/],
    ['deployment,start,end\n,1,2', 2, 'deployment', /empty/],
    ['deployment,start,end\napi,1', 2, undefined, /2 fields/],
  ])('%p → line %p, field %p', (text, line, field, message) => {
    let err: unknown;
    try {
      parseIncidents(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsvError);
    expect((err as CsvError).line).toBe(line);
    expect((err as CsvError).field).toBe(field);
    expect((err as CsvError).message).toMatch(message);
  });
});
