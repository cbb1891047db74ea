import type { CoreV1Api } from '@kubernetes/client-node';
import type { HealAction } from '../api/types.js';
import { TARGET_KINDS } from '../kinds/types.js';
import { ledgerFromEvents } from './gate.js';
import type { LedgerEntry } from './types.js';

/** A failed read of the Events the ledger is rebuilt from; `cause` is the API error. */
export class LedgerLoadError extends Error {
  constructor(
    readonly namespace: string,
    options: { cause: unknown },
  ) {
    super(`could not list Events in namespace ${namespace} to rebuild the budget ledger`, options);
    this.name = 'LedgerLoadError';
  }
}

/** One field selector per kind of heal target (field selectors have no OR). */
const ON_TARGETS = TARGET_KINDS.map((k) => `involvedObject.kind=${k}`);

/**
 * Lists the Events on heal targets (Deployments, Argo Rollouts) in `namespaces` (empty: every
 * namespace, as the healer's watch scope) and rebuilds the budget ledger from the healer's own
 * action Events (see {@link ledgerFromEvents}). Called at start and on becoming leader: one list
 * per kind and namespace, not per cycle.
 */
export async function loadLedgerFromEvents(
  core: Pick<CoreV1Api, 'listNamespacedEvent' | 'listEventForAllNamespaces'>,
  namespaces: readonly string[],
  opts: { reasons?: Readonly<Record<string, HealAction>>; component?: string } = {},
): Promise<LedgerEntry[]> {
  const all: LedgerEntry[] = [];
  for (const fieldSelector of ON_TARGETS) {
    if (namespaces.length === 0) {
      try {
        const list = await core.listEventForAllNamespaces({ fieldSelector });
        all.push(...ledgerFromEvents(list.items, opts));
      } catch (err) {
        throw new LedgerLoadError('(all namespaces)', { cause: err });
      }
      continue;
    }
    for (const namespace of namespaces) {
      let list;
      try {
        list = await core.listNamespacedEvent({ namespace, fieldSelector });
      } catch (err) {
        throw new LedgerLoadError(namespace, { cause: err });
      }
      all.push(...ledgerFromEvents(list.items, opts));
    }
  }
  return all.sort((a, b) => a.at - b.at);
}
