/**
 * The status API on a running healer: the dashboard's view of a heal, read through HTTP while the
 * real loop acts against the simulator — the SSE stream carries the assessments and the action,
 * the detail route has the action, its Kubernetes Event and the Slack notification.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { NS, startWorld, type World } from './world.js';

const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };

let w: World | undefined;
let server: Server | undefined;
let stream: IncomingMessage | undefined;
afterEach(async () => {
  stream?.destroy();
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
  }
  await w?.stop();
  w = undefined;
  server = undefined;
  stream = undefined;
});

describe('status API on a running healer', () => {
  it('streams assessments and the action over SSE and shows the heal in the detail', async () => {
    w = await startWorld([WEB]);
    const r = await w.addReplica({ identity: 'healer-0' });
    server = await new Promise<Server>((resolve) => {
      const s = r.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stream = await new Promise<IncomingMessage>((resolve, reject) => {
      get(`${url}/api/events`, resolve).on('error', reject);
    });
    const events: string[] = [];
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const m of chunk.matchAll(/^event: (\w+)$/gm)) events.push(m[1]!);
    });

    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    for (let i = 0; i < 10 && !events.includes('action'); i++) {
      w.advance();
      await r.cycle();
      // Let the stream's bytes arrive (loopback) before checking.
      for (let k = 0; k < 20; k++) await new Promise((res) => setImmediate(res));
    }
    expect(events).toContain('assessment');
    expect(events).toContain('action');
    expect(events).toContain('notification');

    const list = await request(r.app).get('/api/deployments').expect(200);
    expect(list.body).toEqual([
      expect.objectContaining({ namespace: NS, name: 'web', state: 'healing', step: 1 }),
    ]);
    const detail = await request(r.app).get(`/api/deployments/${NS}/web`).expect(200);
    expect(detail.body.actions).toEqual([
      expect.objectContaining({ action: 'restart_scale', step: 1, outcome: 'pending' }),
    ]);
    expect(detail.body.events.map((e: { reason: string }) => e.reason)).toContain(
      'AutoHealRestart',
    );
    expect(detail.body.notifications).toEqual([expect.objectContaining({ delivered: true })]);
    expect(detail.body.history.length).toBeGreaterThanOrEqual(3);
    expect(detail.body.thresholds).toEqual({ high: 0.8, low: 0.5 });
  });
});
