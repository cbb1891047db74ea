/**
 * The failure matrix (issue 7) against the simulator, through client-node, with faults injected at
 * the network boundary. Each row asserts: no unsafe action, no duplicate action, no lost
 * notification. Time is the simulator's virtual clock; nothing sleeps.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import request from 'supertest';
import { RESTARTED_AT } from '../../src/actions/restart.js';
import { NS, startWorld, TOKEN, type Replica, type World } from './world.js';

const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };
const ACTION_REASONS = ['AutoHealRestart', 'AutoHealCacheClear', 'AutoHealRollback'];

let w: World | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

async function actions(name = 'web'): Promise<string[]> {
  return (await w!.reasons(name)).filter((r) => ACTION_REASONS.includes(r));
}

/** Cycles one replica until `pred` holds; fails naming what happened if it never does. */
async function cyclesUntil(r: Replica, pred: () => Promise<boolean>, max = 10): Promise<void> {
  for (let i = 0; i < max; i++) {
    w!.advance();
    await r.cycle();
    if (await pred()) return;
  }
  throw new Error(
    `not reached after ${max} cycles; Events: ${(await w!.reasons('web')).join(', ')}`,
  );
}

describe('failure matrix', () => {
  it('baseline: a crash loop gets exactly one restart, one Event and one Slack message', async () => {
    w = await startWorld([WEB]);
    const r = await w.addReplica({ identity: 'healer-0' });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await cyclesUntil(r, async () => (await actions()).length > 0);
    expect(await actions()).toEqual(['AutoHealRestart']);
    expect(w.slack.messages()).toHaveLength(1);
  });

  describe('Prometheus down or slow', () => {
    it.each([
      ['down (connection refused)', 'down'],
      ['slow (no answer within the timeout)', 'slow'],
    ] as const)(
      '%s: no actions, the healer stays up, one warning, readiness says so',
      async (_t, how) => {
        w = await startWorld([WEB]);
        const prom = await fakePrometheus(how);
        const r = await w.addReplica({ identity: 'healer-0', prometheusUrl: prom.url });
        w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
        for (let i = 0; i < 6; i++) {
          w.advance();
          const report = await r.cycle();
          expect(report?.errors.join('; ')).toMatch(/Prometheus/);
          expect(report?.rows.every((row) => row.inconclusive && row.risk === null)).toBe(true);
        }
        expect(await actions()).toEqual([]);
        const dep = await w.deployment('web');
        expect(dep.spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
        expect(dep.spec?.replicas).toBe(2);
        const texts = w.slack.messages().map((m) => String(m.text));
        expect(texts).toHaveLength(1);
        expect(texts[0]).toMatch(/Prometheus/);
        const ready = await r.readiness.refresh();
        expect(ready).toMatchObject({
          ready: false,
          role: 'leader',
          checks: { prometheus: { ok: false }, backend: { ok: true } },
        });
        await request(r.app).get('/readyz').expect(503);
        const status = await request(r.app).get('/api/deployments').expect(200);
        expect(status.body[0]).toMatchObject({ name: 'web', state: 'inconclusive', risk: null });
        await prom.stop();
      },
    );
  });
});

/** A Prometheus that is down (closed port) or slow (accepts and never answers). */
async function fakePrometheus(
  how: 'down' | 'slow',
): Promise<{ url: string; stop(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const held = new Set<import('node:http').ServerResponse>();
  const server = createServer((_req, res) => {
    held.add(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const stop = async (): Promise<void> => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((r) => server.close(() => r()));
  };
  if (how === 'down') await stop();
  return { url: `http://127.0.0.1:${port}`, stop };
}
