import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ManualClock, startSimulator, type RunningSimulator } from '@aiops/simulator';
import { loadLedgerFromEvents, LedgerLoadError } from './ledgerSource.js';

/** The ledger rebuilt from Events the simulator stores, read through client-node. */
describe('loadLedgerFromEvents against the simulator', () => {
  let sim: RunningSimulator;
  let core: CoreV1Api;
  const at = new Date(Date.UTC(2026, 0, 1, 0, 10));

  beforeAll(async () => {
    sim = await startSimulator({
      clock: new ManualClock(Date.UTC(2026, 0, 1)),
      workloads: [],
      seed: 3,
    });
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    const event = (
      namespace: string,
      name: string,
      reason: string,
      component = 'aiops-healer',
      kind = 'Deployment',
    ) =>
      core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${name}.${reason}`.toLowerCase(), namespace },
          involvedObject: {
            apiVersion: kind === 'Rollout' ? 'argoproj.io/v1alpha1' : 'apps/v1',
            kind,
            namespace,
            name,
          },
          reason,
          message: 'm',
          type: 'Normal',
          source: { component },
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        },
      });
    await event('default', 'web', 'AutoHealRestart');
    await event('default', 'web', 'AutoHealStepCured');
    await event('kube-system', 'dns', 'AutoHealRollback');
    await event('kube-system', 'dns', 'AutoHealRestart', 'someone-else');
    await event('default', 'ledger', 'AutoHealRestart', 'aiops-healer', 'Rollout');
    await event('default', 'pod-x', 'AutoHealRestart', 'aiops-healer', 'Pod');
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('reads the named namespaces: Deployments and Rollouts, nothing else', async () => {
    const got = await loadLedgerFromEvents(core, ['default'], { component: 'aiops-healer' });
    expect(got).toEqual([
      { namespace: 'default', name: 'web', action: 'restart_scale', at: at.getTime() },
      { namespace: 'default', name: 'ledger', action: 'restart_scale', at: at.getTime() },
    ]);
  });

  it('reads every namespace when the watch scope is all of them', async () => {
    const got = await loadLedgerFromEvents(core, [], { component: 'aiops-healer' });
    expect(got.map((e) => `${e.namespace}/${e.name}:${e.action}`).sort()).toEqual([
      'default/ledger:restart_scale',
      'default/web:restart_scale',
      'kube-system/dns:rollback',
    ]);
  });

  it('names the namespace when listing fails', async () => {
    const broken = {
      listNamespacedEvent: async () => {
        throw new Error('HTTP 403');
      },
      listEventForAllNamespaces: async () => {
        throw new Error('HTTP 403');
      },
    } as unknown as CoreV1Api;
    await expect(loadLedgerFromEvents(broken, ['shop'])).rejects.toThrow(LedgerLoadError);
    await expect(loadLedgerFromEvents(broken, ['shop'])).rejects.toThrow(/namespace shop/);
    await expect(loadLedgerFromEvents(broken, [])).rejects.toThrow(/all namespaces/);
  });
});
