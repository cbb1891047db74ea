import { TARGET_KINDS } from '../kinds/types.js';
import { z } from 'zod';
import type { HealAction } from '../api/types.js';
import { HEAL_ACTIONS } from '../policy/types.js';
import { EVENT_REASONS } from '../report/types.js';
import { evaluateBudget, ledgerHorizonMs } from './evaluate.js';
import type {
  BudgetGate,
  BudgetLimits,
  BudgetRequest,
  BudgetRule,
  BudgetVerdict,
  LedgerEntry,
} from './types.js';

/** zod schema for the `budgets` block of the healer config (defaults applied by the caller). */
export const budgetLimitsSchema = z.object({
  perDeployment: z.object({
    maxActionsPerHour: z.number().int().min(0),
    cooldownSeconds: z.number().min(0),
  }),
  global: z.object({
    maxConcurrentHeals: z.number().int().min(0),
    maxRollbacksPerHour: z.number().int().min(0),
    maxScaleUpsPerHour: z.number().int().min(0),
    concurrencyWindowSeconds: z.number().min(0),
  }),
});

/**
 * The budget gate the loop uses: an in-memory ledger of recent actions around the pure
 * {@link evaluateBudget}. Memory is bounded by pruning entries older than the longest window.
 *
 * After a restart the ledger starts from {@link ledgerFromEvents} (the healer's own Kubernetes
 * Events), so a restarted or newly elected healer does not get a fresh budget.
 */
export class LedgerBudgetGate implements BudgetGate {
  private entries: LedgerEntry[];
  /** Last denial rule per deployment, so repeated denials are flagged and announced once. */
  private readonly lastDenial = new Map<string, BudgetRule>();
  /** False until the ledger is loaded: every action is denied meanwhile (fail closed). */
  private loaded: boolean;
  private loadError = 'not loaded yet';
  private loading: Promise<void> | undefined;

  /**
   * With `load`, the gate starts closed and opens once `ready()` loaded the ledger (and closes
   * again on `invalidate()`, e.g. when this replica becomes leader). Without it, `initial` is the
   * ledger.
   */
  constructor(
    private readonly limits: BudgetLimits,
    initial: readonly LedgerEntry[] = [],
    private readonly load?: () => Promise<LedgerEntry[]>,
  ) {
    budgetLimitsSchema.parse(limits);
    this.entries = [...initial];
    this.loaded = load === undefined;
  }

