/**
 * The config of the human-in-the-loop controls (approvals, silences, the kill switch, the Slack
 * app, change-aware rollback), spread into the healer's one config schema (`src/config.ts`).
 */
import { z } from 'zod';

/** What a rung of the ladder needs before it runs. */
export const GATE_MODES = ['auto', 'approve', 'off'] as const;
export type GateMode = (typeof GATE_MODES)[number];

const gate = z.enum(GATE_MODES);
const durationMs = z.number().int().min(0);

/** Per-rung gates; a rung not listed keeps the default. */
export const GATES_SCHEMA = z
  .strictObject({
    restart_scale: gate.optional(),
    cache_clear_restart: gate.optional(),
    rollback: gate.optional(),
  })
  .strict();
export type GateTable = z.output<typeof GATES_SCHEMA>;

export const HUMANS_CONFIG = {
  approvals: z
    .strictObject({
      /** Gates everywhere (default: every rung `auto`). */
      gates: GATES_SCHEMA.default({}),
      /** Gates in production namespaces, over `gates` (default: rollback needs an approval). */
      prodGates: GATES_SCHEMA.default({ rollback: 'approve' }),
      /** Namespaces that are production: exact names or globs with `*`. */
      prodNamespaces: z
        .array(z.string().min(1))
        .default(['prod', 'production', 'prod-*', '*-prod', '*-production']),
      /** A pending approval not given within this time expires and pages. */
      timeoutMs: durationMs.min(1).default(900_000),
    })
    .prefault({}),
  control: z
    .strictObject({
      /** The ConfigMap holding the cluster-wide kill switch (in `leader.namespace`). */
      configMap: z.string().min(1).default('aiops-healer-control'),
      /** Its key: `"true"` pauses every action. */
      pausedKey: z.string().min(1).default('paused'),
      /** The ConfigMap the silences are kept in (in `leader.namespace`; the healer creates it). */
      silencesConfigMap: z.string().min(1).default('aiops-healer-silences'),
      /** The ConfigMap the approvals are kept in, so a new leader takes them over (likewise). */
      approvalsConfigMap: z.string().min(1).default('aiops-healer-approvals'),
      /** The ConfigMap the dry-run evidence of autonomy is kept in (likewise). */
      evidenceConfigMap: z.string().min(1).default('aiops-healer-evidence'),
      /** Longest silence accepted. */
      maxSilenceMs: durationMs.min(1).default(7 * 86_400_000),
    })
    .prefault({}),
  /** Autonomy earned from the shadow ledger's evidence (`src/autonomy/`); off by default. */
  autonomy: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Judged would-be actions needed before a level above shadow. */
      minEpisodes: z.number().int().min(1).default(10),
      approveAt: z.number().min(0).max(1).default(0.8),
      autoAt: z.number().min(0).max(1).default(0.95),
      /** The last this many judged entries count (so a level falls back when precision drops). */
      window: z.number().int().min(1).default(50),
    })
    .prefault({})
    .refine((a) => a.approveAt <= a.autoAt, {
      message: 'approveAt must be ≤ autoAt',
      path: ['approveAt'],
    }),
  changeAware: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Risk rising this soon after someone else's new release makes rollback the first rung. */
      windowMs: durationMs.default(1_800_000),
    })
    .prefault({}),
};

/** The Slack app's keys, spread into `slack`. */
export const SLACK_APP_CONFIG = {
  /** `xoxb-…` bot token: threads, updates, buttons. Never logged. */
  botToken: z.string().min(1).optional(),
  /** Verifies `/slack/interactions`. Never logged. */
  signingSecret: z.string().min(1).optional(),
  /** Channel ID or name the bot posts to. */
  channel: z.string().min(1).optional(),
  /** Slack's Web API base (a stand-in in tests). */
  apiUrl: z.url().default('https://slack.com/api/'),
};
