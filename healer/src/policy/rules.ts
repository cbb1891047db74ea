/**
 * Per-deployment rules: the config's defaults with the deployment's `aiops.io/*` annotation
 * overrides applied. Pure; a bad annotation is ignored (the default stays) and reported as a
 * problem naming the key and the rule.
 */
import type { HealAction } from '../api/types.js';
import type { HealerConfig } from '../config.js';
import { HEAL_ACTIONS, type HealRules } from './types.js';

/** Every annotation the healer reads or writes; documented in healer/README.md. */
export const ANNOTATIONS = {
  threshold: 'aiops.io/threshold',
  thresholdLow: 'aiops.io/threshold-low',
  maxReplicas: 'aiops.io/max-replicas',
  scaleStep: 'aiops.io/scale-step',
  stabilisationSeconds: 'aiops.io/stabilisation-seconds',
  ladder: 'aiops.io/ladder',
  dryRun: 'aiops.io/dry-run',
  cacheClearMethod: 'aiops.io/cache-clear-method',
  cacheClearCommand: 'aiops.io/cache-clear-command',
  cacheClearContainer: 'aiops.io/cache-clear-container',
  cacheClearPath: 'aiops.io/cache-clear-path',
  cacheClearPort: 'aiops.io/cache-clear-port',
  /** Written by the healer. */
  healAttempt: 'aiops.io/heal-attempt',
  healState: 'aiops.io/heal-state',
  originalMinReplicas: 'aiops.io/original-min-replicas',
} as const;

export type CacheClearSpec =
  | { method: 'exec'; command: string[]; container?: string }
  | { method: 'proxy'; path: string; port?: number }
  | { method: 'none' };

/** Everything the loop needs to know about one deployment's healing. */
export interface DeploymentRules extends HealRules {
  scaleStep: number;
  maxReplicas: number;
  cacheClear: CacheClearSpec;
}

export interface ResolvedRules {
  rules: DeploymentRules;
  /** `aiops.io/threshold: "abc" is not a number in [0, 1]; using 0.80` */
  problems: string[];
}

type Annotations = Readonly<Record<string, string>> | undefined;

/** Defaults from the config, before any annotation. */
export function defaultRules(config: HealerConfig): DeploymentRules {
  const cc = config.cacheClear;
  return {
    high: config.thresholds.high,
    low: config.thresholds.low,
    enterCycles: config.enterCycles,
    exitCycles: config.exitCycles,
    stabilisationMs: config.stabilisationMs,
    inconclusiveAlertMs: config.inconclusiveAlertMs,
    ladder: [...config.ladder],
    dryRun: config.dryRun,
    minSampleIntervalMs: config.minSampleIntervalMs,
    actionErrorLimit: config.actions.errorLimit,
    actionRetryBaseMs: config.actions.retryBaseMs,
    actionRetryMaxMs: config.actions.retryMaxMs,
    recoveryTimeoutMs: config.recoveryTimeoutMs,
    scaleStep: config.scale.step,
    maxReplicas: config.scale.maxReplicas,
    cacheClear:
      cc.method === 'exec'
        ? {
            method: 'exec',
            command: cc.command,
            ...(cc.container ? { container: cc.container } : {}),
          }
        : { method: 'proxy', path: cc.path, ...(cc.port ? { port: cc.port } : {}) },
  };
}

