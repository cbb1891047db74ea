/**
 * The cluster-wide kill switch: one ConfigMap key (`control.configMap`/`control.pausedKey` in the
 * healer's namespace) read at the start of every acting cycle, so `kubectl patch` of it stops
 * every action within one cycle. Anyone who may edit that ConfigMap may stop the healer
 * (RBAC-scoped); nobody needs the healer's API.
 *
 * It fails closed: until one read has succeeded (a 403 from a missing RBAC rule, an API outage at
 * start-up) the healer holds every action, and after a successful read it keeps the last value
 * through at most {@link KILL_SWITCH_TOLERATED_FAILURES} consecutive failed reads, then holds
 * again. A switch nobody can read is not a switch anyone can pull.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { describeError } from '../actions/kube.js';

export interface KillSwitchState {
  paused: boolean;
  /** Where it was read from and why it holds. */
  detail: string;
  /** The last read failed. */
  error?: string;
}

/** Consecutive failed reads after which the last value is no longer trusted. */
export const KILL_SWITCH_TOLERATED_FAILURES = 2;

export class KillSwitch {
  private state: KillSwitchState;
  private lastGood: KillSwitchState | undefined;
  private failures = 0;

  constructor(
    private readonly core: Pick<CoreV1Api, 'readNamespacedConfigMap'>,
    private readonly o: { namespace: string; name: string; key: string },
  ) {
    this.state = { paused: true, detail: `${this.where()}: not read yet (holding until it is)` };
  }

  current(): KillSwitchState {
    return this.state;
  }

  /**
   * Reads the ConfigMap; a missing one means "not paused". A failed read keeps the last value
   * for {@link KILL_SWITCH_TOLERATED_FAILURES} reads, and holds before any read succeeded or
   * after that.
   */
  async refresh(): Promise<KillSwitchState> {
    try {
      const cm = await this.core.readNamespacedConfigMap({
        name: this.o.name,
        namespace: this.o.namespace,
      });
      const raw = cm.data?.[this.o.key]?.trim().toLowerCase();
      const paused = raw === 'true' || raw === 'yes' || raw === '1';
      this.good({
        paused,
        detail: `${this.where()} = ${JSON.stringify(cm.data?.[this.o.key] ?? null)}`,
      });
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404) this.good({ paused: false, detail: `${this.where()}: no such ConfigMap` });
      else this.failed(describeError(err));
    }
    return this.state;
  }

  private good(s: KillSwitchState): void {
    this.failures = 0;
    this.lastGood = s;
    this.state = s;
  }

  private failed(error: string): void {
    this.failures += 1;
    if (this.lastGood && this.failures <= KILL_SWITCH_TOLERATED_FAILURES) {
      this.state = { ...this.lastGood, error };
      return;
    }
    const why = this.lastGood
      ? `${this.failures} reads in a row failed`
      : 'it has never been read successfully';
    this.state = {
      paused: true,
      detail: `${this.where()} is unreadable (${why}: ${error}): holding every action until it can be read`,
      error,
    };
  }

  private where(): string {
    return `ConfigMap ${this.o.namespace}/${this.o.name} key ${this.o.key}`;
  }
}
