/**
 * Which release each watched deployment runs and when that changed, for the change-aware ladder.
 * The revision annotation is compared every cycle (cheap); only when it moves is the pod template
 * summarised (images, env, config references) and compared with the last one, so a restart (a new
 * revision with the same template) is not a release. Secret values are never shown.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { WorkloadObject } from '../kinds/types.js';
import type { ReleaseChange } from '../policy/changeAware.js';

/** The revision annotation each kind's controller writes (Deployment, Argo Rollout). */
const REVISION_ANNOTATIONS = ['deployment.kubernetes.io/revision', 'rollout.argoproj.io/revision'];

type Summary = Record<string, string>;

interface Seen {
  revision: number;
  summary: Summary;
  change?: ReleaseChange;
}

const SECRETISH = /secret|token|password|passwd|key|credential/i;

/** `image/web`, `env/web/LOG_LEVEL`, `envFrom/web/configMap:shop-config`, `volume/cfg`. */
export function summarise(t: V1PodTemplateSpec | undefined): Summary {
  const out: Summary = {};
  const spec = t?.spec;
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    out[`image ${c.name}`] = c.image ?? '';
    for (const e of c.env ?? []) {
      const from = e.valueFrom;
      out[`env ${c.name}/${e.name}`] = from
        ? from.secretKeyRef
          ? `secret ${from.secretKeyRef.name}/${from.secretKeyRef.key}`
          : from.configMapKeyRef
            ? `configMap ${from.configMapKeyRef.name}/${from.configMapKeyRef.key}`
            : 'valueFrom'
        : SECRETISH.test(e.name)
          ? `<hidden:${(e.value ?? '').length}>`
          : (e.value ?? '');
    }
    for (const f of c.envFrom ?? [])
      out[
        `envFrom ${c.name}/${f.configMapRef ? `configMap ${f.configMapRef.name}` : `secret ${f.secretRef?.name}`}`
      ] = 'yes';
    if (c.args) out[`args ${c.name}`] = c.args.join(' ');
    if (c.command) out[`command ${c.name}`] = c.command.join(' ');
  }
  for (const v of spec?.volumes ?? []) {
    if (v.configMap) out[`volume ${v.name}`] = `configMap ${v.configMap.name}`;
    if (v.secret) out[`volume ${v.name}`] = `secret ${v.secret.secretName}`;
  }
  return out;
}

export function diffSummaries(a: Summary, b: Summary, max = 5): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    if (a[k] === b[k]) continue;
    const clip = (s: string | undefined) =>
      s === undefined ? '∅' : s.length > 60 ? `${s.slice(0, 57)}…` : s;
    out.push(`${k}: ${clip(a[k])} → ${clip(b[k])}`);
  }
  return out.length > max ? [...out.slice(0, max), `… ${out.length - max} more`] : out;
}

export class ReleaseTracker {
  private readonly seen = new Map<string, Seen>();

  /**
   * Records this cycle's revision of a deployment or Rollout; returns the last release change someone made
   * (undefined before one was seen). `healerRollingBack`: the healer's own rollback is underway.
   */
  observe(
    id: string,
    dep: WorkloadObject,
    now: number,
    healerRollingBack: boolean,
    atRisk = false,
  ): ReleaseChange | undefined {
    const annotations = dep.metadata?.annotations ?? {};
    const revision = Number(REVISION_ANNOTATIONS.map((a) => annotations[a]).find(Boolean) ?? 0);
    const prev = this.seen.get(id);
    if (!prev) {
      this.seen.set(id, { revision, summary: summarise(dep.spec?.template) });
      return undefined;
    }
    if (prev.revision === revision) return prev.change;
    const summary = summarise(dep.spec?.template);
    const diff = diffSummaries(prev.summary, summary);
    const change: ReleaseChange | undefined =
      diff.length > 0
        ? {
            at: now,
            revision,
            diff,
            byHealer: healerRollingBack,
            ...(atRisk ? { whileAtRisk: true } : {}),
          }
        : prev.change;
    this.seen.set(id, { revision, summary, ...(change ? { change } : {}) });
    return change;
  }

  forget(id: string): void {
    this.seen.delete(id);
  }
}
