/**
 * The humans' rules in front of the gate (a decorator over any {@link ActionGate}): the kill switch
 * first, then silences and `aiops.io/paused-until`. Both hold quietly — one `AutoHealSilenced`
 * Event per hold, no message — and the deployment is still scored and shown. The kill switch is
 * re-read in `ready()`, which the loop awaits at the start of every acting cycle.
 */
import type { Logger } from 'pino';
import type { Reporter } from '../report/reporter.js';
import type { ActionGate, GateContext, GateRequest, GateVerdict } from '../gate/types.js';
import type { KillSwitch, KillSwitchState } from './killSwitch.js';
import { pausedUntil, type Silences } from './silences.js';

export interface HumanGateOptions {
  inner: ActionGate;
  silences: Silences;
  killSwitch?: KillSwitch;
  reporter?: Reporter;
  logger?: Logger;
  /** Told after each read of the kill switch (the metric). */
  onKillSwitch?: (paused: boolean) => void;
  now?: () => number;
}

export class HumanGate implements ActionGate {
  private readonly lastRule = new Map<string, string>();
  private paused = false;
  /** The "silences unreadable" warning was sent for the current outage. */
  private silencesPaged = false;
  /** Deployments each silence held back in the last complete cycle. */
  private lastCycle = new Map<string, Set<string>>();
  /** Deployments each silence has held back in this cycle so far. */
  private thisCycle = new Map<string, Set<string>>();

  /**
   * Deployments each silence held back (the dashboard's `holding`, the silenced gauge): the last
   * complete cycle's with this cycle's so far. A read mid-cycle — after the cycle's re-read of the
   * silences, before the gate has seen the deployment again — must not find an empty list that
   * only means "not checked yet".
   */
  get held(): ReadonlyMap<string, ReadonlySet<string>> {
    const out = new Map<string, Set<string>>();
    for (const cycle of [this.lastCycle, this.thisCycle])
      for (const [id, keys] of cycle) {
        const set = out.get(id) ?? new Set<string>();
        for (const k of keys) set.add(k);
        out.set(id, set);
      }
    return out;
  }

  constructor(private readonly o: HumanGateOptions) {}

  check(req: GateRequest, ctx: GateContext): GateVerdict {
    const key = `${req.namespace}/${req.name}`;
    const deny = (rule: 'kill_switch' | 'silenced', message: string, by: string): GateVerdict => {
      const repeated = this.lastRule.get(key) === `${rule}:${by}`;
      this.lastRule.set(key, `${rule}:${by}`);
      return { allowed: false, rule, message, repeated, quiet: true };
    };
    if (this.paused)
      return deny(
        'kill_switch',
        `kill_switch: ${this.o.killSwitch?.current().detail ?? 'paused'}: every action is paused`,
        'cluster',
      );
    const unknown = this.o.silences.unreadable();
    if (unknown) return deny('silenced', `silenced: ${unknown}`, 'unreadable');
    const s = this.o.silences.match({
      namespace: req.namespace,
      name: req.name,
      ...(req.labels ? { labels: req.labels } : {}),
    });
    if (s) {
      const set = this.thisCycle.get(s.id) ?? new Set<string>();
      set.add(key);
      this.thisCycle.set(s.id, set);
      const scope = s.name
        ? `${s.namespace}/${s.name}`
        : [s.namespace && `namespace ${s.namespace}`, s.selector && `selector ${s.selector}`]
            .filter(Boolean)
            .join(', ');
      return deny(
        'silenced',
        `silenced: silence ${s.id} (${scope}) by ${s.createdBy} until ${s.expiresAt}: ${s.reason}`,
        s.id,
      );
    }
    const p = pausedUntil(req.annotations, ctx.now.getTime());
    if (p.until !== undefined)
      return deny(
        'silenced',
        p.problem ??
          `silenced: aiops.io/paused-until=${new Date(p.until).toISOString()} on the deployment`,
        `annotation:${p.until}`,
      );
    const verdict = this.o.inner.check(req, ctx);
    if (verdict.allowed || !verdict.quiet) this.lastRule.delete(key);
    return verdict;
  }

  record(req: GateRequest, now: Date, outcome: { failed: boolean }): void {
    this.o.inner.record(req, now, outcome);
  }

  async ready(): Promise<void> {
    const { silences: read, killSwitch: s, was } = await this.reread();
    const unknown = this.o.silences.unreadable();
    if (read.error)
      this.o.logger?.warn(
        { err: read.error },
        unknown
          ? 'reading the silences failed: holding every action (fails closed)'
          : 'reading the silences failed; keeping the last ones read',
      );
    const paged = this.silencesPaged;
    this.silencesPaged = unknown !== undefined;
    if (unknown && !paged)
      await this.o.reporter?.warning({
        kind: 'warning',
        title: 'aiops-healer holding: silences unreadable',
        detail: `${unknown}; deployments are still scored`,
        dedupKey: `silences-unreadable:${(this.o.now ?? Date.now)()}`,
      });
    if (s) {
      if (s.error)
        this.o.logger?.warn(
          { err: s.error, paused: s.paused },
          s.paused
            ? 'reading the kill switch failed: holding every action (fails closed)'
            : 'reading the kill switch failed; keeping its last value',
        );
      if (was !== s.paused)
        await this.o.reporter?.warning({
          kind: 'warning',
          title: s.paused
            ? s.error
              ? 'aiops-healer holding: kill switch unreadable'
              : 'aiops-healer paused (kill switch)'
            : 'aiops-healer resumed (kill switch)',
          detail: s.paused
            ? `${s.detail}: no action is taken anywhere; deployments are still scored`
            : `${s.detail}: actions resume`,
          dedupKey: `kill-switch:${s.paused}:${(this.o.now ?? Date.now)()}`,
        });
    }
    await this.o.inner.ready?.();
  }

  /**
   * A follower's cycle: the silences and the kill switch are re-read so its status API shows
   * what the leader holds (a silence created on the leader, the switch pulled); it logs at
   * debug, pages nobody (the leader does) and never rejects.
   */
  async observe(): Promise<void> {
    const { silences } = await this.reread();
    if (silences.error)
      this.o.logger?.debug({ err: silences.error }, 'reading the silences failed');
  }

  /**
   * Re-reads the silences and the kill switch (and tells the metric): what `ready()` reports on
   * and `observe()` only shows. `was`: whether every action was paused before this read.
   */
  private async reread(): Promise<{
    silences: { error?: string };
    killSwitch?: KillSwitchState;
    was: boolean;
  }> {
    this.lastCycle = this.thisCycle;
    this.thisCycle = new Map();
    const silences = await this.o.silences.sync();
    const was = this.paused;
    if (!this.o.killSwitch) return { silences, was };
    const killSwitch = await this.o.killSwitch.refresh();
    this.paused = killSwitch.paused;
    this.o.onKillSwitch?.(killSwitch.paused);
    return { silences, killSwitch, was };
  }

  /** The kill switch as last read. */
  killSwitch(): { paused: boolean; detail: string } {
    return { paused: this.paused, detail: this.o.killSwitch?.current().detail ?? 'not configured' };
  }

  forget(namespace: string, name: string): void {
    this.lastRule.delete(`${namespace}/${name}`);
    this.o.inner.forget?.(namespace, name);
  }
}
