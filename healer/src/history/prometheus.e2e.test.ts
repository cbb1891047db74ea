import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrometheus, type RunningPrometheus } from '@aiops/simulator/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { PrometheusRiskHistory } from './prometheus.js';

/**
 * Risk history survives a healer restart: a "healer" exports the gauge, a real Prometheus scrapes
 * it, the healer goes away, and a fresh reader (empty memory) gets the history back.
 */
describe('risk history from a real Prometheus', () => {
  let exporter: Server;
  let prom: RunningPrometheus;
  let gauge: Gauge;

  beforeAll(async () => {
    const registry = new Registry();
    gauge = new Gauge({
      name: 'aiops_deployment_risk',
      help: 'risk',
      labelNames: ['namespace', 'deployment'],
      registers: [registry],
    });
    gauge.set({ namespace: 'shop', deployment: 'cart' }, 0.42);
    gauge.set({ namespace: 'shop', deployment: 'web' }, 0.1);
    exporter = createServer((_req, res) => {
      void registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    const port = (exporter.address() as AddressInfo).port;
    prom = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeInterval: '1s' });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await new Promise((r) => exporter?.close(r));
  });

  it('reads back the exported risk after the exporter is gone', async () => {
    const history = new PrometheusRiskHistory({ url: prom.url });
    const range = () => ({ start: new Date(Date.now() - 60_000), end: new Date(), stepSeconds: 1 });
    // Wait for a few scrapes (Prometheus' own clock; bounded).
    for (let i = 0; i < 100; i++) {
      if ((await history.history('shop', 'cart', range())).length >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    gauge.set({ namespace: 'shop', deployment: 'cart' }, 0.9);
    await new Promise<void>((r) => exporter.close(() => r())); // the healer "restarts"
    exporter.closeAllConnections();
    const after = new PrometheusRiskHistory({ url: prom.url });
    const points = await after.history('shop', 'cart', range());
    expect(points.length).toBeGreaterThanOrEqual(2);
    expect(points.every((p) => p.risk === 0.42 || p.risk === 0.9)).toBe(true);
    expect(points[0]!.risk).toBe(0.42);
    expect(await after.history('shop', 'nope', range())).toEqual([]);
  }, 60_000);
});
