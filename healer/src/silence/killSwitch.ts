/**
 * The cluster-wide kill switch: one ConfigMap key (`control.configMap`/`control.pausedKey` in the
 * healer's namespace) read at the start of every acting cycle, so `kubectl patch` of it stops
 * every action within one cycle. Anyone who may edit that ConfigMap may stop the healer
 * (RBAC-scoped); nobody needs the healer's API.
 *
 * It fails closed ({@link LastGood}): until one read has succeeded (a 403 from a missing RBAC
 * rule, an API outage at start-up) the healer holds every action, and after a good read a failed
 * read keeps the last value only twice in a row. A switch nobody can read is not a switch anyone
 * can pull.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { describeError } from '../actions/kube.js';
import { LastGood } from './lastGood.js';

export interface KillSwitchState {
  paused: boolean;
  /** Where it was read from and why it holds. */
  detail: string;
  /** The last read failed. */
  error?: string;
}

export class KillSwitch {
  private state: KillSwitchState;
  private readonly last = new LastGood<KillSwitchState>();

  constructor(
    private readonly core: Pick<CoreV1Api, 'readNamespacedConfigMap'>,
    private readonly o: { namespace: string; name: string; key: string },
  ) {
    this.state = { paused: true, detail: `${this.where()}: not read yet (holding until it is)` };
  }

  current(): KillSwitchState {
    return this.state;
  }

  /** Reads the ConfigMap; a missing one means "not paused". */
  async refresh(): Promise<KillSwitchState> {
    let read;
    try {
      const cm = await this.core.readNamespacedConfigMap({
        name: this.o.name,
        namespace: this.o.namespace,
      });
      const raw = cm.data?.[this.o.key]?.trim().toLowerCase();
      read = this.last.good({
        paused: raw === 'true' || raw === 'yes' || raw === '1',
        detail: `${this.where()} = ${JSON.stringify(cm.data?.[this.o.key] ?? null)}`,
      });
    } catch (err) {
      const code = (err as { code?: number }).code;
      read =
        code === 404
          ? this.last.good({ paused: false, detail: `${this.where()}: no such ConfigMap` })
          : this.last.failed(describeError(err));
    }
    this.state = read.ok
      ? { ...read.value, ...(read.error ? { error: read.error } : {}) }
      : {
          paused: true,
          detail: `${this.where()} is unreadable (${read.why}: ${read.error}): holding every action until it can be read`,
          error: read.error,
        };
    return this.state;
  }

  private where(): string {
    return `ConfigMap ${this.o.namespace}/${this.o.name} key ${this.o.key}`;
  }
}
