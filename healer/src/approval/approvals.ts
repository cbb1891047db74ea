/**
 * The approvals of gated rungs. The loop asks {@link Approvals.admit} right before carrying out a
 * rung; a rung whose gate is `approve` runs only once a human approved it and the re-check passes
 * (risk still ≥ high, still the release the request was made on). Requests, grants, rejections,
 * expiries and failed re-checks are written as Events and notified through the one reporting
 * funnel. Kept in a {@link ListStore} (a ConfigMap, `approvalStore.ts`) as well as in memory: a
 * new leader picks up the requests the last one made — same ids, so a Slack button or an
 * annotation naming one still works, same expiry, and an approval given before the failover is
 * acted on after its re-check. A standby shows the stored list. Without a store (or while it
 * cannot be read) they live in the leader's memory only: after a restart a still-wanted rung asks
 * again.
 */
import type { Logger } from 'pino';
import type { ListStore } from '../humans/configMapList.js';
import { LeaderList } from '../humans/leaderList.js';
import type { Reporter } from '../report/reporter.js';
import { EVENT_REASONS, type EventSubject } from '../report/types.js';
import type { NotifyMessage } from '../notify/types.js';
import { actionLabel, fmt } from '../policy/decide.js';
import { episodeId, gateFor, type GateConfig } from './gates.js';
import {
  ApprovalError,
  type Admission,
  type Approval,
  type ApprovalAsk,
  type ApprovalChannel,
  type StoredApproval,
} from './types.js';

/** `kubectl annotate deploy/X aiops.io/approve=<episode-id>`. */
export const APPROVE_ANNOTATION = 'aiops.io/approve';

export interface ApprovalsOptions extends GateConfig {
  timeoutMs: number;
  /** A pending approval not asked for this long is withdrawn (the rung is no longer wanted). */
  idleMs: number;
  reporter: Reporter;
  logger: Logger;
  now: () => number;
  links?: NotifyMessage['links'];
  /** Records kept (oldest decided ones dropped first). */
  keep?: number;
  /** Told whenever an approval changes (metrics, the SSE stream). */
  onChange?: (a: Approval) => void;
  /** Where the approvals outlive the leader (written on every change, read on taking over). */
  store?: ListStore<StoredApproval>;
}

export class Approvals {
  private readonly byId = new Map<string, Approval>();
  private readonly subjects = new Map<string, EventSubject>();
  /** The current approval of each deployment (`namespace/name`). */
  private readonly byKey = new Map<string, Approval>();
  /** Changed since the last successful write. */
  private dirty = false;
  private readonly held?: LeaderList<StoredApproval>;

  constructor(private readonly o: ApprovalsOptions) {
    if (o.store)
      this.held = new LeaderList(o.store, {
        what: 'approvals',
        key: (r) => r.id,
        logger: o.logger,
      });
  }

  /**
   * Before the leader's first acting cycle (and until it succeeds): takes over the stored
   * approvals. A restored request keeps its id and expiry and counts as asked now, so it is
   * withdrawn only if the rung is not asked for again.
   */
  async ready(): Promise<void> {
    if (!this.held || this.held.takenOver) return;
    const stored = await this.held.takeOver();
    if (!stored) return;
    const now = this.o.now();
    for (const r of stored) {
      // The store wins over what a standby saw, but not over changes not yet written.
      if (this.dirty && this.byId.has(r.id)) continue;
      const { subject, ...a } = r;
      const open = a.state === 'pending' || a.state === 'approved';
      this.byId.set(a.id, { ...a, lastAskedAt: open ? now : a.lastAskedAt });
      if (subject) this.subjects.set(a.id, subject);
      const key = `${a.namespace}/${a.name}`;
      const held = this.byKey.get(key);
      if (open && (!held || held.id === a.id)) this.byKey.set(key, this.byId.get(a.id)!);
    }
    this.o.logger.info({ restored: stored.length }, 'approvals taken over from the store');
  }

  /** A standby's cycle: shows what the leader stored, and reads it again when it takes over. */
  async observe(): Promise<void> {
    if (!this.held) return;
    this.held.release();
    const stored = await this.held.peek();
    if (!stored) return;
    this.byId.clear();
    this.byKey.clear();
    this.subjects.clear();
    for (const { subject, ...a } of stored) {
      this.byId.set(a.id, a);
      if (subject) this.subjects.set(a.id, subject);
    }
  }

  /** Newest first. */
  list(): Approval[] {
    return [...this.byId.values()].reverse();
  }

  pending(): Approval[] {
    return this.list().filter((a) => a.state === 'pending' || a.state === 'approved');
  }

  get(id: string): Approval | undefined {
    return this.byId.get(id);
  }

