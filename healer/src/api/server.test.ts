import { beforeEach, describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { createStatusApp, parseRange, type Readiness, type StatusAppDeps } from './server.js';
import { StatusStore } from './store.js';
import type { ActionRecord, DeploymentStatus, RiskPoint } from './types.js';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const TOKEN = 's3cret-token';

function status(over: Partial<DeploymentStatus> = {}): DeploymentStatus {
  return {
    namespace: 'shop',
    name: 'cart',
    risk: 0.91,
    level: 'critical',
    state: 'healing',
    step: 1,
    attempts: 1,
    dryRun: false,
    explanation: [{ feature: 'http_5xx_error_rate', value: 0.31, contribution: 0.42 }],
    features: { http_5xx_error_rate: 0.31 },
    trend: [],
    updatedAt: NOW.toISOString(),
    ...over,
  } as DeploymentStatus;
}

const ACTION: ActionRecord = {
  at: NOW.toISOString(),
  step: 1,
  action: 'restart_scale',
  attempt: 1,
  dryRun: false,
  riskBefore: 0.91,
  outcome: 'pending',
  message: 'risk 0.91 ≥ 0.80 for 3/3 cycles → restart (attempt 1/3)',
};

interface Harness {
  deps: StatusAppDeps;
  calls: { check: number; reset: string[] };
  readiness: Readiness;
}

function harness(over: Partial<StatusAppDeps> = {}): Harness {
  const store = new StatusStore({ thresholds: { high: 0.8, low: 0.5 } });
  const registry = new Registry();
  new Counter({ name: 'aiops_test_total', help: 'test', registers: [registry] }).inc();
  const calls = { check: 0, reset: [] as string[] };
  const h: Harness = {
    calls,
    readiness: {
      ready: true,
      role: 'leader',
      checks: { prometheus: { ok: true }, backend: { ok: true } },
    },
    deps: {
      store,
      registry,
      token: TOKEN,
      now: () => NOW,
      runCheck: async () => {
        calls.check++;
        return { assessed: 1 };
      },
      resetDeployment: async (ns, name) => {
        calls.reset.push(`${ns}/${name}`);
      },
      readiness: () => h.readiness,
      shadow: () => [{ namespace: 'shop', name: 'cart', wouldHave: 'restart_scale' }],
      ...over,
    },
  };
  return h;
}

describe('status API', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
    h.deps.store.assessment(status());
  });

  describe('GET /healthz', () => {
    it('200', async () => {
      await request(createStatusApp(h.deps)).get('/healthz').expect(200, { ok: true });
    });
  });

  describe('GET /readyz', () => {
    it('200 with the role when ready (leader)', async () => {
      const res = await request(createStatusApp(h.deps)).get('/readyz').expect(200);
      expect(res.body).toMatchObject({ ready: true, role: 'leader' });
    });
    it('200 for a ready follower', async () => {
      h.readiness = { ready: true, role: 'follower', checks: {} };
      const res = await request(createStatusApp(h.deps)).get('/readyz').expect(200);
      expect(res.body.role).toBe('follower');
    });
    it('503 naming the failed check', async () => {
      h.readiness = {
        ready: false,
        role: 'leader',
        checks: {
          prometheus: { ok: false, detail: 'connect ECONNREFUSED' },
          backend: { ok: true },
        },
      };
      const res = await request(createStatusApp(h.deps)).get('/readyz').expect(503);
      expect(res.body.checks.prometheus).toEqual({ ok: false, detail: 'connect ECONNREFUSED' });
    });
  });

  describe('GET /metrics', () => {
    it('200 in the Prometheus text format', async () => {
      const res = await request(createStatusApp(h.deps)).get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/text\/plain/);
      expect(res.text).toContain('aiops_test_total 1');
    });
  });

  describe('GET /api/deployments', () => {
    it('200 with one row per assessed deployment, trend filled from history', async () => {
      const res = await request(createStatusApp(h.deps)).get('/api/deployments').expect(200);
      expect(res.body).toHaveLength(1);
      expect(res.body[0]).toMatchObject({
        namespace: 'shop',
        name: 'cart',
        risk: 0.91,
        state: 'healing',
      });
      expect(res.body[0].trend).toEqual([{ t: NOW.toISOString(), risk: 0.91 }]);
    });
    it('200 with an empty list before the first cycle', async () => {
      const empty = harness();
      await request(createStatusApp(empty.deps)).get('/api/deployments').expect(200, []);
    });
  });

  describe('GET /api/deployments/:ns/:name', () => {
    it('200 with thresholds, history, actions, Events and notifications', async () => {
      h.deps.store.action('shop', 'cart', ACTION);
      h.deps.store.kubeEvent('shop', 'cart', {
        at: NOW.toISOString(),
        type: 'Normal',
        reason: 'AutoHealRestart',
        message: 'm',
      });
      h.deps.store.notification('shop', 'cart', {
        at: NOW.toISOString(),
        kind: 'action',
        text: 't',
        delivered: true,
      });
      const res = await request(createStatusApp(h.deps))
        .get('/api/deployments/shop/cart')
        .expect(200);
      expect(res.body).toMatchObject({
        thresholds: { high: 0.8, low: 0.5 },
        history: [{ t: NOW.toISOString(), risk: 0.91 }],
        actions: [ACTION],
        lastAction: ACTION,
        events: [{ reason: 'AutoHealRestart' }],
        notifications: [{ kind: 'action', delivered: true }],
      });
    });
    it('200 with history from the history source (Prometheus) when configured', async () => {
      const seen: string[] = [];
      const points: RiskPoint[] = [{ t: '2026-11-21T06:00:00.000Z', risk: 0.2 }];
      const withHistory = harness({
        history: async (ns, name, range) => {
          seen.push(`${ns}/${name} ${range.start.toISOString()} ${range.stepSeconds}`);
          return points;
        },
      });
      withHistory.deps.store.assessment(status());
      const res = await request(createStatusApp(withHistory.deps))
        .get('/api/deployments/shop/cart?range=6h')
        .expect(200);
      expect(res.body.history).toEqual(points);
      expect(seen).toEqual(['shop/cart 2026-11-21T06:00:00.000Z 90']);
    });
    it('200 falling back to the in-memory history when the history source fails', async () => {
      const fallbacks: unknown[] = [];
      const failing = harness({
        history: async () => {
          throw new Error('prometheus down');
        },
        onHistoryFallback: (err) => fallbacks.push(err),
      });
      failing.deps.store.assessment(status());
      const res = await request(createStatusApp(failing.deps))
        .get('/api/deployments/shop/cart')
        .expect(200);
      expect(res.body.history).toEqual([{ t: NOW.toISOString(), risk: 0.91 }]);
      expect(fallbacks).toHaveLength(1);
    });
    it('404 for an unknown deployment', async () => {
      const res = await request(createStatusApp(h.deps))
        .get('/api/deployments/shop/nope')
        .expect(404);
      expect(res.body).toEqual({
        error: 'deployment shop/nope not found',
        details: { code: 'not_found' },
      });
    });
    it.each([
      ['/api/deployments/Shop/cart', 'namespace'],
      ['/api/deployments/shop/cart_1', 'name'],
      ['/api/deployments/shop/cart?range=forever', 'range'],
      ['/api/deployments/shop/cart?range=8d', 'range'],
      ['/api/deployments/shop/cart?range=0h', 'range'],
    ])('400 for %s naming the field %s', async (url, field) => {
      const res = await request(createStatusApp(h.deps)).get(url).expect(400);
      expect(res.body.details).toMatchObject({ code: 'invalid_input', field });
      expect(res.body.error).toMatch(new RegExp(`^${field}: `));
    });
  });

  describe('GET /api/shadow', () => {
    it('200 with the shadow report', async () => {
      await request(createStatusApp(h.deps))
        .get('/api/shadow')
        .expect(200, [{ namespace: 'shop', name: 'cart', wouldHave: 'restart_scale' }]);
    });
  });

  describe('POST /api/check', () => {
    it('200 with the cycle result for the right token', async () => {
      const res = await request(createStatusApp(h.deps))
        .post('/api/check')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(200);
      expect(res.body).toEqual({ assessed: 1 });
      expect(h.calls.check).toBe(1);
    });
    it('401 without a token', async () => {
      const res = await request(createStatusApp(h.deps)).post('/api/check').expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.body.details.code).toBe('unauthorized');
      expect(h.calls.check).toBe(0);
    });
    it.each([
      ['a wrong token', `Bearer wrong`],
      ['a token that is a prefix of the right one', `Bearer ${TOKEN.slice(0, 4)}`],
      ['the right token with a suffix', `Bearer ${TOKEN}x`],
      ['another scheme', `Basic ${TOKEN}`],
    ])('401 with %s', async (_t, header) => {
      await request(createStatusApp(h.deps))
        .post('/api/check')
        .set('Authorization', header)
        .expect(401);
      expect(h.calls.check).toBe(0);
    });
    it('503 when no token is configured: mutations disabled', async () => {
      const open = harness({ token: undefined });
      const res = await request(createStatusApp(open.deps))
        .post('/api/check')
        .set('Authorization', 'Bearer anything')
        .expect(503);
      expect(res.body.details.code).toBe('mutations_disabled');
      expect(open.calls.check).toBe(0);
    });
    it('503 on a follower: followers serve read-only status', async () => {
      h.readiness = { ready: true, role: 'follower', checks: {} };
      const res = await request(createStatusApp(h.deps))
        .post('/api/check')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(503);
      expect(res.body.details).toEqual({ code: 'not_leader', role: 'follower' });
      expect(h.calls.check).toBe(0);
    });
    it('500 without internals when the cycle throws', async () => {
      const errors: unknown[] = [];
      const broken = harness({
        runCheck: async () => {
          throw new Error('http://hooks.slack.example/T000/secret failed');
        },
        onError: (e) => errors.push(e),
      });
      const res = await request(createStatusApp(broken.deps))
        .post('/api/check')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(500);
      expect(res.body).toEqual({ error: 'internal error', details: { code: 'internal' } });
      expect(errors).toHaveLength(1);
    });
  });

  describe('POST /api/deployments/:ns/:name/reset', () => {
    it('200 and resets the deployment', async () => {
      await request(createStatusApp(h.deps))
        .post('/api/deployments/shop/cart/reset')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(200, { reset: 'shop/cart' });
      expect(h.calls.reset).toEqual(['shop/cart']);
    });
    it('401 with a wrong token', async () => {
      await request(createStatusApp(h.deps))
        .post('/api/deployments/shop/cart/reset')
        .set('Authorization', 'Bearer x')
        .expect(401);
      expect(h.calls.reset).toEqual([]);
    });
    it('404 for an unknown deployment', async () => {
      await request(createStatusApp(h.deps))
        .post('/api/deployments/shop/nope/reset')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(404);
    });
    it('400 for an invalid name', async () => {
      await request(createStatusApp(h.deps))
        .post('/api/deployments/shop/-x/reset')
        .set('Authorization', `Bearer ${TOKEN}`)
        .expect(400);
    });
    it('503 without a configured token', async () => {
      const open = harness({ token: undefined });
      open.deps.store.assessment(status());
      await request(createStatusApp(open.deps))
        .post('/api/deployments/shop/cart/reset')
        .expect(503);
    });
  });

  describe('api.readToken: reads behind a token', () => {
    const READ = 'read-only-token-0123';
    it.each<[string, string | undefined, number]>([
      ['no token: 401', undefined, 401],
      ['wrong token: 401', 'Bearer nope-nope-nope-nope', 401],
      ['the read token: 200', `Bearer ${READ}`, 200],
      ['the write token also reads: 200', `Bearer ${TOKEN}`, 200],
    ])('GET /api/deployments with %s', async (_n, auth, code) => {
      const app = createStatusApp(harness({ readToken: READ }).deps);
      const r = request(app).get('/api/deployments');
      if (auth) r.set('Authorization', auth);
      const res = await r.expect(code);
      if (code === 401) {
        expect(res.headers['www-authenticate']).toBe('Bearer realm="aiops-healer"');
        expect(res.body.details.code).toBe('unauthorized');
      }
    });

    it.each(['/api/shadow', '/api/events', '/api/deployments/shop/cart'])(
      '%s needs it too',
      async (path) => {
        await request(createStatusApp(harness({ readToken: READ }).deps))
          .get(path)
          .expect(401);
      },
    );

    it.each(['/metrics', '/healthz', '/readyz'])('%s stays open', async (path) => {
      await request(createStatusApp(harness({ readToken: READ }).deps))
        .get(path)
        .expect(200);
    });

    it('the read token cannot mutate', async () => {
      const hh = harness({ readToken: READ });
      await request(createStatusApp(hh.deps))
        .post('/api/check')
        .set('Authorization', `Bearer ${READ}`)
        .expect(401);
      expect(hh.calls.check).toBe(0);
    });

    it('without a read token reads stay open', async () => {
      await request(createStatusApp(harness().deps)).get('/api/deployments').expect(200);
    });
  });

  it('404 as JSON for an unknown route', async () => {
    const res = await request(createStatusApp(h.deps)).get('/api/nope').expect(404);
    expect(res.body).toEqual({ error: 'route not found', details: { code: 'not_found' } });
  });
});

describe('parseRange', () => {
  it.each([
    [undefined, 3600, 15],
    ['90m', 5400, 23],
    ['7d', 604800, 2520],
  ])('%s → %i s, step %i s', (raw, seconds, step) => {
    const r = parseRange(raw, NOW);
    expect((r.end.getTime() - r.start.getTime()) / 1000).toBe(seconds);
    expect(r.stepSeconds).toBe(step);
  });
  it.each([[''], ['1w'], ['-1h'], ['1.5h'], [['1h', '2h']]])('rejects %p', (raw) => {
    expect(() => parseRange(raw, NOW)).toThrow(/^range: /);
  });
});