  /** Loads the ledger if it is not loaded; a failure keeps the gate closed and is named. */
  ready(): Promise<void> {
    if (this.loaded || !this.load) return Promise.resolve();
    this.loading ??= this.load()
      .then((entries) => {
        this.reset(entries);
        this.loaded = true;
      })
      .catch((err: unknown) => {
        const cause = (err as { cause?: unknown })?.cause;
        this.loadError = `${err instanceof Error ? err.message : String(err)}${cause ? ` (${String(cause)})` : ''}`;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** The ledger must be reloaded before the next action (another replica may have acted). */
  invalidate(): void {
    if (this.load) {
      this.loaded = false;
      this.loadError = 'reloading after a leadership change';
    }
  }

  isLoaded(): boolean {
    return this.loaded;
  }

  check(request: BudgetRequest, now: Date): BudgetVerdict {
    const key = `${request.namespace}/${request.name}`;
    if (!this.loaded && request.action !== 'page') {
      const repeated = this.lastDenial.get(key) === 'ledger_unavailable';
      this.lastDenial.set(key, 'ledger_unavailable');
      return {
        allowed: false,
        rule: 'ledger_unavailable',
        message: `ledger_unavailable: the budget ledger is not loaded (${this.loadError}): no actions until it is`,
        repeated,
      };
    }
    this.prune(now);
    const result = evaluateBudget(this.entries, request, this.limits, now);
    if (result.allowed) {
      this.lastDenial.delete(key);
      return result;
    }
    const repeated = this.lastDenial.get(key) === result.rule;
    this.lastDenial.set(key, result.rule);
    return { ...result, repeated };
  }

  record(request: BudgetRequest, now: Date, outcome?: { failed: boolean }): void {
    this.entries.push({
      namespace: request.namespace,
      name: request.name,
      action: request.action,
      at: now.getTime(),
      ...(outcome?.failed ? { failed: true } : {}),
    });
    this.prune(now);
  }

  /** Forgets the denial streak of a deployment no longer watched (its entries age out). */
  forget(namespace: string, name: string): void {
    this.lastDenial.delete(`${namespace}/${name}`);
  }

  /**
   * Replaces the ledger with one rebuilt from the cluster (call on becoming leader: the previous
   * leader's actions are in the Events, not in this replica's memory). Denial streaks restart.
   */
  reset(entries: readonly LedgerEntry[]): void {
    this.entries = [...entries].sort((a, b) => a.at - b.at);
    this.lastDenial.clear();
  }

  /** A copy of the ledger (for the status API and tests). */
  ledger(): LedgerEntry[] {
    return [...this.entries];
  }

  private prune(now: Date): void {
    const oldest = now.getTime() - ledgerHorizonMs(this.limits);
    if (this.entries.length > 0 && this.entries[0]!.at <= oldest) {
      this.entries = this.entries.filter((e) => e.at > oldest);
    }
  }
}

/** Event reason → ladder action, for the reasons the healer writes when it acts. */
export const DEFAULT_ACTION_REASONS: Readonly<Record<string, HealAction>> = {
  [EVENT_REASONS.restart_scale]: 'restart_scale',
  [EVENT_REASONS.cache_clear_restart]: 'cache_clear_restart',
  [EVENT_REASONS.rollback]: 'rollback',
};

/** The fields of a core/v1 Event that the ledger needs (client-node's `CoreV1Event` fits). */
export interface EventLike {
  reason?: string;
  count?: number;
  firstTimestamp?: Date | string;
  lastTimestamp?: Date | string;
  eventTime?: Date | string;
  metadata?: { creationTimestamp?: Date | string };
  /** For `AutoHealActionFailed`: the rung that failed (a failed attempt counts too). */
  action?: string;
  involvedObject?: { kind?: string; namespace?: string; name?: string };
  source?: { component?: string };
  reportingComponent?: string;
}

/**
 * Rebuilds the ledger from the healer's own Events on heal targets (Deployments, Rollouts; the source of truth after a
 * restart: the annotations hold only the latest step, Events hold every action with a count and
 * timestamps, and the API server keeps them for an hour by default — exactly the longest budget
 * window). An aggregated Event (`count` > 1) is spread evenly between its first and last time.
 * `AutoHealActionFailed` Events carrying the failed rung in `action` count as failed attempts.
 * Events with reasons not in `reasons` (decisions, dry-run "would have", denials) are ignored.
 */
export function ledgerFromEvents(
  events: readonly EventLike[],
  opts: { reasons?: Readonly<Record<string, HealAction>>; component?: string } = {},
): LedgerEntry[] {
  const reasons = opts.reasons ?? DEFAULT_ACTION_REASONS;
  const out: LedgerEntry[] = [];
  for (const ev of events) {
    const failed = ev.reason === EVENT_REASONS.actionFailed;
    const action = failed
      ? (HEAL_ACTIONS as readonly string[]).includes(ev.action ?? '')
        ? (ev.action as HealAction)
        : undefined
      : ev.reason === undefined
        ? undefined
        : reasons[ev.reason];
    const obj = ev.involvedObject;
    const onTarget = (TARGET_KINDS as readonly (string | undefined)[]).includes(obj?.kind);
    if (!action || !onTarget || !obj?.namespace || !obj.name) continue;
    if (
      opts.component !== undefined &&
      ev.source?.component !== opts.component &&
      ev.reportingComponent !== opts.component
    ) {
      continue;
    }
    const last = toMs(
      ev.lastTimestamp ?? ev.eventTime ?? ev.firstTimestamp ?? ev.metadata?.creationTimestamp,
    );
    if (last === undefined) continue;
    const first = toMs(ev.firstTimestamp) ?? last;
    const count = Math.max(1, Math.floor(ev.count ?? 1));
    for (let i = 0; i < count; i++) {
      const at = count === 1 ? last : first + ((last - first) * i) / (count - 1);
      out.push({
        namespace: obj.namespace,
        name: obj.name,
        action,
        at,
        ...(failed ? { failed } : {}),
      });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

function toMs(v: Date | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}