  /** Whether this rung may run now; creates, expires and re-checks the approval as needed. */
  async admit(ask: ApprovalAsk): Promise<Admission> {
    const admission = await this.admitting(ask);
    await this.flush();
    return admission;
  }

  private async admitting(ask: ApprovalAsk): Promise<Admission> {
    const mode = gateFor(ask.action, ask.namespace, ask.gates ?? this.o);
    if (mode === 'auto') return { go: true };
    if (mode === 'off')
      return {
        go: false,
        state: 'off',
        message: `${ask.action} is off for namespace ${ask.namespace} (approvals gate)`,
      };
    const now = this.o.now();
    const key = `${ask.namespace}/${ask.name}`;
    let a = this.byKey.get(key);
    const current =
      a &&
      a.action === ask.action &&
      a.step === ask.step &&
      now - a.lastAskedAt <= this.o.idleMs &&
      !['done', 'stale', 'withdrawn'].includes(a.state);
    if (!a || !current) {
      // The first ask of this rung (or the last one ended): a new request, named after it.
      let id = episodeId(ask.name, now);
      for (let n = 2; this.byId.has(id); n++) id = `${episodeId(ask.name, now)}-${n}`;
      this.subjects.set(id, {
        namespace: ask.namespace,
        name: ask.name,
        ...(ask.uid ? { uid: ask.uid } : {}),
        ...(ask.kind ? { kind: ask.kind } : {}),
        ...(ask.apiVersion ? { apiVersion: ask.apiVersion } : {}),
      });
      a = this.create(id, ask, now);
      this.byKey.set(key, a);
      await this.o.reporter.report(this.requested(a));
      return { go: false, state: 'pending', message: waiting(a), approval: a };
    }
    const id = a.id;
    a.lastAskedAt = now;
    if (a.state === 'pending' && ask.annotations?.[APPROVE_ANNOTATION] === id) {
      await this.decide(id, true, `annotation ${APPROVE_ANNOTATION}`, 'annotation');
    }
    if (a.state === 'pending' && now >= Date.parse(a.expiresAt)) {
      await this.expire(a, now);
    }
    if (a.state === 'approved') {
      const problem = recheck(a, ask);
      if (!problem) {
        this.set(a, { state: 'done' });
        return { go: true, approval: a };
      }
      this.set(a, { state: 'stale', note: problem });
      await this.o.reporter.report({
        subject: this.subject(a),
        level: 'warn',
        message: `approval ${a.id} not acted on: ${problem}`,
        event: { type: 'Warning', reason: EVENT_REASONS.approvalStale, action: a.action },
      });
    }
    return { go: false, state: a.state, message: waiting(a), approval: a };
  }

  /** Approve or reject from the API, Slack or an annotation; audited as an Event. */
  async decide(
    id: string,
    approve: boolean,
    by: string,
    via: ApprovalChannel,
    note?: string,
  ): Promise<Approval> {
    const a = this.byId.get(id);
    if (!a) throw new ApprovalError('not_found', `no approval ${id}`);
    if (a.state !== 'pending')
      throw new ApprovalError('conflict', `approval ${id} is ${a.state}, not pending`);
    const at = new Date(this.o.now()).toISOString();
    this.set(a, {
      state: approve ? 'approved' : 'rejected',
      decidedBy: by.slice(0, 200),
      via,
      decidedAt: at,
      ...(note ? { note: note.slice(0, 500) } : {}),
    });
    // Stored before it is announced: the next leader acts on it too.
    await this.flush();
    const verb = approve ? 'approved' : 'rejected';
    await this.o.reporter.report({
      subject: this.subject(a),
      level: approve ? 'info' : 'warn',
      message: `${actionLabel(a.action)} for ${a.namespace}/${a.name} ${verb} by ${a.decidedBy} (${via}); approval ${a.id}${approve ? ': acting at the next cycle after a re-check' : ''}`,
      event: approve
        ? { type: 'Normal', reason: EVENT_REASONS.approvalGranted, action: a.action }
        : { type: 'Warning', reason: EVENT_REASONS.approvalRejected, action: a.action },
    });
    return a;
  }

  /** Once per cycle: expires (and pages) or withdraws what nobody decided. */
  async sweep(): Promise<void> {
    const now = this.o.now();
    for (const a of [...this.byId.values()]) {
      if (a.state !== 'pending') continue;
      const idle = now - a.lastAskedAt > this.o.idleMs;
      if (idle) {
        this.set(a, {
          state: 'withdrawn',
          note: 'the rung is no longer wanted (risk fell or the episode ended)',
        });
        this.o.logger.info({ approval: a.id }, 'approval withdrawn');
      } else if (now >= Date.parse(a.expiresAt)) await this.expire(a, now);
    }
    this.trim();
    await this.flush();
  }

