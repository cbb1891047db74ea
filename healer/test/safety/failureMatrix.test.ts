/**
 * The failure matrix (issue 7) against the simulator, through client-node, with faults injected at
 * the network boundary. Each row asserts: no unsafe action, no duplicate action, no lost
 * notification. Time is the simulator's virtual clock; nothing sleeps.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { RESTARTED_AT } from '../../src/actions/restart.js';
import { NS, startWorld, TOKEN, type World } from './world.js';

const DEPLOYMENT_PATCH = /^\/apis\/apps\/v1\/namespaces\/shop\/deployments\/web$/;
const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };

let w: World | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

describe('failure matrix', () => {
  it('baseline: a crash loop gets exactly one restart, one Event and one Slack message', async () => {
    w = await startWorld([WEB]);
    const r = await w.addReplica({ identity: 'healer-0' });
    await r.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0);
    expect(await w!.actions()).toEqual(['AutoHealRestart']);
    expect(w.slack.messages()).toHaveLength(1);
  });

  describe('Prometheus down or slow', () => {
    it.each<[string, 'down' | 'slow']>([
      ['down (connection refused)', 'down'],
      ['slow (no answer within the timeout)', 'slow'],
    ])('%s: no actions, the healer stays up, one warning, readiness says so', async (_t, how) => {
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
      expect(await w!.actions()).toEqual([]);
      const dep = await w.deployment('web');
      expect(dep.spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
      expect(dep.spec?.replicas).toBe(2);
      const texts = w.slack.messages().map((m) => String(m.text));
      expect(texts).toHaveLength(1);
      expect(texts[0]).toMatch(/Prometheus/);
      // The loop itself reported it (before any probe ran)...
      expect(r.readiness.readiness().checks.prometheus).toMatchObject({ ok: false });
      // ...and the active probe agrees.
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
    });
  });

  describe('/predict down, failing or slow', () => {
    it.each<[string, 'down' | 'error' | 'slow']>([
      ['down', 'down'],
      ['answering 500', 'error'],
      ['slow', 'slow'],
    ])('%s: no actions, one warning, readiness says so', async (_t, mode) => {
      w = await startWorld([WEB]);
      const r = await w.addReplica({ identity: 'healer-0' });
      await r.cycle();
      w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
      await w.backend.setMode(mode);
      for (let i = 0; i < 6; i++) {
        w.advance();
        const report = await r.cycle();
        expect(report?.rows.every((row) => row.inconclusive)).toBe(true);
      }
      expect(await w!.actions()).toEqual([]);
      expect(
        (await w.deployment('web')).spec?.template.metadata?.annotations?.[RESTARTED_AT],
      ).toBeUndefined();
      const texts = w.slack.messages().map((m) => String(m.text));
      expect(texts).toHaveLength(1);
      expect(texts[0]).toMatch(/predict/);
      expect(r.readiness.readiness().checks.predict).toMatchObject({ ok: false });
      expect(await r.readiness.refresh()).toMatchObject({
        ready: false,
        checks: { backend: { ok: false } },
      });
      // It comes back: assessments resume and the healer acts on the real signal.
      await w.backend.setMode('ok');
      await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0);
      expect(await w!.actions()).toEqual(['AutoHealRestart']);
      expect((await r.readiness.refresh()).ready).toBe(true);
    });
  });

  describe('what people asked for unreadable (kill switch, silences)', () => {
    const KILL_SWITCH = /^\/api\/v1\/namespaces\/[^/]+\/configmaps\/aiops-healer-control$/;
    const SILENCES = /^\/api\/v1\/namespaces\/[^/]+\/configmaps\/aiops-healer-silences$/;

    it('the silences ConfigMap answering 500 from the start: every action held, one page, acts once it can be read', async () => {
      w = await startWorld([WEB]);
      w.proxy.fail({ method: 'GET', path: SILENCES, mode: 500, count: Infinity });
      const r = await w.addReplica({ identity: 'healer-0' });
      w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
      const details: string[] = [];
      for (let i = 0; i < 6; i++) {
        w.advance();
        const row = (await r.cycle())?.rows.find((x) => x.name === 'web');
        if (row?.actionStatus === 'held') details.push(String(row.detail));
      }
      expect(details.length).toBeGreaterThan(0);
      for (const d of details)
        expect(d).toMatch(
          /silenced: silences \(ConfigMap .*\) are unreadable \(it has never been read/,
        );
      expect(await w.actions()).toEqual([]);
      expect(
        w.slack.messages().filter((m) => /silences unreadable/.test(String(m.text))),
      ).toHaveLength(1);
      w.proxy.clear();
      await w.cyclesUntil(r, async () => (await w!.actions()).length > 0);
      expect(await w.actions()).toEqual(['AutoHealRestart']);
    });

    it('403 from the first read (a missing RBAC rule): every action held, one page, acts once it can be read', async () => {
      w = await startWorld([WEB]);
      w.proxy.fail({ method: 'GET', path: KILL_SWITCH, mode: 403, count: Infinity });
      const r = await w.addReplica({ identity: 'healer-0' });
      w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
      let held = 0;
      for (let i = 0; i < 6; i++) {
        w.advance();
        const report = await r.cycle();
        const row = report?.rows.find((x) => x.name === 'web');
        if (row?.actionStatus === 'held') {
          held += 1;
          expect(row.detail).toMatch(
            /kill_switch: .*unreadable \(it has never been read successfully/,
          );
        }
      }
      expect(held).toBeGreaterThan(0);
      expect(await w.actions()).toEqual([]);
      expect(w.proxy.seen.some((q) => KILL_SWITCH.test(q.path) && q.status === 403)).toBe(true);
      const texts = w.slack.messages().map((m) => String(m.text));
      expect(texts.filter((t) => /kill switch unreadable/.test(t))).toHaveLength(1);
      // RBAC fixed: no ConfigMap means not paused, and the healer acts on the next due cycle.
      w.proxy.clear();
      await w.cyclesUntil(r, async () => (await w!.actions()).length > 0);
      expect(await w.actions()).toEqual(['AutoHealRestart']);
    });

    it('after a good read, a blip keeps the last value; a longer outage holds', async () => {
      w = await startWorld([WEB]);
      const r = await w.addReplica({ identity: 'healer-0' });
      w.advance();
      await r.cycle(); // read once: no ConfigMap, not paused
      w.proxy.fail({ method: 'GET', path: KILL_SWITCH, mode: 503, count: 2 });
      w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
      // Two failed reads are tolerated: the crash loop is acted on as usual.
      await w.cyclesUntil(r, async () => (await w!.actions()).length > 0);
      expect(await w.actions()).toEqual(['AutoHealRestart']);
      expect(w.proxy.seen.filter((q) => KILL_SWITCH.test(q.path) && q.injected)).toHaveLength(2);
      // Three in a row are not: the next cycles hold.
      w.proxy.fail({ method: 'GET', path: KILL_SWITCH, mode: 503, count: Infinity });
      for (let i = 0; i < 3; i++) {
        w.advance();
        await r.cycle();
      }
      expect(await r.metrics.registry.getSingleMetricAsString('aiops_healer_kill_switch')).toMatch(
        / 1$/m,
      );
      expect(
        w.slack.messages().filter((m) => /kill switch unreadable/.test(String(m.text))),
      ).toHaveLength(1);
    });
  });

  describe('Kubernetes API', () => {
    it('409 on the deployment write: re-reads and retries, acts exactly once', async () => {
      w = await startWorld([WEB]);
      const r = await w.addReplica({ identity: 'healer-0' });
      await r.cycle();
      w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
      w.proxy.fail({ method: 'PATCH', path: DEPLOYMENT_PATCH, mode: 409, count: 1 });
      await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0);
      const patches = w.proxy.seen.filter(
        (q) => q.method === 'PATCH' && DEPLOYMENT_PATCH.test(q.path),
      );
      expect(patches[0]).toMatchObject({ status: 409, injected: true });
      expect(patches[1]).toMatchObject({ status: 200, injected: false });
      expect(await w!.actions()).toEqual(['AutoHealRestart']);
      expect(await w.reasons('web')).not.toContain('AutoHealActionFailed');
      expect(
        (await w.deployment('web')).spec?.template.metadata?.annotations?.[RESTARTED_AT],
      ).toBeDefined();
      expect(await w.healState('web')).toMatchObject({ step: 1, attempt: 1 });
    });

    it.each<[string, 503 | 'hang']>([
      ['a 503', 503],
      ['a timeout', 'hang'],
    ])(
      '%s on the action Event write: the Event is retried and written once (the audit and the budget ledger keep it)',
      async (_t, mode) => {
        w = await startWorld([WEB]);
        const r = await w.addReplica({ identity: 'healer-0' });
        await r.cycle();
        w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
        // The first Event write after the restart's PATCH fails: that is the restart's Event.
        let armed = false;
        w.proxy.onRequest((method, path) => {
          if (!armed && method === 'PATCH' && DEPLOYMENT_PATCH.test(path)) {
            armed = true;
            w!.proxy.fail({ method: 'POST', path: /\/events$/, mode, count: 1 });
          }
        });
        await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0);
        w.proxy.onRequest(undefined);
        const posts = w.proxy.seen.filter((q) => q.method === 'POST' && /\/events$/.test(q.path));
        expect(posts.some((q) => q.injected)).toBe(true);
        expect(await w!.actions()).toEqual(['AutoHealRestart']);
        expect(await w.reasons('web')).not.toContain('AutoHealActionFailed');
      },
    );

    it.each<[string, 503 | 'hang']>([
      ['503 on every write', 503],
      ['timeouts on every write', 'hang'],
    ])(
      '%s: backs off, gives up this cycle with no partial state, acts once it is back',
      async (_t, mode) => {
        w = await startWorld([WEB]);
        const r = await w.addReplica({ identity: 'healer-0' });
        await r.cycle();
        const before = await w.deployment('web');
        w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
        w.proxy.fail({
          method: 'PATCH',
          path: /\/deployments\/web(\/scale)?$/,
          mode,
          count: Infinity,
        });
        // Cycle until the healer has tried (and failed) to act.
        for (let i = 0; i < 10 && !w.proxy.seen.some((q) => q.injected); i++) {
          w.advance();
          await r.cycle();
        }
        const failed = w.proxy.seen.filter((q) => q.injected);
        expect(failed.length).toBeGreaterThanOrEqual(3); // the first try and 2 retries
        const after = await w.deployment('web');
        expect(after.spec?.template).toEqual(before.spec?.template); // no restart
        expect(after.spec?.replicas).toBe(2); // no scale-up
        expect(await w.healState('web')).toBeUndefined(); // no half-written heal state
        expect(await w!.actions()).toEqual([]);
        // The API recovers: the step is taken exactly once.
        w.proxy.clear();
        await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0);
        expect(await w!.actions()).toEqual(['AutoHealRestart']);
        expect(await w.healState('web')).toMatchObject({ step: 1, attempt: 1 });
      },
    );
  });

  describe('Slack failing', () => {
    it.each<[string, 500 | 'timeout']>([
      ['HTTP 500', 500],
      ['timeouts', 'timeout'],
    ])(
      '%s: the action still happens; the message is retried and delivered once',
      async (_t, mode) => {
        w = await startWorld([WEB]);
        const r = await w.addReplica({ identity: 'healer-0' });
        await r.cycle();
        w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
        w.slack.failNext(3, mode);
        await w!.cyclesUntil(r, async () => (await w!.actions()).length > 0);
        expect(
          (await w.deployment('web')).spec?.template.metadata?.annotations?.[RESTARTED_AT],
        ).toBeDefined();
        expect(w.slack.messages()).toHaveLength(0);
        // Later cycles flush the retry queue (backoff on the virtual clock).
        for (let i = 0; i < 6 && w.slack.messages().length === 0; i++) {
          w.advance();
          await r.cycle();
        }
        const restart = w.slack.messages().filter((m) => /restart/i.test(String(m.text)));
        expect(restart).toHaveLength(1);
        expect(await w!.actions()).toEqual(['AutoHealRestart']);
      },
    );
  });

  it('killed mid-escalation: the new healer resumes from the annotations without repeating a step', async () => {
    w = await startWorld([WEB]);
    const first = await w.addReplica({ identity: 'healer-0' });
    await first.cycle();
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    await w!.cyclesUntil(first, async () => (await w!.actions()).length === 1);
    expect(await w.healState('web')).toMatchObject({ step: 1, attempt: 1 });
    // healer-0 is killed: no stop(), no lease release. A new pod starts with empty memory.
    const second = await w.addReplica({ identity: 'healer-1' });
    // healer-1 first sees healer-0's record, then takes over once it has not changed for the
    // 15 s lease duration on healer-1's own clock (one cycle later).
    w.advance();
    expect(await second.cycle()).toBeUndefined();
    w.advance();
    expect(await second.cycle()).toBeDefined();
    expect(second.elector.isLeader()).toBe(true);
    expect(await w!.actions()).toEqual(['AutoHealRestart']);
    await w!.cyclesUntil(second, async () => (await w!.actions()).includes('AutoHealRollback'), 30);
    expect(await w!.actions()).toEqual([
      'AutoHealRestart',
      'AutoHealCacheClear',
      'AutoHealRollback',
    ]);
    const slackActions = w.slack.messages().filter((m) => /Ran|Escalated/.test(String(m.text)));
    expect(slackActions).toHaveLength(3);
  });

  it('two healers at once: exactly one acts and notifies (Events and Slack counted)', async () => {
    w = await startWorld([WEB]);
    const a = await w.addReplica({ identity: 'healer-0' });
    const b = await w.addReplica({ identity: 'healer-1' });
    const both = async (): Promise<void> => {
      w!.advance();
      const reports = await Promise.all([a.cycle(), b.cycle()]);
      expect(reports.filter((x) => x !== undefined)).toHaveLength(1);
    };
    await both();
    const leader = a.elector.isLeader() ? a : b;
    const follower = leader === a ? b : a;
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    for (let i = 0; i < 30 && !(await w!.actions()).includes('AutoHealRollback'); i++) await both();
    expect(await w!.actions()).toEqual([
      'AutoHealRestart',
      'AutoHealCacheClear',
      'AutoHealRollback',
    ]);
    const instances = new Set((await w.events('web')).map((e) => e.reportingInstance));
    expect([...instances]).toEqual([leader.identity]);
    const slackActions = w.slack.messages().filter((m) => /Ran|Escalated/.test(String(m.text)));
    expect(slackActions).toHaveLength(3);
    // The follower serves the same read-only status (it assesses every cycle without acting) and
    // refuses mutations.
    const seen = await request(follower.app).get('/api/deployments').expect(200);
    const web = (seen.body as { name: string; risk: number | null; step: number }[]).find(
      (d) => d.name === 'web',
    );
    expect(web?.risk).toEqual(expect.any(Number));
    expect(web?.step).toBe(3);
    const refused = await request(follower.app)
      .post('/api/check')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(503);
    expect(refused.body.details.code).toBe('not_leader');
  });
});

/** A Prometheus that is down (closed port) or slow (accepts and never answers). */
async function fakePrometheus(
  how: 'down' | 'slow',
): Promise<{ url: string; stop(): Promise<void> }> {
  const held = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    held.add(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const stop = async (): Promise<void> => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((r) => server.close(() => r()));
  };
  if (how === 'down') await stop();
  return { url: `http://127.0.0.1:${port}`, stop };
}
