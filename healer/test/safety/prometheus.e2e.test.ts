/**
 * Failure matrix, Prometheus row, with a real Prometheus: it scrapes the simulator and the healer
 * reads features from it; then Prometheus stops. No actions follow, the healer stays up, one
 * warning is sent and readiness says so; when Prometheus is back, assessments resume.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { defaultWorkload } from '@aiops/simulator';
import { startPrometheus, type RunningPrometheus } from '@aiops/simulator/testing';
import { RESTARTED_AT } from '../../src/actions/restart.js';
import { NS, startWorld, type World } from './world.js';

const WEB = { ...defaultWorkload(NS, 'web'), autoheal: true, replicas: 2, baseRps: 20 };

let w: World | undefined;
let prom: RunningPrometheus | undefined;
afterEach(async () => {
  await prom?.stop();
  await w?.stop();
  prom = undefined;
  w = undefined;
});

async function waitFor(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Prometheus stops during operation (real Prometheus)', () => {
  it('no actions, healer up, one warning, readiness reports it', async () => {
    w = await startWorld([WEB], { realTime: true });
    prom = await startPrometheus({ targets: [new URL(w.sim.url).host], scrapeInterval: '1s' });
    const r = await w.addReplica({
      identity: 'healer-0',
      prometheusUrl: prom.url,
      config: { enterCycles: 1 },
    });
    // Real data first: a conclusive assessment through PromQL.
    await waitFor('a conclusive assessment', async () => {
      const report = await r.cycle();
      return report?.rows[0]?.inconclusive === false;
    });
    expect((await r.readiness.refresh()).checks.prometheus).toEqual({ ok: true });

    await prom.stop();
    prom = undefined;
    w.sim.faults.inject({ namespace: NS, deployment: 'web', kind: 'crash_loop' });
    for (let i = 0; i < 4; i++) {
      const report = await r.cycle();
      expect(report?.rows.every((row) => row.inconclusive)).toBe(true);
    }
    const dep = await w.deployment('web');
    expect(dep.spec?.template.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
    expect(
      (await w.reasons('web')).filter((x) => /^AutoHeal(Restart|CacheClear|Rollback)$/.test(x)),
    ).toEqual([]);
    const warnings = w.slack.messages().filter((m) => /Prometheus/.test(String(m.text)));
    expect(warnings).toHaveLength(1);
    expect(w.slack.messages()).toHaveLength(1);
    const ready = await r.readiness.refresh();
    expect(ready.ready).toBe(false);
    expect(ready.checks.prometheus?.ok).toBe(false);
  }, 120_000);
});
