/**
 * A standby hands leader-only requests to the leader over real loopback HTTP: the bytes and the
 * headers arrive unchanged (a Slack signature still verifies), the token is checked on both, and
 * a request is forwarded at most once.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { FORWARDED_HEADER } from './forward.js';
import { createStatusApp, type StatusAppDeps } from './server.js';
import { StatusStore } from './store.js';

const TOKEN = 'forward-test-token-0123';
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

interface Problem {
  error: string;
  details: { code: string };
}

interface Seen {
  body: string;
  signature: string | undefined;
  by: string | undefined;
}

async function listen(app: express.Express): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A replica's status API with a Slack-like route that records what reached it. */
async function replica(
  role: 'leader' | 'follower',
  forward?: StatusAppDeps['forward'],
): Promise<{ url: string; seen: Seen[]; checks: string[] }> {
  const seen: Seen[] = [];
  const checks: string[] = [];
  const app = createStatusApp({
    store: new StatusStore({ thresholds: { high: 0.8, low: 0.5 } }),
    registry: new Registry(),
    token: TOKEN,
    runCheck: async () => {
      checks.push(role);
      return { ranOn: role };
    },
    resetDeployment: async () => undefined,
    readiness: () => ({ ready: true, role, checks: {} }),
    shadow: () => [],
    ...(forward ? { forward } : {}),
    extend: (a, { requireLeader }) =>
      a.post(
        '/slack/interactions',
        requireLeader,
        express.text({ type: 'application/x-www-form-urlencoded' }),
        (req, res) => {
          seen.push({
            body: req.body as string,
            signature: req.header('x-slack-signature'),
            by: req.header(FORWARDED_HEADER),
          });
          res.status(200).json({ handledBy: role });
        },
      ),
  });
  return { url: await listen(app), seen, checks };
}

const PAYLOAD = `payload=${encodeURIComponent(JSON.stringify({ actions: [{ value: 'ä✓ approve' }] }))}`;

const click = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-signature': 'v0=abc123',
      ...headers,
    },
    body: PAYLOAD,
  });

describe('a standby forwards leader-only requests', () => {
  it("a Slack click on the standby reaches the leader byte for byte and the leader's answer comes back", async () => {
    const leader = await replica('leader');
    const standby = await replica('follower', { leader: () => leader.url, by: 'healer-b' });
    const r = await click(standby.url);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ handledBy: 'leader' });
    expect(leader.seen).toEqual([{ body: PAYLOAD, signature: 'v0=abc123', by: 'healer-b' }]);
    expect(standby.seen).toEqual([]);
  });

  it('the token is checked before forwarding, and again by the leader', async () => {
    const leader = await replica('leader');
    const standby = await replica('follower', { leader: () => leader.url, by: 'healer-b' });
    const check = (token: string) =>
      fetch(`${standby.url}/api/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await check('wrong-token-0000000000')).status).toBe(401);
    expect(leader.checks).toEqual([]);
    const r = await check(TOKEN);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ranOn: 'leader' });
    expect(leader.checks).toEqual(['leader']);
    expect(standby.checks).toEqual([]);
  });

  it('with no leader known, or one that cannot be reached, the standby answers 503 not_leader', async () => {
    const none = await replica('follower', { leader: () => undefined, by: 'healer-b' });
    const r1 = await click(none.url);
    expect(r1.status).toBe(503);
    expect(((await r1.json()) as Problem).details.code).toBe('not_leader');
    // A port nothing listens on (a closed server's).
    const gone = await replica('leader');
    const goneUrl = gone.url;
    const s = servers.pop()!;
    await new Promise((r) => s.close(r));
    const unreachable = await replica('follower', { leader: () => goneUrl, by: 'healer-b' });
    const r2 = await click(unreachable.url);
    expect(r2.status).toBe(503);
    const body = (await r2.json()) as Problem;
    expect(body.details.code).toBe('not_leader');
    expect(body.error).toMatch(/unreachable/);
  });

  it('a forwarded request that lands on another standby is refused, never forwarded again', async () => {
    const leader = await replica('leader');
    // Two standbys that each believe the other leads.
    const urls: string[] = [];
    const a = await replica('follower', { leader: () => urls[1], by: 'healer-a' });
    const b = await replica('follower', { leader: () => urls[0], by: 'healer-b' });
    urls.push(a.url, b.url);
    const r = await click(a.url);
    expect(r.status).toBe(503);
    expect(((await r.json()) as Problem).error).toMatch(/forwarded by healer-a/);
    expect([...a.seen, ...b.seen, ...leader.seen]).toEqual([]);
  });
});
