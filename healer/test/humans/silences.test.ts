/**
 * Silences and the kill switch against the simulator: a silenced deployment in a crash loop is
 * still scored and shown at risk but never acted on; `aiops.io/paused-until` does the same per
 * deployment; the kill switch (a ConfigMap key) stops every action at the next cycle and lifting
 * it lets them resume.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { MERGE_PATCH } from '../../src/actions/kube.js';
import type { CycleRow } from '../../src/loop/types.js';
import { startHumans, TOKEN, type HumansHarness } from './support.js';

const NS = 'shop';
const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };
const API = { ...defaultWorkload(NS, 'api'), autoheal: true, replicas: 2, baseRps: 20 };
const ACTIONS = /^AutoHeal(Restart|CacheClear|Rollback)$/;

let h: HumansHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const acted = async (name: string): Promise<string[]> =>
  (await h!.reasons(NS, name)).filter((r) => ACTIONS.test(r));

async function metric(name: string): Promise<string> {
  const text = await (await fetch(`${h!.api}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');
}

/** Silences shop/web through the API (as Dana, for the database migration); returns its id. */
async function silenceWeb(): Promise<string> {
  const created = await h!.call('POST', '/api/silences', {
    namespace: NS,
    name: 'web',
    reason: 'migrating the database',
    durationMs: 3_600_000,
    createdBy: 'dana',
  });
  expect(created.status).toBe(201);
  return (created.json as { id: string }).id;
}

/** Both deployments crash-loop for six cycles; web's last row. */
async function crashBoth(): Promise<CycleRow | undefined> {
  h!.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
  h!.sim.faults.inject({ namespace: NS, deployment: 'api', kind: 'crash_loop' });
  let row;
  for (let i = 0; i < 6; i++) row = (await h!.cycle()).rows.find((x) => x.name === 'web');
  return row;
}

