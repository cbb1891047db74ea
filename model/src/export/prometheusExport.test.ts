import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inZone } from '../../test/inZone.js';
import { FEATURES, FEATURE_NAMES, type FeatureName } from '../schema.js';
import { DEFAULT_FEATURE_QUERIES, renderQuery } from '../queries.js';
import { parseReplayCsv } from '../replay/csv.js';
import { main } from '../cli/exportCli.js';
import {
  DEFAULT_LABEL_SOURCES,
  LabelSourceError,
  exportHistory,
  labelQueries,
  parseHealerEvents,
  parseIncidents,
  parseTime,
} from './prometheusExport.js';

const SCOPE = { namespace: 'prod', deployment: '.+', window: '2m' };
const BY_QUERY = new Map<string, string>(
  FEATURE_NAMES.map((f) => [renderQuery(DEFAULT_FEATURE_QUERIES[f], SCOPE), f]),
);
const LABELS = labelQueries(DEFAULT_LABEL_SOURCES, SCOPE);
for (const [k, q] of Object.entries(LABELS)) BY_QUERY.set(q, `label:${k}`);
const FROM = 1_700_000_000;
const TO = FROM + 60 * 60; // an hour at 30 s: 121 samples per deployment
const ALERT_AT = FROM + 20 * 60; // api's alert fires for 2 minutes
const OOM_AT = FROM + 40 * 60; // web is OOM-killed
const BURST_AT = FROM + 50 * 60; // api: 30 % errors for 2 minutes

/** A fake Prometheus answering /api/v1/query_range for the default templates and label queries. */
function fakePrometheus(
  failFeature?: FeatureName,
): Promise<{ server: Server; url: string; queries: string[] }> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const query = params.get('query') ?? '';
      queries.push(query);
      const what = BY_QUERY.get(query);
      res.setHeader('content-type', 'application/json');
      if (!what) {
        res.statusCode = 400;
        res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'unknown query' }));
        return;
      }
      if (what === failFeature) {
        res.statusCode = 422;
        res.end(
          JSON.stringify({ status: 'error', errorType: 'execution', error: 'query timed out' }),
        );
        return;
      }
      const start = Number(params.get('start'));
      const end = Number(params.get('end'));
      const step = Number(params.get('step'));
      const series = ['api', 'web'].flatMap((deployment) => {
        const values: [number, string][] = [];
        for (let t = start; t <= end; t += step) {
          let v: number | string;
          if (what === 'label:alerts')
            v = deployment === 'api' && t >= ALERT_AT && t < ALERT_AT + 120 ? 1 : 0;
          else if (what === 'label:terminations')
            v = deployment === 'web' && t >= OOM_AT && t < OOM_AT + 60 ? 1 : 0;
          else {
            const spec = FEATURES.find((f) => f.name === what)!;
            v = spec.default;
            if (
              deployment === 'api' &&
              what === 'http_5xx_error_rate' &&
              t >= BURST_AT &&
              t < BURST_AT + 120
            )
              v = 0.3;
            if (deployment === 'web' && what === 'cpu_usage_pct' && t === FROM) v = 'NaN';
            if (deployment === 'web' && what === 'memory_limit_ratio' && t === FROM + 30) v = 7; // out of range
          }
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
    path.join(dir, 'events.json'),
    JSON.stringify({
      items: [
        {
          reason: 'AutoHealRestart',
          involvedObject: { kind: 'Deployment', namespace: 'prod', name: 'web' },
          lastTimestamp: new Date((FROM + 10 * 60) * 1000).toISOString(),
        },
        {
          reason: 'ScalingReplicaSet',
          involvedObject: { kind: 'Deployment', namespace: 'prod', name: 'web' },
          lastTimestamp: new Date(FROM * 1000).toISOString(),
        },
        {
          reason: 'AutoHealRecovered',
          involvedObject: { kind: 'Deployment', namespace: 'prod', name: 'api' },
          lastTimestamp: new Date(FROM * 1000).toISOString(),
        },
      ],
    }),
  );
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('export from Prometheus', () => {
  it('streams a labelled file chunk by chunk: alerts, terminations, the healer’s Events and SLO breaches', async () => {
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
          chunk: '20m',
          events: path.join(dir, 'events.json'),
          out: path.join(dir, 'out.csv'),
        },
        (l) => lines.push(l),
      );
      expect(code).toBe(0);
    } finally {
      prom.server.close();
    }
    // Chunks of 20 min (3, and one for the last sample): a range query per feature and label source each.
    expect(prom.queries).toHaveLength(4 * (FEATURE_NAMES.length + 2));
    const table = parseReplayCsv(await readFile(path.join(dir, 'out.csv'), 'utf8'), {
      label: true,
    });
    expect(table.rows).toBe(2 * 121); // web's first row lacks cpu but keeps its other required features
    const labelled = (dep: string): number[] => {
      const out: number[] = [];
      for (let r = 0; r < table.rows; r++) {
        if (table.series[table.seriesOf[r]!]!.deployment === dep && table.labels![r])
          out.push((table.t[r]! - FROM) / 60);
      }
      return out;
    };
    // Each incident labels the 5 minutes before it (the horizon) and itself.
    expect(labelled('api')).toEqual([
      ...Array.from({ length: 14 }, (_, i) => 15 + i / 2), // alert at 20–22 min
      ...Array.from({ length: 14 }, (_, i) => 45 + i / 2), // 30 % errors at 50–52 min
    ]);
    expect(labelled('web')).toEqual([
      ...Array.from({ length: 15 }, (_, i) => 3 + i / 2), // healer restart at 10 min: incident from 8
      ...Array.from({ length: 12 }, (_, i) => 35 + i / 2), // OOM kill at 40–41 min
    ]);
    const text = lines.join('\n');
    expect(text).toMatch(
      /242 rows \(55 labelled 1: .*alerts 14.*\) from 2 deployments in 4 chunks \(64 range queries\); 1 cells out of range left empty/,
    );
    expect(text).toMatch(/healer Event AutoHealRestart 15/);
  });

  it('needs no label source file: the cluster history is enough', async () => {
    const prom = await fakePrometheus();
    const pieces: string[] = [];
    try {
      const r = await exportHistory({
        prometheusUrl: prom.url,
        namespace: 'prod',
        deployment: '.+',
        from: FROM,
        to: TO,
        stepSeconds: 30,
        window: '2m',
        labels: { ...DEFAULT_LABEL_SOURCES, alerts: null },
        chunkSeconds: 600,
        write: (t) => void pieces.push(t),
      });
      expect(r.rows).toBe(242);
      expect(r.bySource.alerts).toBeUndefined();
      expect(r.bySource.slo).toBe(14);
      expect(pieces.length).toBeGreaterThan(6); // written as it goes, never as one string
    } finally {
      prom.server.close();
    }
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
    expect(text).toMatch(/--out is required/);
  });

  it('names a bad Events file', async () => {
    await writeFile(path.join(dir, 'bad-events.json'), '{"kind":"List"}');
    const lines: string[] = [];
    const code = await main(
      {
        prometheus: 'http://127.0.0.1:9',
        namespace: 'prod',
        from: '1',
        to: '2',
        events: path.join(dir, 'bad-events.json'),
        out: path.join(dir, 'x.csv'),
      },
      (l) => lines.push(l),
    );
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/bad-events\.json: the Events file has no "items" list/);
  });
});

