/**
 * The gates each namespace has earned: its configured gates, tightened per action type by the
 * autonomy level the evidence supports (`evaluate.ts`): the dry-run shadow ledger and the decided
 * approval requests (`humanEvidence.ts`). Levels are computed once
 * per cycle, lazily (only if some target needs them), from the ledger as it stood then.
 */
import { gateFor, type GateConfig } from '../approval/gates.js';
import type { GateTable } from '../humans/schema.js';
import type { Approval } from '../approval/types.js';
import type { ShadowLedger } from '../loop/shadow.js';
import { approvalEvidence } from './humanEvidence.js';
import {
  evaluateAutonomy,
  withAutonomy,
  type AutonomyLevel,
  type AutonomyRow,
  type AutonomySettings,
} from './evaluate.js';

const GATED = ['restart_scale', 'cache_clear_restart', 'rollback'] as const;

export class EarnedAutonomy {
  /** This cycle's levels by `namespace/action`; undefined until first asked. */
  private levels: Map<string, AutonomyLevel> | undefined;

  constructor(
    private readonly shadow: ShadowLedger,
    private readonly settings: AutonomySettings,
    /** Decided approval requests count as evidence too (`humanEvidence.ts`). */
    private readonly decisions: () => readonly Approval[] = () => [],
  ) {}

  /** A new cycle: the levels are computed again from the ledger. */
  newCycle(): void {
    this.levels = undefined;
  }

  /** Levels and evidence for `GET /api/autonomy`. */
  rows(): AutonomyRow[] {
    return evaluateAutonomy(
      [...this.shadow.list(), ...approvalEvidence(this.decisions())],
      this.settings,
    );
  }

  /** The namespace's gates, tightened by the autonomy each action type has earned. */
  gates(namespace: string, gates: GateConfig): GateConfig {
    this.levels ??= new Map(this.rows().map((r) => [`${r.namespace}/${r.action}`, r.level]));
    const table: GateTable = {};
    for (const a of GATED)
      table[a] = withAutonomy(
        gateFor(a, namespace, gates),
        this.levels.get(`${namespace}/${a}`) ?? 'shadow',
      );
    return { ...gates, gates: table, prodGates: table };
  }
}
