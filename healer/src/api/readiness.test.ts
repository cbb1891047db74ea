import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpProbe, ReadinessTracker } from './readiness.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function server(status: number, hang = false): Promise<string> {
  const s = createServer((_req, res) => {
    if (!hang) res.writeHead(status).end('x');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('ReadinessTracker', () => {
  it('is not ready until probes ran, then ready when all pass', async () => {
    const prom = await server(200);
    const t = new ReadinessTracker({ probes: { prometheus: httpProbe(`${prom}/-/ready`) } });
    expect(t.readiness()).toEqual({
      ready: false,
      role: 'leader',
      checks: { prometheus: { ok: false, detail: 'not checked yet' } },
    });
    expect(await t.refresh()).toEqual({
      ready: true,
      role: 'leader',
      checks: { prometheus: { ok: true } },
    });
  });

  it.each([
    ['answers 503', 503, false, /answered HTTP 503/],
    ['is slow (no answer within the timeout)', 200, true, /no answer within 200 ms/],
  ])('reports a dependency that %s', async (_t, status, hang, detail) => {
    const url = await server(status, hang);
    const t = new ReadinessTracker({
      probes: { backend: httpProbe(`${url}/readyz`) },
      probeTimeoutMs: 200,
    });
    const r = await t.refresh();
    expect(r.ready).toBe(false);
    expect(r.checks.backend!.detail).toMatch(detail);
    for (const s of servers) s.closeAllConnections();
  });

  it('reports an unreachable dependency', async () => {
    const url = await server(200);
    await new Promise((r) => servers.pop()!.close(r));
    const r = await new ReadinessTracker({ probes: { prometheus: httpProbe(url) } }).refresh();
    expect(r.checks.prometheus).toEqual({
      ok: false,
      detail: expect.stringMatching(/unreachable$/),
    });
  });

  it('takes what the loop reports, latest word wins, and shows the role', () => {
    let leader = false;
    const t = new ReadinessTracker({ isLeader: () => leader });
    t.report('prometheus', false, 'feature queries failed: timeout');
    expect(t.readiness()).toEqual({
      ready: false,
      role: 'follower',
      checks: { prometheus: { ok: false, detail: 'feature queries failed: timeout' } },
    });
    leader = true;
    t.report('prometheus', true);
    expect(t.readiness()).toEqual({
      ready: true,
      role: 'leader',
      checks: { prometheus: { ok: true } },
    });
  });
});