describe('silences', () => {
  it('a silenced deployment in a crash loop gets no action and is still shown at risk', async () => {
    // Two at risk in one namespace is not a fleet event here.
    h = await startHumans({ workloads: [WEB, API], config: { fleet: { minAtRisk: 3 } } });
    const silence = { id: await silenceWeb() };
    const row = await crashBoth();
    // Scored and shown, never acted on.
    expect(row?.risk).toBeGreaterThanOrEqual(0.8);
    expect(row?.atRisk).toBe(true);
    expect(row?.actionStatus).toBe('held');
    expect(row?.detail).toContain(`silence ${silence.id}`);
    expect(h.sink.statuses.get(`${NS}/web`)?.risk).toBeGreaterThanOrEqual(0.8);
    expect(await acted('web')).toEqual([]);
    // One Event for the hold, no Slack message about web.
    expect(await h.reasons(NS, 'web')).toEqual(['AutoHealSilenced']);
    expect(h.slack.messages().filter((m) => String(m.text).includes('shop/web'))).toEqual([]);
    // The other deployment is not covered by the silence.
    expect(await acted('api')).toEqual(['AutoHealRestart']);
    // Visible in the API and in /metrics.
    const list = (await h.call('GET', '/api/silences')).json as Array<{
      id: string;
      active: boolean;
      holding: string[];
    }>;
    expect(list).toEqual([
      expect.objectContaining({ id: silence.id, active: true, holding: [`${NS}/web`] }),
    ]);
    expect(await metric('aiops_healer_silences_active{scope="deployment"}')).toMatch(/ 1$/);
    expect(await metric('aiops_healer_silenced_deployments')).toMatch(/ 1$/m);

    // Expired from the API: the next cycles act.
    expect((await h.call('DELETE', `/api/silences/${silence.id}`)).status).toBe(200);
    await h.cyclesUntil(async () => (await acted('web')).length > 0, 4, {
      namespace: NS,
      name: 'web',
    });
    expect(await acted('web')).toEqual(['AutoHealRestart']);
    expect(await metric('aiops_healer_silences_active{scope="deployment"}')).toMatch(/ 0$/);
  });

  it('a namespace or label-selector silence covers every deployment it matches', async () => {
    h = await startHumans({ workloads: [WEB, API], config: { fleet: { minAtRisk: 3 } } });
    expect(
      (
        await h.call('POST', '/api/silences', {
          selector: 'app in (web,api)',
          reason: 'load test',
          durationMs: 600_000,
        })
      ).status,
    ).toBe(201);
    for (const d of ['web', 'api'])
      h.sim.faults.inject({ namespace: NS, deployment: d, kind: 'crash_loop' });
    for (let i = 0; i < 5; i++) await h.cycle();
    expect(await acted('web')).toEqual([]);
    expect(await acted('api')).toEqual([]);
  });

  it('bad silences are refused naming the field', async () => {
    h = await startHumans({ workloads: [WEB] });
    const bad = async (body: unknown) => (await h!.call('POST', '/api/silences', body)).json;
    expect(await bad({ namespace: NS, durationMs: 1000 })).toMatchObject({
      error: 'reason: required (why nothing may act)',
      details: { field: 'reason', rule: 'required (why nothing may act)' },
    });
    expect(await bad({ reason: 'x', durationMs: 1000 })).toMatchObject({
      details: { field: 'namespace' },
    });
    expect(await bad({ selector: 'a in (', reason: 'x', durationMs: 1000 })).toMatchObject({
      details: { field: 'selector' },
    });
    expect(await bad({ namespace: NS, reason: 'x', durationMs: 30 * 86_400_000 })).toMatchObject({
      details: { field: 'expiresAt' },
    });
    expect(await bad({ namespace: NS, reason: 'x' })).toMatchObject({
      details: { field: 'expiresAt' },
    });
    const anon = await fetch(`${h.api}/api/silences`, { method: 'POST' });
    expect(anon.status).toBe(401);
  });

  it.each<[string, string, Record<string, string>, number, Record<string, unknown>]>([
    // Another content type was read as no body at all ("reason: required").
    ['text/plain', 'reason=x', {}, 415, { details: { code: 'unsupported_media_type' } }],
    // An array was read as an object with no fields.
    [
      'application/json',
      '[{"reason":"x"}]',
      {},
      400,
      { details: { field: 'body', value: 'array' } },
    ],
    ['application/json', '{"reason":', {}, 400, { details: { field: 'body' } }],
    // A body that does not inflate answered zlib's "incorrect header check".
    [
      'application/json',
      '{}',
      { 'content-encoding': 'gzip' },
      400,
      { error: 'body: must decompress as its content-encoding says' },
    ],
  ])('a %s body %j is refused naming the body', async (type, body, headers, status, answer) => {
    h = await startHumans({ workloads: [WEB] });
    const r = await fetch(`${h.api}/api/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type, ...headers },
      body,
    });
    expect(r.status).toBe(status);
    expect(await r.json()).toMatchObject(answer);
  });

  it('aiops.io/paused-until holds one deployment until that time', async () => {
    h = await startHumans({ workloads: [WEB] });
    const until = new Date(h.clock.now() + 4 * 30_000).toISOString();
    await h.annotate(NS, 'web', { 'aiops.io/paused-until': until });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    for (let i = 0; i < 3; i++) await h.cycle();
    expect(await acted('web')).toEqual([]);
    expect(await h.reasons(NS, 'web')).toEqual(['AutoHealSilenced']);
    await h.cyclesUntil(async () => (await acted('web')).length > 0, 4, {
      namespace: NS,
      name: 'web',
    });
  });
});

describe('silences outlive the healer', () => {
  it('a restarted healer (a new process on the same cluster) holds what the old one was told to', async () => {
    h = await startHumans({ workloads: [WEB, API], config: { fleet: { minAtRisk: 3 } } });
    const id = await silenceWeb();
    // Stored before the answer: the ConfigMap holds it.
    const cm = await h.kube.core.readNamespacedConfigMap({
      name: 'aiops-healer-silences',
      namespace: 'default',
    });
    expect(JSON.parse(cm.data?.['silences.json'] ?? '[]')).toEqual([
      expect.objectContaining({ id, name: 'web', reason: 'migrating the database' }),
    ]);
    // The pod is replaced: a new healer, nothing in memory, the same cluster.
    const sim = h.sim;
    const next = await startHumans({
      workloads: [WEB, API],
      sim,
      config: { fleet: { minAtRisk: 3 } },
    });
    // The old one never runs another cycle; it is stopped last (it owns the simulator).
    const old = h;
    h = next;
    const row = await crashBoth();
    expect(row?.actionStatus).toBe('held');
    expect(row?.detail).toContain(`silence ${id}`);
    expect(await acted('web')).toEqual([]);
    // The unsilenced one is healed as usual.
    expect(await acted('api')).not.toEqual([]);
    // Expiring it is stored too: the next healer would act again.
    expect((await h.call('DELETE', `/api/silences/${id}`)).status).toBe(200);
    const after = await h.kube.core.readNamespacedConfigMap({
      name: 'aiops-healer-silences',
      namespace: 'default',
    });
    expect(JSON.parse(after.data?.['silences.json'] ?? '[]')[0]).toMatchObject({
      id,
      expiredBy: 'api',
    });
    await h.stop();
    h = undefined;
    await old.stop();
  });
});

describe('a follower shows what the leader holds', () => {
  it("a standby replica's status API lists the leader's silences and kill switch after its next cycle", async () => {
    h = await startHumans({ workloads: [WEB, API], config: { fleet: { minAtRisk: 3 } } });
    const follower = await startHumans({
      workloads: [WEB, API],
      sim: h.sim,
      config: { fleet: { minAtRisk: 3 } },
    });
    try {
      const listed = async () =>
        (await follower.call('GET', '/api/silences')).json as {
          id: string;
          active: boolean;
        }[];
      await follower.healer.runCycle({ observeOnly: true });
      expect(await listed()).toEqual([]);
      const id = await silenceWeb();
      await follower.healer.runCycle({ observeOnly: true });
      expect(await listed()).toEqual([expect.objectContaining({ id, active: true })]);
      // Ended on the leader: the follower's next cycle shows it ended.
      expect((await h.call('DELETE', `/api/silences/${id}`)).status).toBe(200);
      await follower.healer.runCycle({ observeOnly: true });
      expect(await listed()).toEqual([expect.objectContaining({ id, active: false })]);
      // The kill switch pulled on the cluster shows on the follower too, and it pages nobody.
      await h.kube.core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'aiops-healer-control' }, data: { paused: 'true' } },
      });
      await follower.healer.runCycle({ observeOnly: true });
      const control = (await follower.call('GET', '/api/control')).json as {
        killSwitch: { paused: boolean };
      };
      expect(control.killSwitch.paused).toBe(true);
      expect(follower.slack.messages()).toEqual([]);
    } finally {
      await follower.stop();
    }
  });
});

describe('kill switch', () => {
  it('stops every action at the next cycle and lets them resume when lifted', async () => {
    h = await startHumans({ workloads: [WEB, API], config: { fleet: { minAtRisk: 3 } } });
    const cm = { name: 'aiops-healer-control', namespace: 'default' };
    await h.kube.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: cm, data: { paused: 'false' } },
    });
    for (const d of ['web', 'api'])
      h.sim.faults.inject({ namespace: NS, deployment: d, kind: 'crash_loop' });
    // One cycle at high risk: the next one would act (enterCycles 2).
    await h.cycle();
    await h.cycle();
    const before = [...(await acted('web')), ...(await acted('api'))];
    // Pause it right before the cycle that would act… (reset both so both are about to act)
    await h.kube.core.patchNamespacedConfigMap(
      { ...cm, body: { data: { paused: 'true' } } },
      MERGE_PATCH,
    );
    for (let i = 0; i < 4; i++) {
      const r = await h.cycle();
      expect(r.rows.every((x) => x.actionStatus === undefined || x.actionStatus === 'held')).toBe(
        true,
      );
    }
    expect([...(await acted('web')), ...(await acted('api'))]).toEqual(before);
    expect(await metric('aiops_healer_kill_switch')).toMatch(/ 1$/m);
    expect((await h.call('GET', '/api/control')).json).toMatchObject({
      killSwitch: { paused: true },
    });
    expect(h.slack.messages().some((m) => /paused \(kill switch\)/.test(String(m.text)))).toBe(
      true,
    );
    await h.kube.core.patchNamespacedConfigMap(
      { ...cm, body: { data: { paused: 'false' } } },
      MERGE_PATCH,
    );
    await h.cycle();
    expect(await metric('aiops_healer_kill_switch')).toMatch(/ 0$/m);
  });

  it('the cycle right after pausing takes no action even when one was due', async () => {
    h = await startHumans({ workloads: [WEB] });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    // The first cycle at high risk (streak 1 of 2): the next one would act.
    await h.cyclesUntil(async () => h!.sink.statuses.get(`${NS}/web`)!.risk! >= 0.8, 4, {
      namespace: NS,
      name: 'web',
    });
    expect(await acted('web')).toEqual([]);
    await h.kube.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'aiops-healer-control' }, data: { paused: 'true' } },
    });
    const r = await h.cycle(); // would act (streak 2 of 2)
    expect(r.rows[0]).toMatchObject({ decision: 'restart_scale', actionStatus: 'held' });
    expect(r.rows[0]?.detail).toMatch(/kill_switch: ConfigMap default\/aiops-healer-control/);
    expect(await acted('web')).toEqual([]);
  });
});