describe('label sources from files', () => {
  it('reads the healer’s action Events about deployments, two minutes before each', () => {
    const events = parseHealerEvents(
      JSON.stringify({
        items: [
          {
            reason: 'AutoHealRollback',
            involvedObject: { kind: 'Deployment', namespace: 'dev', name: 'api' },
            eventTime: '2024-05-01T00:10:00Z',
          },
        ],
      }),
    );
    const t = Date.parse('2024-05-01T00:10:00Z') / 1000;
    expect(events).toEqual([
      {
        namespace: 'dev',
        deployment: 'api',
        start: t - 120,
        end: t,
        source: 'healer Event AutoHealRollback',
      },
    ]);
    expect(() => parseHealerEvents('[')).toThrow(LabelSourceError);
    expect(() =>
      parseHealerEvents(
        JSON.stringify({
          items: [{ reason: 'AutoHealRestart', involvedObject: { kind: 'Deployment', name: 'x' } }],
        }),
      ),
    ).toThrow(/items\[0\] \(AutoHealRestart x\): no eventTime/);
  });

  it('accepts a hand-written incidents file: ISO and unix times, namespace/name or a namespace column', () => {
    expect(
      parseIncidents('deployment,start,end\nprod/api,1700000000,2023-11-14T22:20:00Z\n'),
    ).toEqual([
      {
        namespace: 'prod',
        deployment: 'api',
        start: 1_700_000_000,
        end: parseTime('2023-11-14T22:20:00Z'),
        source: 'incidents file',
      },
    ]);
  });

  it('reads an incident time without a zone as UTC, whatever the zone of the machine exporting', async () => {
    const source = fileURLToPath(new URL('./prometheusExport.ts', import.meta.url));
    const printed = await inZone(
      'America/New_York',
      source,
      `const [i] = mod.parseIncidents('deployment,start,end\\napi,2023-11-14 22:00,2023-11-14 22:20:00\\n');
       console.log(JSON.stringify([Date.parse('2023-11-14 22:20:00') / 1000, i.start, i.end, mod.parseTime('1700000400000')]));`,
    );
    const [dateParse, start, end, epochMs] = printed as number[];
    expect(dateParse).toBe(1_700_000_400 + 5 * 3600); // the machine's zone: what Date.parse alone gives
    expect([start, end]).toEqual([1_700_000_400 - 1200, 1_700_000_400]);
    expect(epochMs).toBe(1_700_000_400); // epoch ms, as the replay file reads it
  });

  it.each([
    ['deployment,start\napi,1', /line 1, field end: required column is missing/],
    ['deployment,start,end\napi,soon,5', /line 2, field start: "soon" is not an ISO 8601 time/],
    ['deployment,start,end\napi,1,2\napi,9,5', /line 3, field end: is before start/],
    ['deployment,start,end\n,1,2', /line 2, field deployment: is empty/],
    ['deployment,start,end\napi,1', /line 2: has 2 fields/],
  ])('incidents %p → %p', (text, message) => {
    expect(() => parseIncidents(text)).toThrow(message);
  });
});
