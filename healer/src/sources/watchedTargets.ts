/**
 * The watched heal targets read through informers (`kube.watchTargets`): one per kind and
 * namespace (or one across all), each one LIST and then a WATCH, so a steady-state cycle lists
 * nothing. Behind the same `list(scope)` as the kinds, for `listWatchedTargets`.
 */
import type { Watch } from '@kubernetes/client-node';
import { kindListWatch } from '../kinds/listWatch.js';
import {
  listEach,
  type WatchScope,
  type WorkloadKind,
  type WorkloadKinds,
} from '../kinds/types.js';
import { Informer, type InformerOptions } from './informer.js';

/** The kinds with `list` served by informers (every other call is the kind's own). */
export function watchedKinds(
  kinds: WorkloadKinds,
  watch: Pick<Watch, 'watch'>,
  opts: InformerOptions,
): { kinds: WorkloadKinds; stop(): void } {
  const informers = new Map<string, Informer>();
  const informer = (k: WorkloadKind, ns: string | undefined, selector: string): Informer => {
    const key = `${k.kind}|${ns ?? '*'}|${selector}`;
    let inf = informers.get(key);
    if (!inf) informers.set(key, (inf = new Informer(kindListWatch(k, watch, ns, selector), opts)));
    return inf;
  };
  const out: WorkloadKinds = {};
  for (const k of Object.values(kinds)) {
    // A prototype-backed view: `list` is replaced, the rest still reach the kind itself.
    out[k.kind] = Object.assign(Object.create(k) as WorkloadKind, {
      list: (scope: WatchScope) =>
        listEach(scope, async (ns) => ({
          items: await informer(k, ns, scope.labelSelector).items(),
        })),
    });
  }
  return {
    kinds: out,
    stop: () => {
      for (const i of informers.values()) i.stop();
    },
  };
}
