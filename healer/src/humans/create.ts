/**
 * Builds the human-in-the-loop parts from the config: the approvals of gated rungs, the silences,
 * the kill switch and the gate in front of the budgets; registers their metrics.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { ConfigMapApprovalStore } from '../approval/approvalStore.js';
import { Approvals } from '../approval/approvals.js';
import type { HealerConfig } from '../config.js';
import type { ActionGate } from '../gate/types.js';
import { linksOf } from '../report/messages.js';
import type { Reporter } from '../report/reporter.js';
import { ConfigMapSilenceStore } from '../silence/configMapStore.js';
import { HumanGate } from '../silence/humanGate.js';
import { KillSwitch } from '../silence/killSwitch.js';
import { Silences } from '../silence/silences.js';

export interface Humans {
  approvals: Approvals;
  silences: Silences;
  gate: HumanGate;
}

export interface HumansOptions {
  config: HealerConfig;
  core: Pick<
    CoreV1Api,
    'readNamespacedConfigMap' | 'createNamespacedConfigMap' | 'replaceNamespacedConfigMap'
  >;
  reporter: Reporter;
  logger: Logger;
  registry: Registry;
  now: () => number;
  inner: ActionGate;
}

export function createHumans(o: HumansOptions): Humans {
  const { config } = o;
  const registers = [o.registry];
  const silences = new Silences({
    now: o.now,
    maxMs: config.control.maxSilenceMs,
    store: new ConfigMapSilenceStore(o.core, {
      namespace: config.leader.namespace,
      name: config.control.silencesConfigMap,
    }),
  });
  const approvals = new Approvals({
    ...config.approvals,
    // Not asked for three cycles: the rung is no longer wanted.
    idleMs: 3 * config.cycleIntervalMs,
    reporter: o.reporter,
    logger: o.logger,
    now: o.now,
    links: linksOf(config.links),
    store: new ConfigMapApprovalStore(o.core, {
      namespace: config.leader.namespace,
      name: config.control.approvalsConfigMap,
    }),
  });
  const killGauge = new Gauge({
    name: 'aiops_healer_kill_switch',
    help: `1 while the kill switch (ConfigMap ${config.control.configMap} key ${config.control.pausedKey}) pauses every action.`,
    registers,
  });
  const gate = new HumanGate({
    inner: o.inner,
    silences,
    killSwitch: new KillSwitch(o.core, {
      namespace: config.leader.namespace,
      name: config.control.configMap,
      key: config.control.pausedKey,
    }),
    reporter: o.reporter,
    logger: o.logger,
    now: o.now,
    onKillSwitch: (paused) => killGauge.set(paused ? 1 : 0),
  });
  new Gauge({
    name: 'aiops_healer_silences_active',
    help: 'Active silences, by scope (deployment, namespace, selector).',
    labelNames: ['scope'],
    registers,
    collect() {
      this.reset();
      for (const scope of ['deployment', 'namespace', 'selector']) this.set({ scope }, 0);
      for (const s of silences.active())
        this.inc({ scope: s.name ? 'deployment' : s.selector ? 'selector' : 'namespace' });
    },
  });
  new Gauge({
    name: 'aiops_healer_silenced_deployments',
    help: 'Deployments a silence or aiops.io/paused-until held back at the last cycle.',
    registers,
    collect() {
      const keys = new Set<string>();
      for (const set of gate.held.values()) for (const k of set) keys.add(k);
      this.set(keys.size);
    },
  });
  new Gauge({
    name: 'aiops_healer_approvals_pending',
    help: 'Gated rungs waiting for a human, by action.',
    labelNames: ['action'],
    registers,
    collect() {
      this.reset();
      for (const a of approvals.list()) if (a.state === 'pending') this.inc({ action: a.action });
    },
  });
  return { approvals, silences, gate };
}
