/**
 * The test helper that starts the real `prometheus`: with `dropTargetLabels` the scraped series
 * carry only their own labels, as a recording rule's output does (the healer bench relies on it
 * to parse answers of production size).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPrometheus, type RunningPrometheus } from '../src/testing.js';

jest.setTimeout(60_000);

let exporter: Server;
let target: string;
beforeAll(async () => {
  exporter = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end('namespace_deployment:aiops_cpu_usage_pct{namespace="shop",deployment="web"} 0.5\n');
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
  target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => exporter.close(r));
});

async function labelsOnceScraped(prom: RunningPrometheus): Promise<Record<string, string>> {
  const q = encodeURIComponent('namespace_deployment:aiops_cpu_usage_pct');
  for (const end = Date.now() + 30_000; Date.now() < end;) {
    const body = (await (await fetch(`${prom.url}/api/v1/query?query=${q}`)).json()) as {
      data: { result: { metric: Record<string, string> }[] };
    };
    const [first] = body.data.result;
    if (first) return first.metric;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('never scraped');
}

describe('startPrometheus', () => {
  it.each([
    [false, ['__name__', 'deployment', 'instance', 'job', 'namespace']],
    [true, ['__name__', 'deployment', 'namespace']],
  ])('dropTargetLabels %s → the series carries %j', async (dropTargetLabels, labels) => {
    const prom = await startPrometheus({
      targets: [target],
      scrapeInterval: '1s',
      dropTargetLabels,
    });
    try {
      expect(Object.keys(await labelsOnceScraped(prom)).sort()).toEqual(labels);
    } finally {
      await prom.stop();
    }
  });
});
