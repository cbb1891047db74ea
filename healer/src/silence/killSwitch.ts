/**
 * The cluster-wide kill switch: one ConfigMap key (`control.configMap`/`control.pausedKey` in the
 * healer's namespace) read at the start of every acting cycle, so `kubectl patch` of it stops
 * every action within one cycle. Anyone who may edit that ConfigMap may stop the healer
 * (RBAC-scoped); nobody needs the healer's API.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { describeError } from '../actions/kube.js';

export interface KillSwitchState {
  paused: boolean;
  /** Where it was read from and why it holds. */
  detail: string;
  /** The last read failed (the previous value is kept). */
  error?: string;
}

export class KillSwitch {
  private state: KillSwitchState = { paused: false, detail: 'not read yet' };

  constructor(
    private readonly core: Pick<CoreV1Api, 'readNamespacedConfigMap'>,
    private readonly o: { namespace: string; name: string; key: string },
  ) {}

  current(): KillSwitchState {
    return this.state;
  }

  /** Reads the ConfigMap; a missing one means "not paused"; a failed read keeps the last state. */
  async refresh(): Promise<KillSwitchState> {
    const where = `ConfigMap ${this.o.namespace}/${this.o.name} key ${this.o.key}`;
    try {
      const cm = await this.core.readNamespacedConfigMap({
        name: this.o.name,
        namespace: this.o.namespace,
      });
      const raw = cm.data?.[this.o.key]?.trim().toLowerCase();
      const paused = raw === 'true' || raw === 'yes' || raw === '1';
      this.state = {
        paused,
        detail: `${where} = ${JSON.stringify(cm.data?.[this.o.key] ?? null)}`,
      };
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404) this.state = { paused: false, detail: `${where}: no such ConfigMap` };
      else this.state = { ...this.state, error: describeError(err) };
    }
    return this.state;
  }
}
