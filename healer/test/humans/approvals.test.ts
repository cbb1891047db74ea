/**
 * Approval gates against the simulator: a rollback in a production namespace waits for a human,
 * is approved from a signed Slack interaction (the Slack app stand-in signs like Slack) and acts;
 * unsigned, forged and replayed interactions get 401 and change nothing; an approval nobody gives
 * expires and pages; `kubectl annotate … aiops.io/approve=<episode-id>` approves too.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import type { Approval } from '../../src/approval/types.js';
import { SLACK_ACTIONS } from '../../src/notify/slackApp.js';
import { startHumans, type HumansHarness } from './support.js';

const NS = 'prod';
const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };
// Rollback first, so a bad release reaches the gated rung at once.
const CONFIG = { ladder: ['rollback', 'page'] as ('rollback' | 'page')[] };

let h: HumansHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const reasons = (): Promise<string[]> => h!.reasons(NS, 'web');
const image = async (): Promise<string | undefined> =>
  (await h!.kube.apps.readNamespacedDeployment({ name: 'web', namespace: NS })).spec?.template.spec
    ?.containers[0]?.image;

async function pendingApproval(): Promise<Approval> {
  await h!.cyclesUntil(async () => (await reasons()).includes('AutoHealApprovalRequested'), 10, {
    namespace: NS,
    name: 'web',
  });
  const list = (await h!.call('GET', '/api/approvals')).json as Approval[];
  expect(list).toHaveLength(1);
  return list[0]!;
}

describe('approval gates', () => {
  it('a rollback waits for approval, is approved from a signed Slack interaction, re-checked, and acts', async () => {
    h = await startHumans({ workloads: [WEB], config: CONFIG, slackApp: true });
    const slack = h.slackApp!;
    const good = await image();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    const bad = await image();
    expect(bad).not.toBe(good);
    const a = await pendingApproval();
    expect(a).toMatchObject({ namespace: NS, name: 'web', action: 'rollback', state: 'pending' });
    expect(a.id).toMatch(/^web-[0-9a-z]+$/);
    expect(a.reason).toMatch(/risk \d\.\d\d ≥ 0\.80/);
    // The proposed action and its evidence, with the buttons, open the episode's thread.
    const [thread] = slack.threads();
    expect(thread?.text).toMatch(/prod\/web: rollback waits for approval/);
    const blocks = JSON.stringify(thread?.blocks);
    for (const action of Object.values(SLACK_ACTIONS)) expect(blocks).toContain(action);
    expect(blocks).toContain('Top signals');
    expect(blocks).toContain(`aiops.io/approve=${a.id}`);

    // Waiting: cycles pass, nothing acts.
    await h.cycle();
    await h.cycle();
    expect(await reasons()).not.toContain('AutoHealRollback');
    expect(await image()).toBe(bad);

    const url = `${h.api}/slack/interactions`;
    // Unsigned, forged, and too old: 401, nothing decided.
    expect((await slack.click(url, SLACK_ACTIONS.approve, a.id, { secret: false })).status).toBe(
      401,
    );
    expect((await slack.click(url, SLACK_ACTIONS.approve, a.id, { secret: 'wrong' })).status).toBe(
      401,
    );
    const old = Math.floor(h.clock.now() / 1000) - 301;
    expect((await slack.click(url, SLACK_ACTIONS.approve, a.id, { timestamp: old })).status).toBe(
      401,
    );
    expect(((await h.call('GET', '/api/approvals')).json as Approval[])[0]?.state).toBe('pending');
    await h.cycle();
    expect(await reasons()).not.toContain('AutoHealRollback');

    // A signed click approves; the same request again is a replay.
    const ok = await slack.click(url, SLACK_ACTIONS.approve, a.id, { user: 'alice' });
    expect(ok.status).toBe(200);
    expect(await slack.resend(url, ok.raw)).toBe(401);
    const approved = ((await h.call('GET', '/api/approvals')).json as Approval[])[0]!;
    expect(approved).toMatchObject({ state: 'approved', decidedBy: 'slack:alice', via: 'slack' });

    await h.cycle();
    const r = await reasons();
    expect(r).toEqual(['AutoHealApprovalRequested', 'AutoHealApprovalGranted', 'AutoHealRollback']);
    expect(await image()).toBe(good);
    expect(((await h.call('GET', '/api/approvals')).json as Approval[])[0]?.state).toBe('done');
    // Every message of the episode went to its one thread; the first message shows the latest.
    expect(slack.threads()).toHaveLength(1);
    const replies = slack.replies(thread!.ts);
    expect(replies.some((m) => /rollback/.test(m.text ?? ''))).toBe(true);
    expect(slack.threads()[0]?.text).not.toBe(thread?.text);
  });

  it('a replayed Reject is refused and the approval stays pending', async () => {
    h = await startHumans({ workloads: [WEB], config: CONFIG, slackApp: true });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    const a = await pendingApproval();
    const url = `${h.api}/slack/interactions`;
    const first = await h.slackApp!.click(url, SLACK_ACTIONS.reject, a.id, { secret: 'forged' });
    expect(first.status).toBe(401);
    expect(await h.slackApp!.resend(url, first.raw)).toBe(401);
    expect(((await h.call('GET', '/api/approvals')).json as Approval[])[0]?.state).toBe('pending');
    const rejected = await h.slackApp!.click(url, SLACK_ACTIONS.reject, a.id, { user: 'bob' });
    expect(rejected.status).toBe(200);
    await h.cycle();
    await h.cycle();
    expect(await reasons()).toEqual(['AutoHealApprovalRequested', 'AutoHealApprovalRejected']);
  });

  it('an approval nobody gives expires and pages; nothing acts', async () => {
    h = await startHumans({
      workloads: [WEB],
      config: { ...CONFIG, approvals: { timeoutMs: 90_000 } },
    });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    const bad = await image();
    await pendingApproval();
    await h.cyclesUntil(async () => (await reasons()).includes('AutoHealApprovalExpired'), 6, {
      namespace: NS,
      name: 'web',
    });
    for (let i = 0; i < 3; i++) await h.cycle();
    expect(await reasons()).toEqual(['AutoHealApprovalRequested', 'AutoHealApprovalExpired']);
    expect(await image()).toBe(bad);
    const page = h.slack.messages().find((m) => /approval expired/.test(String(m.text)));
    expect(page?.text).toMatch(/^:rotating_light: prod\/web needs attention: approval expired/);
    expect(((await h.call('GET', '/api/approvals')).json as Approval[])[0]?.state).toBe('expired');
  });

  it('kubectl annotate aiops.io/approve=<episode-id> approves; another id does not', async () => {
    h = await startHumans({ workloads: [WEB], config: CONFIG });
    const good = await image();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    const a = await pendingApproval();
    await h.annotate(NS, 'web', { 'aiops.io/approve': 'web-someotherepisode' });
    await h.cycle();
    expect(await reasons()).not.toContain('AutoHealRollback');
    await h.annotate(NS, 'web', { 'aiops.io/approve': a.id });
    await h.cycle();
    expect(await reasons()).toEqual([
      'AutoHealApprovalRequested',
      'AutoHealApprovalGranted',
      'AutoHealRollback',
    ]);
    expect(await image()).toBe(good);
  });

  it('an Argo Rollout: the approval Events name the Rollout, and the hint annotates rollout/', async () => {
    h = await startHumans({
      workloads: [{ ...WEB, kind: 'Rollout' }],
      config: CONFIG,
    });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    const a = await pendingApproval();
    const requested = (await h.events(NS, 'web')).find(
      (e) => e.reason === 'AutoHealApprovalRequested',
    );
    expect(requested?.involvedObject).toMatchObject({
      kind: 'Rollout',
      apiVersion: 'argoproj.io/v1alpha1',
      name: 'web',
    });
    expect(requested?.message).toContain(
      `kubectl annotate rollout/web -n ${NS} aiops.io/approve=${a.id}`,
    );
    expect((await h.call('POST', `/api/approvals/${a.id}/reject`, { by: 'dana' })).status).toBe(
      200,
    );
    await h.cycle();
    const rejected = (await h.events(NS, 'web')).find(
      (e) => e.reason === 'AutoHealApprovalRejected',
    );
    expect(rejected?.involvedObject.kind).toBe('Rollout');
  });

  it('the API approves with the token only; an unknown id is 404, a decided one 409', async () => {
    h = await startHumans({ workloads: [WEB], config: CONFIG });
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    const a = await pendingApproval();
    const anon = await fetch(`${h.api}/api/approvals/${a.id}/approve`, { method: 'POST' });
    expect(anon.status).toBe(401);
    expect((await h.call('POST', '/api/approvals/nope/approve')).status).toBe(404);
    const r = await h.call('POST', `/api/approvals/${a.id}/approve`, { by: 'carol' });
    expect(r).toMatchObject({ status: 200, json: { state: 'approved', decidedBy: 'carol' } });
    expect((await h.call('POST', `/api/approvals/${a.id}/reject`)).status).toBe(409);
    await h.cycle();
    expect(await reasons()).toContain('AutoHealRollback');
  });

  it('a new leader takes over a pending approval: the old id still approves, and it acts once', async () => {
    h = await startHumans({ workloads: [WEB], config: CONFIG });
    const good = await image();
    h.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'bad_release' });
    const a = await pendingApproval();
    // A standby shows the leader's request (read from the ConfigMap, not its own memory).
    const next = await startHumans({ workloads: [WEB], sim: h.sim, config: CONFIG });
    try {
      await next.healer.runCycle({ observeOnly: true });
      const shown = (await next.call('GET', '/api/approvals')).json as Approval[];
      expect(shown.map((x) => [x.id, x.state])).toEqual([[a.id, 'pending']]);
      // The leader is gone; the standby leads. The annotation naming the old request approves.
      await next.cycle();
      await next.annotate(NS, 'web', { 'aiops.io/approve': a.id });
      await next.cycle();
      expect(await reasons()).toEqual([
        'AutoHealApprovalRequested',
        'AutoHealApprovalGranted',
        'AutoHealRollback',
      ]);
      expect(await image()).toBe(good);
    } finally {
      await next.stop();
    }
  });

  it('outside production the rollback is automatic (default gates)', async () => {
    const shop = { ...defaultWorkload('shop', 'web'), autoheal: true, replicas: 2, baseRps: 20 };
    h = await startHumans({ workloads: [shop], config: CONFIG });
    h.sim.faults.inject({ namespace: 'shop', deployment: 'web', kind: 'bad_release' });
    await h.cyclesUntil(
      async () => (await h!.reasons('shop', 'web')).includes('AutoHealRollback'),
      10,
      { namespace: 'shop', name: 'web' },
    );
    expect(await h.reasons('shop', 'web')).toEqual(['AutoHealRollback']);
  });
});