  /** Writes the list when it changed; a failed write is logged and retried on the next change. */
  private async flush(): Promise<void> {
    if (!this.dirty || !this.held) return;
    const records: StoredApproval[] = [...this.byId.values()].map((a) => {
      const subject = this.subjects.get(a.id);
      return subject ? { ...a, subject } : { ...a };
    });
    if (await this.held.write(records)) this.dirty = false;
  }

  private create(id: string, ask: ApprovalAsk, now: number): Approval {
    const a: Approval = {
      id,
      namespace: ask.namespace,
      name: ask.name,
      action: ask.action,
      episodeStartedAt: ask.episodeStartedAt,
      step: ask.step,
      attempt: ask.attempt,
      ...(ask.release ? { release: ask.release } : {}),
      risk: ask.risk,
      high: ask.high,
      reason: ask.reason,
      ...(ask.top ? { top: ask.top.slice(0, 3) } : {}),
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.o.timeoutMs).toISOString(),
      lastAskedAt: now,
      state: 'pending',
    };
    this.byId.set(id, a);
    this.dirty = true;
    this.o.onChange?.(a);
    return a;
  }

  private async expire(a: Approval, now: number): Promise<void> {
    this.set(a, { state: 'expired', decidedAt: new Date(now).toISOString() });
    const message = `approval ${a.id} for ${actionLabel(a.action)} of ${a.namespace}/${a.name} expired after ${Math.round(this.o.timeoutMs / 1000)} s without a decision: paging; no action taken`;
    await this.o.reporter.report({
      subject: this.subject(a),
      level: 'warn',
      message,
      event: { type: 'Warning', reason: EVENT_REASONS.approvalExpired, action: a.action },
      notify: {
        kind: 'needs_attention',
        namespace: a.namespace,
        name: a.name,
        title: `${a.namespace}/${a.name} needs attention: approval expired`,
        detail: message,
        risk: a.risk,
        action: a.action,
        step: a.step,
        dedupKey: `${a.id}:expired:${a.step}`,
        ...(this.o.links ? { links: this.o.links } : {}),
      },
    });
  }

  private requested(a: Approval): Parameters<Reporter['report']>[0] {
    const resource = this.subject(a).kind === 'Rollout' ? 'rollout' : 'deploy';
    const how = `approve: Slack, the dashboard, POST /api/approvals/${a.id}/approve, or kubectl annotate ${resource}/${a.name} -n ${a.namespace} ${APPROVE_ANNOTATION}=${a.id}`;
    const detail = `${a.reason}; waiting for approval until ${a.expiresAt} (${how})`;
    return {
      subject: this.subject(a),
      level: 'warn',
      message: `approval ${a.id} requested: ${detail}`,
      event: { type: 'Normal', reason: EVENT_REASONS.approvalRequested, action: a.action },
      notify: {
        kind: 'approval',
        namespace: a.namespace,
        name: a.name,
        title: `${a.namespace}/${a.name}: ${actionLabel(a.action)} waits for approval`,
        detail,
        risk: a.risk,
        ...(a.top ? { top: a.top } : {}),
        action: a.action,
        step: a.step,
        attempt: a.attempt,
        approvalId: a.id,
        dedupKey: `${a.id}:approval:${a.step}:${a.attempt}`,
        ...(this.o.links ? { links: this.o.links } : {}),
      },
    };
  }

  private subject(a: Approval): EventSubject {
    return this.subjects.get(a.id) ?? { namespace: a.namespace, name: a.name };
  }

  private set(a: Approval, patch: Partial<Approval>): void {
    Object.assign(a, patch);
    this.dirty = true;
    this.o.onChange?.(a);
  }

  private trim(): void {
    const keep = this.o.keep ?? 200;
    for (const [id, a] of this.byId) {
      if (this.byId.size <= keep) break;
      if (a.state !== 'pending' && a.state !== 'approved') {
        this.byId.delete(id);
        this.dirty = true;
        if (this.byKey.get(`${a.namespace}/${a.name}`) === a)
          this.byKey.delete(`${a.namespace}/${a.name}`);
        this.subjects.delete(id);
      }
    }
  }
}

/** The re-check before an approved rung runs: `undefined` when it still holds. */
export function recheck(a: Approval, ask: ApprovalAsk): string | undefined {
  if (ask.risk < ask.high) return `risk ${fmt(ask.risk)} is below ${fmt(ask.high)} now`;
  if (a.release && ask.release && a.release !== ask.release)
    return `the release changed since the request (${a.release} → ${ask.release})`;
  return undefined;
}

function waiting(a: Approval): string {
  return `approvals: ${actionLabel(a.action)} is ${a.state} (approval ${a.id}${a.state === 'pending' ? `, expires ${a.expiresAt}` : ''})`;
}