/** Applies a deployment's annotations to the defaults. */
export function resolveRules(base: DeploymentRules, annotations: Annotations): ResolvedRules {
  const a = annotations ?? {};
  const rules: DeploymentRules = { ...base, ladder: [...base.ladder] };
  const problems: string[] = [];
  const bad = (key: string, rule: string, kept: unknown): void => {
    problems.push(`${key}: "${a[key]}" ${rule}; using ${String(kept)}`);
  };
  const number = (
    key: string,
    min: number,
    max: number,
    integer: boolean,
    kept: number,
  ): number => {
    const raw = a[key];
    if (raw === undefined) return kept;
    const n = Number(raw);
    if (
      raw.trim() === '' ||
      !Number.isFinite(n) ||
      n < min ||
      n > max ||
      (integer && !Number.isInteger(n))
    ) {
      bad(key, `is not ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`, kept);
      return kept;
    }
    return n;
  };

  rules.high = number(ANNOTATIONS.threshold, 0, 1, false, rules.high);
  rules.low = number(ANNOTATIONS.thresholdLow, 0, 1, false, Math.min(rules.low, rules.high));
  if (rules.low > rules.high) {
    problems.push(
      `${ANNOTATIONS.thresholdLow}: ${rules.low} is above the high threshold ${rules.high}; using ${rules.high}`,
    );
    rules.low = rules.high;
  }
  rules.maxReplicas = number(ANNOTATIONS.maxReplicas, 1, 10_000, true, rules.maxReplicas);
  rules.scaleStep = number(ANNOTATIONS.scaleStep, 0, 1_000, true, rules.scaleStep);
  const stab = number(
    ANNOTATIONS.stabilisationSeconds,
    0,
    86_400,
    false,
    rules.stabilisationMs / 1000,
  );
  rules.stabilisationMs = stab * 1000;

  const dry = a[ANNOTATIONS.dryRun];
  if (dry !== undefined) {
    if (['true', 'false'].includes(dry.toLowerCase())) rules.dryRun = dry.toLowerCase() === 'true';
    else bad(ANNOTATIONS.dryRun, 'is not true or false', rules.dryRun);
  }
  // A global dry-run can never be switched off by an annotation.
  if (base.dryRun) rules.dryRun = true;

  const ladder = a[ANNOTATIONS.ladder];
  if (ladder !== undefined) {
    const steps = ladder
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = steps.filter((s) => !(HEAL_ACTIONS as readonly string[]).includes(s));
    if (steps.length === 0 || unknown.length > 0) {
      bad(
        ANNOTATIONS.ladder,
        `must list steps from ${HEAL_ACTIONS.join(',')}`,
        base.ladder.join(','),
      );
    } else {
      // Annotations only tighten: a rung the policy leaves out cannot be added back.
      const added = steps.filter((s) => !base.ladder.includes(s as HealAction));
      if (added.length > 0)
        bad(
          ANNOTATIONS.ladder,
          `may not add ${added.join(',')}: not in the policy's ladder (annotations only tighten)`,
          base.ladder.join(','),
        );
      else rules.ladder = steps as HealAction[];
    }
  }

  const method = a[ANNOTATIONS.cacheClearMethod];
  const command = a[ANNOTATIONS.cacheClearCommand];
  const container = a[ANNOTATIONS.cacheClearContainer];
  const path = a[ANNOTATIONS.cacheClearPath];
  let m = method ?? rules.cacheClear.method;
  if (!['exec', 'proxy', 'none'].includes(m)) {
    bad(ANNOTATIONS.cacheClearMethod, 'is not exec, proxy or none', rules.cacheClear.method);
    m = rules.cacheClear.method;
  }
  // Annotations only tighten: exec (running a command in the pods) is the policy's to enable.
  if (m === 'exec' && base.cacheClear.method !== 'exec') {
    bad(
      ANNOTATIONS.cacheClearMethod,
      `may not enable exec: the policy's cache clear is ${base.cacheClear.method} (annotations only tighten)`,
      base.cacheClear.method,
    );
    m = base.cacheClear.method;
  }
  if (command !== undefined && m !== 'exec')
    problems.push(
      `${ANNOTATIONS.cacheClearCommand}: ignored: the cache clear is ${m}, not exec (annotations cannot enable exec)`,
    );
  if (m === 'none') {
    rules.cacheClear = { method: 'none' };
  } else if (m === 'exec') {
    const base = rules.cacheClear.method === 'exec' ? rules.cacheClear : undefined;
    let cmd = base?.command ?? ['sh', '-c', 'rm -rf /tmp/cache/*'];
    if (command !== undefined) {
      const parsed = parseCommand(command);
      if (parsed) cmd = parsed;
      else
        bad(
          ANNOTATIONS.cacheClearCommand,
          'is empty or not a JSON array of strings',
          JSON.stringify(cmd),
        );
    }
    const c = container ?? base?.container;
    rules.cacheClear = { method: 'exec', command: cmd, ...(c ? { container: c } : {}) };
  } else {
    const base = rules.cacheClear.method === 'proxy' ? rules.cacheClear : undefined;
    let p = base?.path ?? '/cache/clear';
    if (path !== undefined) {
      if (path.startsWith('/')) p = path;
      else bad(ANNOTATIONS.cacheClearPath, 'does not start with /', p);
    }
    const portKept = base?.port ?? 0;
    const port = number(ANNOTATIONS.cacheClearPort, 1, 65_535, true, portKept);
    rules.cacheClear = { method: 'proxy', path: p, ...(port > 0 ? { port } : {}) };
  }
  // Without a way to clear the cache, that rung is skipped rather than half-done.
  if (rules.cacheClear.method === 'none') {
    rules.ladder = rules.ladder.filter((s) => s !== 'cache_clear_restart');
  }
  return { rules, problems };
}

/** A JSON array of strings, or a plain string run through `sh -c`. */
function parseCommand(raw: string): string[] | undefined {
  const t = raw.trim();
  if (t === '') return undefined;
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '')) {
        return v as string[];
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  return ['sh', '-c', t];
}
